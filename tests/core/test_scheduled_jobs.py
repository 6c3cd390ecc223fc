"""Scheduled prints watched to their end: done, expired, canceled, across restarts.

The bot's clock is not moved: a sweep is asked with a time days ahead, as the
simulator is asked to run its due schedules, so nothing waits for a real quarter
hour.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Config
from bot.core.commands import (
    CancelCommand,
    JobsCommand,
    PrintCommand,
    ReprintCommand,
)
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from storage.records import JobRecord
from tests.core.conftest import follow_link, free_port, write_pdf
from tests.fakes.chat import ChatRoom, attachment

# Later than any time a print can be scheduled for (14 days at most).
FUTURE = datetime.now(UTC) + timedelta(days=15)


def _print_time() -> str:
    """Two days ahead on the hour, in UTC: always a time Epson accepts."""
    when = datetime.now(UTC) + timedelta(days=2)
    return when.strftime("%Y-%m-%dT%H:00")


async def _schedule(rt: Runtime, room: ChatRoom, tmp_path: Path) -> JobRecord:
    """Schedule a two-page PDF and return its job once the user is told."""
    pdf = write_pdf(tmp_path / "later.pdf", pages=2)
    await rt.service.handle(
        PrintCommand(
            room.origin(),
            attachments=(attachment(pdf),),
            options=f"at={_print_time()} tz=UTC",
        )
    )
    await room.wait_for_text("scheduled to print")
    [job] = await rt.store.load_unfinished_jobs()
    assert job.state == "scheduled"
    return job


async def _state_of(rt: Runtime, job: JobRecord) -> JobRecord:
    await rt.service.runner.wait_idle()
    fresh = await rt.store.load_job(job.id)
    assert fresh is not None
    return fresh


async def test_due_schedule_tells_done_with_pages_and_completes_the_job(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)

    handed = await linked.service.runner.schedules.sweep(FUTURE)
    started = simulator.run_due_schedules(FUTURE)
    done = await room.wait_for_text("Done:")

    assert (handed, started) == (1, 1)
    assert "later.pdf" in done
    assert "2 pages" in done
    fresh = await _state_of(linked, job)
    assert fresh.state == "completed"
    assert fresh.total_pages == 2
    assert simulator.prints_of(f"#{job.id} later.pdf") == 1


async def test_notification_alone_ends_a_schedule_epson_ran(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)

    # No sweep: only Epson's SchedulePrint notification can make the bot look.
    simulator.run_due_schedules(FUTURE)
    done = await room.wait_for_text("Done:")

    assert "2 pages" in done
    assert (await _state_of(linked, job)).state == "completed"


async def test_schedule_not_yet_due_is_left_alone(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)

    handed = await linked.service.runner.schedules.sweep()

    assert handed == 0
    assert (await _state_of(linked, job)).state == "scheduled"
    assert job.epson_job_id is not None
    reads = [r for r in simulator.requests if r.path.endswith(job.epson_job_id)]
    assert [r.method for r in reads] == []


async def test_a_schedule_watched_before_its_time_is_listed_as_scheduled(
    linked: Runtime, room: ChatRoom, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)
    # Handed to the status watch as if its time were a few seconds away.
    await linked.service.runner.schedules.sweep(FUTURE)
    watched = await linked.store.load_job(job.id)

    [listing] = await linked.service.handle(JobsCommand(room.origin()))

    assert watched is not None
    assert watched.state == "printing"
    assert f"#{job.id} later.pdf: scheduled" in listing.text


@pytest.mark.parametrize("due_before_restart", [False, True])
async def test_schedule_made_before_a_restart_is_reported_done_after_it(
    config: Config, simulator: Simulator, tmp_path: Path, due_before_restart: bool
) -> None:
    room = ChatRoom()
    async with Runtime(config) as first:
        first.service.register(room)
        await first.serve()
        await follow_link(first, room)
        job = await _schedule(first, room, tmp_path)
        if due_before_restart:
            await first.service.runner.schedules.sweep(FUTURE)
    # Notifications now go nowhere: only reading the status can end the job.
    unreachable = f"http://127.0.0.1:{free_port()}"
    polling = dataclasses.replace(
        config, web=dataclasses.replace(config.web, public_url=unreachable)
    )

    room = ChatRoom()
    async with Runtime(polling) as second:
        second.service.register(room)
        await second.serve()
        await second.service.runner.schedules.sweep(FUTURE)
        simulator.run_due_schedules(FUTURE)
        done = await room.wait_for_text("Done:")
        fresh = await _state_of(second, job)

    assert "2 pages" in done
    assert fresh.state == "completed"
    assert fresh.total_pages == 2


async def test_schedule_deleted_at_epson_ends_expired_and_tells_the_user(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)
    printer = await linked.store.load_printer(job.printer_id or 0)
    assert printer is not None
    assert job.epson_job_id is not None
    token = printer.tokens.access_token
    await linked.client.delete_schedule(token, job.epson_job_id)

    await linked.service.runner.schedules.sweep(FUTURE)
    expired = await room.wait_for_text("expired")

    assert "later.pdf" in expired
    assert (await _state_of(linked, job)).state == "expired"
    assert simulator.run_due_schedules(FUTURE) == 0


async def test_cancel_of_a_due_schedule_not_yet_started_deletes_it(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)
    await linked.service.runner.schedules.sweep(FUTURE)

    [answer] = await linked.service.handle(
        CancelCommand(room.origin(), job=str(job.id))
    )

    assert "is canceled" in answer.text
    deletes = [r for r in simulator.requests if r.method == "DELETE"]
    assert [r.status for r in deletes] == [204]
    assert (await _state_of(linked, job)).state == "canceled"
    assert simulator.run_due_schedules(FUTURE) == 0
    assert not any("Done:" in text for text in room.texts())


@pytest.mark.parametrize("step_seconds", [0.5])
async def test_cancel_once_epson_started_a_schedule_is_too_late_and_done_follows(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)
    simulator.run_due_schedules(FUTURE)

    [answer] = await linked.service.handle(
        CancelCommand(room.origin(), job=str(job.id))
    )
    done = await room.wait_for_text("Done:")

    assert "can no longer be canceled" in answer.text
    assert "2 pages" in done
    assert (await _state_of(linked, job)).state == "completed"


async def test_a_completed_scheduled_print_reprints_now_and_once(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    job = await _schedule(linked, room, tmp_path)
    await linked.service.runner.schedules.sweep(FUTURE)
    simulator.run_due_schedules(FUTURE)
    await room.wait_for_text("Done:")
    await linked.service.runner.wait_idle()

    await linked.service.handle(ReprintCommand(room.origin(), job=str(job.id)))
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) >= 2)
    await linked.service.runner.wait_idle()

    reprint = (await linked.store.load_recent_jobs(job.identity_id))[0]
    assert (reprint.state, reprint.scheduled_for) == ("completed", None)
    assert len(simulator.prints) == 2
