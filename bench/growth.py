"""Growth: the time one job takes while 10, 100 and 1,000 other jobs are queued."""

from __future__ import annotations

from pathlib import Path

from bench.drivers import bot_on, one_by_one
from bench.files import one_page_pdf
from bench.results import Figure, at_most, info, median
from bench.stage import Stage
from tests.fakes.telegram_payloads import UserPayload

QUEUE_PRINTER = "X5BB005678"
MEASURE_PRINTER = "X4AA001234"
FLAT_TARGET = 1.2


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
