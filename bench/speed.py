"""Latency and throughput: the bot against the floor on the same stage."""

from __future__ import annotations

from pathlib import Path

import psutil

from bench.drivers import (
    at_once,
    bot_on,
    floor_on,
    one_by_one,
    printed_once,
    request_names,
    wait_done,
)
from bench.files import one_page_pdf
from bench.results import Figure, at_least, at_most, info, median, p95
from bench.stage import Stage
from bench.steps import step_figures, step_times

WARMUP = 5
LATENCY_TARGET = 1.3
DRAIN_TARGET = 1.5
SLOWEST_TARGET = 10.0


async def latency(root: Path, count: int) -> list[Figure]:
    """Median and p95 from update to print call, one request at a time."""
    pdf = one_page_pdf()
    async with Stage(root / "latency-floor") as stage, floor_on(stage):
        user = stage.new_user()
        await one_by_one(stage, user, pdf, WARMUP, prefix="warm", until_done=False)
        floor = await one_by_one(
            stage, user, pdf, count, prefix="seq", until_done=False
        )
        floor_steps = step_times(stage, request_names("seq", count))
    async with Stage(root / "latency-bot") as stage, bot_on(stage):
        user = stage.new_user()
        await stage.link([user])
        await one_by_one(stage, user, pdf, WARMUP, prefix="warm", until_done=True)
        chatprint = await one_by_one(
            stage, user, pdf, count, prefix="seq", until_done=True
        )
        bot_steps = step_times(stage, request_names("seq", count))
    return [
        at_most(
            "latency.median_ratio",
            median(chatprint) / median(floor),
            LATENCY_TARGET,
            bot_ms=median(chatprint) * 1000,
            floor_ms=median(floor) * 1000,
            requests=count,
        ),
        info(
            "latency.p95_ratio",
            p95(chatprint) / p95(floor),
            "x",
            bot_ms=p95(chatprint) * 1000,
            floor_ms=p95(floor) * 1000,
        ),
        *step_figures(bot_steps, floor_steps),
    ]


async def throughput(root: Path, count: int) -> list[Figure]:
    """``count`` users print at the same moment: time to drain, slowest request."""
    pdf = one_page_pdf()
    async with Stage(root / "throughput-floor") as stage, floor_on(stage) as client:
        warm = stage.new_user()
        await one_by_one(stage, warm, pdf, WARMUP, prefix="warm", until_done=False)
        users = [stage.new_user() for _ in range(count)]
        with CpuMeter(client.pid) as floor_cpu:
            floor = await at_once(stage, users, pdf, prefix="burst")
    async with Stage(root / "throughput-bot") as stage, bot_on(stage) as bot:
        warm = stage.new_user()
        users = [stage.new_user() for _ in range(count)]
        await stage.link([warm, *users])
        await one_by_one(stage, warm, pdf, WARMUP, prefix="warm", until_done=True)
        with CpuMeter(bot.pid) as bot_cpu:
            burst = await at_once(stage, users, pdf, prefix="burst")
        await wait_done(stage, users)
        once = printed_once(stage, burst.names)
    slowest = max(burst.latencies) / median(burst.latencies)
    return [
        at_most(
            "throughput.drain_ratio",
            burst.drain / floor.drain,
            DRAIN_TARGET,
            bot_s=burst.drain,
            floor_s=floor.drain,
            users=count,
        ),
        at_most(
            "throughput.slowest_over_median",
            slowest,
            SLOWEST_TARGET,
            slowest_ms=max(burst.latencies) * 1000,
            median_ms=median(burst.latencies) * 1000,
        ),
        at_least("throughput.printed_exactly_once", float(once), 1.0, unit="yes"),
        info(
            "throughput.cpu_ms_per_print",
            bot_cpu.seconds * 1000 / count,
            "ms",
            floor_ms=floor_cpu.seconds * 1000 / count,
        ),
    ]


class CpuMeter:
    """The CPU time (user and system) a process spends inside a ``with`` block."""

    def __init__(self, pid: int) -> None:
        self._process = psutil.Process(pid)
        self._start = 0.0
        self.seconds = 0.0

    def __enter__(self) -> CpuMeter:
        self._start = self._used()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = self._used() - self._start

    def _used(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)
