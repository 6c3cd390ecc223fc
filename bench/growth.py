"""Growth: the time one job takes while 10, 100 and 1,000 other jobs are queued."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bench.drivers import bot_on, one_by_one
from bench.files import one_page_pdf
from bench.results import Figure, at_most, info, median
from bench.stage import Stage
from tests.fakes.telegram_payloads import UserPayload

QUEUE_PRINTER = "X5BB005678"
STATUS_PATH = "/api/2/printing/jobs/"
MEASURE_PRINTER = "X4AA001234"
FLAT_TARGET = 1.2
POLL_MAX = 30.0  # the configured default, which the benchmark keeps
SETTLE_WINDOW = 2.0
SETTLE_LIMIT = 120.0


async def growth(root: Path, levels: tuple[int, ...], sample: int) -> list[Figure]:
    """Queue jobs on an offline printer, then time jobs on another one."""
    pdf = one_page_pdf()
    medians: dict[int, float] = {}
    async with Stage(root / "growth") as stage, bot_on(stage):
        queuer, measurer = stage.new_user(), stage.new_user()
        await stage.link([queuer], serial=QUEUE_PRINTER)
        await stage.link([measurer], serial=MEASURE_PRINTER)
        stage.sim.faults.set_offline(QUEUE_PRINTER)
        await one_by_one(stage, measurer, pdf, 3, prefix="warm", until_done=True)
        queued = 0
        for level in levels:
            await _queue(stage, queuer, pdf, queued, level)
            await _settle(stage, level)
            queued = level
            times = await one_by_one(
                stage, measurer, pdf, sample, prefix=f"at{level}-", until_done=True
            )
            medians[level] = median(times)
    low, high = medians[levels[0]], medians[levels[-1]]
    figures = [
        info(f"growth.ms_per_job_at_{level}", value * 1000, "ms")
        for level, value in medians.items()
    ]
    ratio = at_most(
        f"growth.ratio_{levels[-1]}_vs_{levels[0]}", high / low, FLAT_TARGET
    )
    figures.append(ratio)
    return figures


async def _queue(
    stage: Stage, user: UserPayload, pdf: bytes, start: int, end: int
) -> None:
    """Send jobs ``start`` to ``end`` and wait until Epson holds each one."""
    accepted = len(stage.clock.times)
    for index in range(start, end):
        stage.send_file(user, pdf, f"queued{index:05d}.pdf")
    await stage.wait(
        lambda: len(stage.clock.times) >= accepted + end - start,
        f"{end} queued jobs",
        within=600,
    )


async def _settle(stage: Stage, level: int) -> None:
    """Wait until the queued jobs poll Epson at their steady rate.

    A job polls at growing intervals up to ``poll_max``; the figure is about a
    queue that has been waiting, not the minute after a thousand jobs arrived.
    """
    steady = level / POLL_MAX * 1.5 + 1
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SETTLE_LIMIT
    while loop.time() < deadline:
        before = _status_reads(stage)
        await asyncio.sleep(SETTLE_WINDOW)
        if (_status_reads(stage) - before) / SETTLE_WINDOW <= steady:
            return


def _status_reads(stage: Stage) -> int:
    return sum(
        r.method == "GET" and r.path.startswith(STATUS_PATH) for r in stage.sim.requests
    )
