"""The printer queue: request order per printer, and a quiet moment for upkeep."""

from __future__ import annotations

import asyncio
import time

from bot.core.printer_queue import PrinterQueue


async def test_quiet_returns_at_once_when_no_job_is_on_its_way() -> None:
    queue = PrinterQueue()
    queue.enter(1, 10)
    await queue.leave(1, 10)

    started = time.monotonic()
    await queue.quiet(5.0)

    assert time.monotonic() - started < 0.5


async def test_quiet_waits_until_the_last_job_of_every_printer_has_left() -> None:
    queue = PrinterQueue()
    queue.enter(1, 10)
    queue.enter(2, 11)
    order: list[str] = []

    async def upkeep() -> None:
        await queue.quiet(5.0)
        order.append("status read")

    reading = asyncio.create_task(upkeep())
    await asyncio.sleep(0.01)
    await queue.leave(1, 10)
    order.append("job 10 at Epson")
    await asyncio.sleep(0.01)
    order.append("job 11 at Epson")
    await queue.leave(2, 11)
    await reading

    assert order == ["job 10 at Epson", "job 11 at Epson", "status read"]


async def test_quiet_gives_up_waiting_after_its_limit() -> None:
    queue = PrinterQueue()
    queue.enter(1, 10)

    started = time.monotonic()
    await queue.quiet(0.05)

    assert 0.04 <= time.monotonic() - started < 1.0


async def test_a_later_job_of_the_same_printer_waits_for_its_turn() -> None:
    queue = PrinterQueue()
    queue.enter(1, 11)
    queue.enter(1, 10)
    turns: list[int] = []

    async def take_turn(job: int) -> None:
        await queue.turn(1, job)
        turns.append(job)
        await queue.leave(1, job)

    await asyncio.gather(take_turn(11), take_turn(10))

    assert turns == [10, 11]
