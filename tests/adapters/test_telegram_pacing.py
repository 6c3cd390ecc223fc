"""Pacing sends to Telegram: answers to people go before waiting status updates."""

from __future__ import annotations

import asyncio
import itertools

from adapters.telegram_pacing import SendPace


async def _take_turn(
    pace: SendPace, name: str, order: list[str], *, urgent: bool
) -> None:
    await pace.turn(urgent=urgent)
    order.append(name)


async def test_an_answer_goes_before_status_updates_already_waiting() -> None:
    pace = SendPace(rate=50)
    order: list[str] = []
    routine = [
        asyncio.create_task(_take_turn(pace, f"status{i}", order, urgent=False))
        for i in range(5)
    ]
    await asyncio.sleep(0)  # the first takes the free turn, the others wait

    answer = asyncio.create_task(_take_turn(pace, "answer", order, urgent=True))
    await asyncio.gather(*routine, answer)

    assert order == ["status0", "answer", "status1", "status2", "status3", "status4"]


async def test_a_waiter_that_gives_up_does_not_hold_up_the_rest() -> None:
    pace = SendPace(rate=50)
    order: list[str] = []
    first = asyncio.create_task(_take_turn(pace, "first", order, urgent=False))
    leaving = asyncio.create_task(_take_turn(pace, "leaving", order, urgent=False))
    last = asyncio.create_task(_take_turn(pace, "last", order, urgent=False))
    await asyncio.sleep(0)

    leaving.cancel()
    await asyncio.gather(first, last)

    assert order == ["first", "last"]
    assert leaving.cancelled()


async def test_turns_are_handed_out_no_faster_than_the_rate() -> None:
    pace = SendPace(rate=100)
    loop = asyncio.get_running_loop()
    times: list[float] = []

    async def stamp() -> None:
        await pace.turn(urgent=False)
        times.append(loop.time())

    await asyncio.gather(*(stamp() for _ in range(6)))

    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # The event loop may wake late, never early.
    assert min(gaps) >= 0.01 * 0.9
