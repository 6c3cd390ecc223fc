"""A printer link that breaks mid-job: the job waits, the user is told, and a new
link prints it exactly once; refreshes of many printers stay few at a time."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Config
from bot.core.commands import PrintCommand
from bot.core.link_waits import LINK_WAIT, RELINK
from bot.core.tokens import REFRESH_CONCURRENCY
from bot.epson.models import PrintMode
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from storage.records import JobRecord, LinkState, NewJob, Printer, SourceFile
from tests.core.conftest import follow_link, write_pdf
from tests.core.group_chat import group_print, share
from tests.fakes.chat import ChatRoom, attachment
from tests.fakes.loopback import wait_until

PRINTER = "X4AA001234"
TOLD = "no longer works"


def _print(room: ChatRoom, path: Path, user: str = "alice") -> PrintCommand:
    return PrintCommand(room.origin(user), attachments=(attachment(path),))


def _break_link(simulator: Simulator) -> None:
    """Epson forgets the link: the access token fails, the refresh is refused."""
    simulator.revoke_link(PRINTER)


async def _only_job(runtime: Runtime) -> JobRecord:
    [job] = await runtime.store.load_unfinished_jobs()
    return job


async def _wait_for_state(runtime: Runtime, state: str) -> JobRecord:
    async def reached() -> bool:
        jobs = await runtime.store.load_unfinished_jobs()
        return [job.state for job in jobs] == [state]

    await wait_until(reached, message=f"the job in state {state}")
    return await _only_job(runtime)


@pytest.mark.parametrize("step_seconds", [0.5])
async def test_link_broken_while_printing_holds_the_job_until_linked_again(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    await _wait_for_state(linked, "printing")

    _break_link(simulator)
    held = await _wait_for_state(linked, RELINK)
    told = await room.wait_for_text(TOLD)
    printer = await linked.store.load_printer(held.printer_id or 0)

    assert "/link" in told
    assert "a.pdf" in told
    assert printer is not None
    assert printer.state is LinkState.BROKEN
    assert not any("could not be printed" in t for t in room.texts())

    await follow_link(linked, room)
    done = await room.wait_for_text("Done:")
    await linked.service.runner.wait_idle()

    assert "a.pdf" in done
    assert len(simulator.prints) == 1
    assert sum(TOLD in t for t in room.texts()) == 1


async def test_every_waiting_job_prints_once_and_the_user_is_told_once(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    _break_link(simulator)
    names = [f"{n}.pdf" for n in range(3)]

    for name in names:
        await linked.service.handle(_print(room, write_pdf(tmp_path / name)))
    await linked.service.runner.wait_idle()
    waiting = await linked.store.load_unfinished_jobs()

    assert [job.state for job in waiting] == [RELINK] * 3
    assert sum(TOLD in t for t in room.texts()) == 1

    await follow_link(linked, room)
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) == 3)
    await linked.service.runner.wait_idle()

    printed = sorted(record.job_name.rpartition(" ")[2] for record in simulator.prints)
    assert printed == names


async def test_member_and_owner_are_told_when_a_shared_printer_link_breaks(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    _break_link(simulator)

    await linked.service.handle(group_print(room, "bob", write_pdf(tmp_path / "b.pdf")))
    await _wait_for_state(linked, RELINK)
    await room.wait_for(lambda: len(_told_privately(room)) == 2)
    told = _told_privately(room)

    assert "bob" in told
    assert "Ask the printer's owner" in told["bob"]
    assert "Send /link" in told["alice"]

    await follow_link(linked, room)
    await room.wait_for_text("Done:")

    assert len(simulator.prints) == 1


def _told_privately(room: ChatRoom) -> dict[str, str]:
    return {
        shown.target.user_id: shown.message.text
        for shown in room.shown.values()
        if TOLD in shown.message.text and shown.target.chat_id == shown.target.user_id
    }


async def test_print_call_refused_by_a_broken_link_is_made_once_after_relinking(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    room = ChatRoom()
    async with Runtime(config) as first:
        first.service.register(room)
        await first.serve()
        await follow_link(first, room)
        job = await _uploaded_job(first, write_pdf(tmp_path / "up.pdf"))
    _break_link(simulator)

    async with Runtime(config) as second:
        second.service.register(room)
        await second.serve()
        await room.wait_for_text(TOLD)
        held = await _wait_for_state(second, RELINK)
        await follow_link(second, room)
        await room.wait_for_text("Done:")
        await second.service.runner.wait_idle()
        final = await second.store.load_job(job.id)

    assert held.id == job.id
    assert final is not None
    assert final.state == "completed"
    assert final.epson_job_id == job.epson_job_id
    assert len(simulator.prints) == 1


async def test_job_left_uploaded_by_an_older_version_is_created_again_after_relinking(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    room = ChatRoom()
    async with Runtime(config) as first:
        first.service.register(room)
        await first.serve()
        await follow_link(first, room)
        job = await _uploaded_job(first, write_pdf(tmp_path / "up.pdf"))
        # As an older version would leave it: waiting for a link from 'uploaded'.
        await first.store.update_job(job.id, state=RELINK)
        await first.store.mark_printer_broken(job.printer_id or 0)
    _break_link(simulator)

    async with Runtime(config) as second:
        second.service.register(room)
        await second.serve()
        await follow_link(second, room)
        await room.wait_for_text("Done:")
        await second.service.runner.wait_idle()
        final = await second.store.load_job(job.id)

    assert final is not None
    assert final.epson_job_id not in (None, job.epson_job_id)
    [printed] = simulator.prints
    assert printed.job_id == final.epson_job_id


async def test_job_waiting_for_a_link_survives_a_restart(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    room = ChatRoom()
    async with Runtime(config) as first:
        first.service.register(room)
        await first.serve()
        await follow_link(first, room)
        _break_link(simulator)
        await first.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
        await _wait_for_state(first, RELINK)

    async with Runtime(config) as second:
        second.service.register(room)
        await second.serve()
        still = await _only_job(second)
        await follow_link(second, room)
        await room.wait_for_text("Done:")

    assert still.state == RELINK
    assert len(simulator.prints) == 1


async def test_job_still_waiting_after_a_day_expires_and_the_user_is_told(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    _break_link(simulator)
    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    job = await _wait_for_state(linked, RELINK)
    runner = linked.service.runner

    early = await runner.expire_link_waits(datetime.now(UTC) + LINK_WAIT / 2)
    late = await runner.expire_link_waits(datetime.now(UTC) + LINK_WAIT)
    final = await linked.store.load_job(job.id)

    assert (early, late) == (0, 1)
    assert final is not None
    assert final.state == "expired"
    assert "a.pdf expired" in await room.wait_for_text("expired")
    assert simulator.prints == []


@pytest.mark.parametrize("step_seconds", [0.5])
async def test_a_job_sent_to_the_printer_that_expires_waiting_says_it_may_have_printed(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    await _wait_for_state(linked, "printing")
    _break_link(simulator)
    job = await _wait_for_state(linked, RELINK)

    await linked.service.runner.expire_link_waits(datetime.now(UTC) + LINK_WAIT)
    told = await room.wait_for_text("Check the printer")

    assert "a.pdf" in told
    assert not any("expired before it printed" in t for t in room.texts())
    final = await linked.store.load_job(job.id)
    assert final is not None
    assert final.state == "expired"


async def test_refreshes_of_many_printers_are_few_at_a_time(
    runtime: Runtime, room: ChatRoom, simulator: Simulator
) -> None:
    users = [f"user{n}" for n in range(3 * REFRESH_CONCURRENCY)]
    for user in users:
        await follow_link(runtime, room, user)
    printers = [p.id for p in await _printers(runtime, users)]
    simulator.expire_device_tokens()
    simulator.faults.latency(0.1)
    tokens, client = runtime.service.tokens, runtime.client
    most = 0

    async def watch() -> None:
        nonlocal most
        while True:
            most = max(most, _refreshes_in_flight(simulator))
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    await asyncio.gather(
        *(tokens.call(p, client.fetch_default_settings) for p in printers)
    )
    watcher.cancel()

    refreshed = [r for r in simulator.requests if _is_refresh(r.path, r.body)]
    assert len(refreshed) == len(printers)
    assert all(r.status == 200 for r in refreshed)
    assert 1 < most <= REFRESH_CONCURRENCY


async def _printers(runtime: Runtime, users: list[str]) -> list[Printer]:
    found: list[Printer] = []
    for user in users:
        identity = await runtime.store.find_identity("console", user)
        assert identity is not None
        found += await runtime.store.load_printers(identity.id)
    return found


def _refreshes_in_flight(simulator: Simulator) -> int:
    return sum(
        r.status == 0 and _is_refresh(r.path, r.body) for r in simulator.requests
    )


def _is_refresh(path: str, body: bytes) -> bool:
    return path == "/auth/token" and b"grant_type=refresh_token" in body


async def _uploaded_job(rt: Runtime, pdf: Path) -> JobRecord:
    """A job created at Epson and uploaded, but not yet asked to print."""
    identity = await rt.store.find_identity("console", "alice")
    assert identity is not None
    [printer] = await rt.store.load_printers(identity.id)
    token = printer.tokens.access_token
    settings = await rt.client.fetch_default_settings(token)
    spool = rt.config.storage.database.parent / "spool" / "up"
    spool.mkdir(parents=True, exist_ok=True)
    spooled = spool / "print.pdf"
    spooled.write_bytes(pdf.read_bytes())
    job = await rt.store.add_job(
        NewJob(
            request_key="console:up",
            identity_id=identity.id,
            printer_id=printer.id,
            chat_id="chat-alice",
            platform="console",
            file_name="up.pdf",
            spool_path=None,
            print_mode="document",
            options={},
            language="en",
            sources=(SourceFile("up.pdf", str(pdf), pdf.stat().st_size, False),),
        )
    )
    await rt.store.update_job(
        job.id,
        state="prepared",
        spool_path=str(spooled),
        pages=1,
        settings=dict(settings.to_wire()),
    )
    created = await rt.client.create_job(
        token, job_name=f"#{job.id} up.pdf", mode=PrintMode.DOCUMENT, settings=settings
    )
    await rt.client.upload(created.upload_uri, spooled, extension="pdf")
    await rt.store.update_job(
        job.id,
        state="created",
        epson_job_id=created.job_id,
        upload_uri=created.upload_uri,
    )
    return await rt.store.update_job(job.id, state="uploaded")
