"""Driving requests through a stage: the bot or the floor, one by one or at once."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bench.stage import BotProcess, ChildProcess, Stage
from tests.fakes.telegram_payloads import UserPayload

DONE = "Done:"


@dataclass(frozen=True)
class Burst:
    """Requests sent at one moment: each one's latency and the time to drain."""

    latencies: list[float]
    drain: float
    names: list[str]


@asynccontextmanager
async def floor_on(stage: Stage) -> AsyncIterator[ChildProcess]:
    """The floor client, polling the stage's Telegram with its own device token."""
    token = await stage.device_token()
    settings = {
        "telegram": stage.telegram.url,
        "token": stage.telegram.token,
        "api": f"{stage.sim.url}/api/2",
        "api_key": stage.sim.settings.api_key,
        "device_token": token.reveal(),
    }
    floor = ChildProcess(["-m", "bench.floor"], stage.root / "floor.log", {})
    await floor.start(json.dumps(settings).encode())
    try:
        await stage.telegram.wait_until_polling(30)
        yield floor
    finally:
        await floor.stop()


@asynccontextmanager
async def bot_on(
    stage: Stage, *, log_level: str = "WARNING"
) -> AsyncIterator[BotProcess]:
    """``chatprint run`` against the stage, stopped by SIGTERM on exit."""
    bot = BotProcess(stage, log_level=log_level)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


async def one_by_one(
    stage: Stage,
    user: UserPayload,
    data: bytes,
    count: int,
    *,
    prefix: str,
    until_done: bool,
) -> list[float]:
    """Send ``count`` prints one after another; return each one's latency.

    Args:
        until_done: Wait for the bot's "Done" message before the next request,
            so that no request shares the bot with the previous one's upkeep.
    """
    latencies = []
    done_before = stage.chats.count(user["id"], DONE)
    for index, name in enumerate(request_names(prefix, count)):
        start = stage.send_file(user, data, name)
        await stage.wait_printed([name])
        latencies.append(stage.print_time(name) - start)
        if until_done:
            await wait_done(stage, [user], done_before + index + 1)
    return latencies


async def at_once(
    stage: Stage, users: list[UserPayload], data: bytes, *, prefix: str
) -> Burst:
    """Send one print from each user at the same moment."""
    names = request_names(prefix, len(users))
    starts = [
        stage.send_file(user, data, name)
        for user, name in zip(users, names, strict=True)
    ]
    await stage.wait_printed(names, within=600)
    ends = [stage.print_time(name) for name in names]
    latencies = [end - start for start, end in zip(starts, ends, strict=True)]
    return Burst(latencies, max(ends) - min(starts), names)


def request_names(prefix: str, count: int) -> list[str]:
    """The file names of ``count`` requests sent with ``prefix``."""
    return [f"{prefix}{index:05d}.pdf" for index in range(count)]


async def wait_done(
    stage: Stage, users: list[UserPayload], count: int = 1, within: float = 600
) -> None:
    """Wait until each user has been told "Done" ``count`` times."""
    await stage.wait(
        lambda: all(stage.chats.count(u["id"], DONE) >= count for u in users),
        "every Done message",
        within,
    )


def printed_once(stage: Stage, names: list[str]) -> bool:
    """Whether each file in ``names`` reached the printer exactly once."""
    return all(len(stage.printed(name)) == 1 for name in names)
