"""Where a request's time goes: when each of its network steps reached the stage.

With requests sent one after another, every ``getFile``, download, Epson call and
upload that reaches the stage between a request's update and its print call is
that request's. Their arrival times, counted from the update, show how long the
bot (or the floor) worked between one network step and the next.
"""

from __future__ import annotations

import statistics

from bench.results import Figure, info
from bench.stage import Stage
from bot.epson.simulator.records import RecordedRequest
from bot.epson.simulator.server import UPLOAD_PATHS

STEPS = ("getFile", "download", "create", "upload", "print")


def step_times(stage: Stage, names: list[str]) -> dict[str, list[float]]:
    """Seconds from each request's update to each of its steps, by step."""
    arrivals = sorted(_arrivals(stage))
    times: dict[str, list[float]] = {step: [] for step in STEPS}
    for name in names:
        start, end = stage.sent_at[name], stage.print_time(name)
        seen: set[str] = set()
        for at, step in arrivals:
            if start <= at <= end and step not in seen:
                seen.add(step)
                times[step].append(at - start)
    return times


def step_figures(
    chatprint: dict[str, list[float]], floor: dict[str, list[float]]
) -> list[Figure]:
    """One figure per step: the bot's median time to reach it, the floor's beside."""
    return [
        info(
            f"latency.to_{step}",
            _median_ms(chatprint[step]),
            "ms",
            floor_ms=_median_ms(floor[step]),
        )
        for step in STEPS
    ]


def _arrivals(stage: Stage) -> list[tuple[float, str]]:
    telegram = stage.telegram
    events = [
        (c.received_at, "getFile") for c in telegram.calls if c.method == "getFile"
    ]
    events += [(at, "download") for at in telegram.download_times]
    for request in stage.sim.requests:
        step = _epson_step(request)
        if step:
            events.append((request.received_at, step))
    return events


def _epson_step(request: RecordedRequest) -> str:
    if request.path in UPLOAD_PATHS:
        return "upload"
    if request.method != "POST":
        return ""
    if request.path.endswith("/printing/jobs"):
        return "create"
    return "print" if request.path.endswith("/print") else ""


def _median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")
