"""A graceful stop of ``chatprint run`` while a job is telling its user "Done".

The bot runs as a child process against the fake Telegram server and the Epson
simulator, as in the soak. Telegram is made to hold the job's first message
unanswered, so that "Done" is still waiting its turn when the job has finished
at Epson; the bot gets SIGTERM then, and Telegram answers a moment later.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from pathlib import Path

from bench.drivers import DONE, bot_on
from bench.files import one_page_pdf
from bench.stage import Stage


def _job_states(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return [row[0] for row in db.execute("SELECT state FROM jobs")]


def _status_reads_after_print(stage: Stage, job_id: str) -> int:
    path = f"/api/2/printing/jobs/{job_id}"
    return sum(r.method == "GET" and r.path == path for r in stage.sim.requests)


async def test_a_stop_lets_a_finishing_job_tell_its_user_before_disconnecting(
    tmp_path: Path,
) -> None:
    async with Stage(tmp_path) as stage, bot_on(stage) as bot:
        user = stage.new_user()
        await stage.link([user])
        answered = stage.telegram.hold("sendMessage")
        stage.send_file(user, one_page_pdf(), "last.pdf")
        await stage.wait_printed(["last.pdf"])
        [record] = stage.printed("last.pdf")
        # The bot has read the final status: the job is telling its user.
        await stage.wait(
            lambda: _status_reads_after_print(stage, record.job_id) > 0,
            "the bot reading the job's final status",
        )
        await asyncio.sleep(0.2)

        stopping = asyncio.create_task(bot.stop(signal.SIGTERM))
        await asyncio.sleep(0.5)
        answered.set()
        exit_status = await stopping

        await stage.wait(lambda: stage.chats.count(user["id"], DONE) == 1, "Done")
        assert exit_status == 0
        assert _job_states(bot.data / "chatprint.db") == ["completed"]
