"""Soak: many users print through faults, token expiry, pauses and killed processes.

The bot runs as ``chatprint run`` in a child process against the fake Telegram
server and the Epson simulator; it is killed with SIGKILL at random moments and
started again. The short case runs in the default suite; the long one is
selected with ``pytest -m soak``. Midway Epson revokes every link, and a crash
can also land between Epson rotating a refresh token and the bot saving it: a
user told that their printer's link broke links it again, as a person would, and
their waiting jobs print then.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
import pytest

from bench.drivers import DONE, bot_on
from bench.files import one_page_pdf
from bench.stage import BotProcess, Stage
from tests.fakes.telegram_payloads import UserPayload

PRINTER = "X4AA001234"
FAULT_RATIO = 0.1
WAVES = 20
# Resident memory of the bot may move this much over the last stretch of a run.
MEMORY_SLACK_MB = 40
# What follows the file name in each other final status message (English).
OTHER_OUTCOMES = (" could not be printed", " expired before", " was canceled")
# In the message telling a user that their printer must be linked again.
RELINK_TOLD = "no longer works, so"
LINK_ANSWER_WAIT = 300.0


@dataclass(frozen=True)
class Plan:
    """How big a soak run is."""

    users: int
    requests: int
    kills: int
    seed: int


# Kills land at any moment, requests in flight included: an update is confirmed
# to Telegram only once the core has recorded it, so none is lost.
SHORT = Plan(users=20, requests=200, kills=1, seed=7)
LONG = Plan(users=100, requests=2000, kills=4, seed=11)


@dataclass
class Run:
    """A soak run in progress: the stage, the bot, and what was asked for."""

    stage: Stage
    bot: BotProcess
    users: list[UserPayload]
    names: dict[str, UserPayload]
    rng: random.Random
    resumed: int = 0
    relinks: dict[int, int] = field(default_factory=dict)


@pytest.mark.timeout(1800)
@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(SHORT, id="short"),
        pytest.param(LONG, id="long", marks=pytest.mark.soak),
    ],
)
async def test_every_request_prints_once_and_is_told_through_faults_and_kills(
    plan: Plan, tmp_path: Path
) -> None:
    async with Stage(tmp_path) as stage, bot_on(stage, log_level="INFO") as bot:
        run = await _start(stage, bot, plan)
        resident = await _send_everything(run, plan)
        await _wait_for_the_end(run)
        grown = (_resident(run.bot) - resident) / 2**20
        await run.bot.stop()

        assert [n for n in run.names if len(stage.printed(n)) != 1] == []
        assert [n for n, u in run.names.items() if not _told(stage, u, n)] == []
        assert _job_states(run.bot) == {"completed"}
        assert list((run.bot.data / "spool").iterdir()) == []
        assert _integrity(run.bot) == "ok"
        assert grown < MEMORY_SLACK_MB


async def _start(stage: Stage, bot: BotProcess, plan: Plan) -> Run:
    users = [stage.new_user() for _ in range(plan.users)]
    await stage.link(users)
    faults = stage.sim.faults
    faults.error_rate(FAULT_RATIO, seed=plan.seed, lost_ratio=0.3)
    faults.latency(0.05, ratio=FAULT_RATIO)
    return Run(stage, bot, users, {}, random.Random(plan.seed))


async def _send_everything(run: Run, plan: Plan) -> int:
    """Send the requests in waves with incidents between them.

    Returns:
        The bot's resident memory after the first wave since its last start.
    """
    kills = set(run.rng.sample(range(1, WAVES - 2), plan.kills))
    incidents = {
        WAVES // 4: _expire_tokens,
        WAVES // 3: _pause,
        3 * WAVES // 5: _revoke_links,
        2 * WAVES // 3: _jam,
    }
    resident = None
    pdf = one_page_pdf()
    for wave in range(WAVES):
        first, end = (plan.requests * n // WAVES for n in (wave, wave + 1))
        _send_wave(run, pdf, first, end)
        if wave in incidents:
            incidents[wave](run)
        await _let_it_work(run)
        resident = resident or _resident(run.bot)
        if wave in kills:
            await _kill_and_restart(run)
            resident = None
    assert resident is not None
    return resident


def _send_wave(run: Run, pdf: bytes, first: int, end: int) -> None:
    for number in range(first, end):
        user = run.users[number % len(run.users)]
        name = f"soak{number:05d}.pdf"
        run.names[name] = user
        run.stage.send_file(user, pdf, name)


async def _let_it_work(run: Run) -> None:
    """Give the bot a random share of a second, resuming paused printers and
    linking again the printers whose users were told to."""
    loop = asyncio.get_running_loop()
    until = loop.time() + run.rng.uniform(0.05, 0.4)
    while loop.time() < until:
        _resume_paused(run)
        await _relink_when_told(run)
        await asyncio.sleep(0.02)


async def _relink_when_told(run: Run) -> None:
    """Each user told that their printer needs linking again follows /link."""
    run.stage.chats.update()
    told = [
        user
        for user in run.users
        if _relink_notices(run.stage, user) > run.relinks.get(user["id"], 0)
    ]
    if not told:
        return
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(_relink(run, session, user) for user in told))


async def _relink(run: Run, session: aiohttp.ClientSession, user: UserPayload) -> None:
    chat = user["id"]
    run.relinks[chat] = _relink_notices(run.stage, user)
    buttons = len(run.stage.chats.urls.get(chat, []))
    run.stage.send_text(user, "/link")
    # A busy bot answers slowly: Telegram lets it send only so many messages a
    # second, and the status messages of 2,000 jobs are queued before this one.
    await run.stage.wait(
        lambda: len(run.stage.chats.urls.get(chat, [])) > buttons,
        "a link button",
        within=LINK_ANSWER_WAIT,
    )
    async with session.get(run.stage.chats.urls[chat][-1]) as response:
        assert response.status == 200, f"link of user {chat}: {response.status}"


def _relink_notices(stage: Stage, user: UserPayload) -> int:
    return stage.chats.count(user["id"], RELINK_TOLD)


def _expire_tokens(run: Run) -> None:
    run.stage.sim.expire_device_tokens()


def _revoke_links(run: Run) -> None:
    # Every user linked the same printer: each must sign in again.
    run.stage.sim.revoke_link(PRINTER)


def _pause(run: Run) -> None:
    run.stage.sim.faults.pause_next_job(PRINTER, "media_empty")


def _jam(run: Run) -> None:
    run.stage.sim.faults.pause_next_job(PRINTER, "media_jam")


def _resume_paused(run: Run) -> None:
    # A resume before the pause would be lost: resume only pauses seen happen.
    if run.stage.clock.pauses > run.resumed:
        run.resumed = run.stage.clock.pauses
        run.stage.sim.resume(PRINTER)


async def _kill_and_restart(run: Run) -> None:
    await run.bot.stop(signal.SIGKILL)
    await run.bot.start()


async def _wait_for_the_end(run: Run) -> None:
    """Wait until every user heard an outcome for each request (or time runs out,
    when the assertions name what is missing)."""

    loop = asyncio.get_running_loop()
    until = loop.time() + 300
    while loop.time() < until:
        _resume_paused(run)
        await _relink_when_told(run)
        with contextlib.suppress(TimeoutError):
            await run.stage.wait(_finished(run), "every outcome", within=0.5)
            return


def _finished(run: Run) -> Callable[[], bool]:
    return lambda: all(_outcome(run.stage, u, n) for n, u in run.names.items())


def _outcome(stage: Stage, user: UserPayload, name: str) -> bool:
    endings = tuple(name + ending for ending in OTHER_OUTCOMES)
    texts = stage.chats.texts.get(user["id"], [])
    return _told(stage, user, name) or any(t.startswith(endings) for t in texts)


def _told(stage: Stage, user: UserPayload, name: str) -> bool:
    texts = stage.chats.texts.get(user["id"], [])
    return any(text.startswith(DONE) and name in text for text in texts)


def _resident(bot: BotProcess) -> int:
    return int(psutil.Process(bot.pid).memory_info().rss)


def _job_states(bot: BotProcess) -> set[str]:
    with sqlite3.connect(bot.data / "chatprint.db") as db:
        return {row[0] for row in db.execute("SELECT DISTINCT state FROM jobs")}


def _integrity(bot: BotProcess) -> str:
    with sqlite3.connect(bot.data / "chatprint.db") as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])
