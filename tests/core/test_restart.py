"""A crash at any step: the next process neither loses the request nor prints twice.

Each test plays the part of a process that died right after recording a step: it
brings Epson (the simulator) and the store to exactly that point with the real
client, closes everything, and starts a fresh runtime on the same database.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Config
from bot.core.commands import PrintCommand
from bot.epson.client import EpsonClient
from bot.epson.models import PrintMode
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from storage.records import JobRecord, NewJob, SourceFile
from tests.core.conftest import follow_link, write_pdf
from tests.fakes.chat import ChatRoom, attachment


async def _crash_at(
    config: Config, tmp_path: Path, state: str, *, print_reached_epson: bool = False
) -> JobRecord:
    """Leave one job recorded in ``state``, as a process that died there would."""
    room = ChatRoom()
    async with Runtime(config) as rt:
        rt.service.register(room)
        await rt.serve()
        await follow_link(rt, room)
        identity = await rt.store.find_identity("console", "alice")
        assert identity is not None
        [printer] = await rt.store.load_printers(identity.id)
        pdf = write_pdf(tmp_path / "crash.pdf", pages=2)
        job = await rt.store.add_job(
            NewJob(
                request_key="console:crash",
                identity_id=identity.id,
                printer_id=printer.id,
                chat_id="chat-alice",
                platform="console",
                file_name="crash.pdf",
                spool_path=None,
                print_mode="document",
                options={},
                language="en",
                sources=(SourceFile("crash.pdf", str(pdf), pdf.stat().st_size, False),),
            )
        )
        if state != "received":
            job = await _advance(rt, job, state, pdf, print_reached_epson)
    return job


async def _advance(
    rt: Runtime, job: JobRecord, state: str, pdf: Path, print_reached_epson: bool
) -> JobRecord:
    printer = await rt.store.load_printer(job.printer_id or 0)
    assert printer is not None
    token = printer.tokens.access_token
    client: EpsonClient = rt.client
    settings = await client.fetch_default_settings(token)
    spool = rt.config.storage.database.parent / "spool" / str(job.id)
    spool.mkdir(parents=True, exist_ok=True)
    spooled = spool / "print.pdf"
    spooled.write_bytes(pdf.read_bytes())
    job = await rt.store.update_job(
        job.id,
        state="prepared",
        spool_path=str(spooled),
        pages=2,
        settings=dict(settings.to_wire()),
    )
    if state == "prepared":
        return job
    created = await client.create_job(
        token,
        job_name=f"#{job.id} crash.pdf",
        mode=PrintMode.DOCUMENT,
        settings=settings,
    )
    job = await rt.store.update_job(
        job.id,
        state="created",
        epson_job_id=created.job_id,
        upload_uri=created.upload_uri,
    )
    if state == "created":
        return job
    await client.upload(created.upload_uri, spooled, extension="pdf")
    if state == "uploaded":
        return await rt.store.update_job(job.id, state="uploaded")
    if print_reached_epson:
        await client.start_print(token, created.job_id)
    return await rt.store.update_job(job.id, state=state)


async def _restart_and_finish(config: Config) -> ChatRoom:
    room = ChatRoom()
    async with Runtime(config) as rt:
        rt.service.register(room)
        await rt.serve()
        await room.wait_for_text("Done:")
        await rt.service.runner.wait_idle()
    return room


@pytest.mark.parametrize(
    ("state", "reached"),
    [
        ("received", False),
        ("prepared", False),
        ("created", False),
        ("uploaded", False),
        ("print_requested", False),
        ("print_requested", True),
        ("printing", True),
    ],
)
async def test_crash_at_each_step_prints_exactly_once(
    config: Config,
    simulator: Simulator,
    tmp_path: Path,
    state: str,
    reached: bool,
) -> None:
    job = await _crash_at(config, tmp_path, state, print_reached_epson=reached)

    room = await _restart_and_finish(config)

    assert simulator.prints_of(f"#{job.id} crash.pdf") == 1
    assert len(simulator.prints) == 1
    assert "2 pages" in await room.wait_for_text("Done:")
    assert list((config.storage.database.parent / "spool").iterdir()) == []


async def test_crash_after_epson_created_the_job_but_before_it_was_recorded(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    # The runner records creation, upload and the intent to print as one step:
    # a process that died just before it left an unrecorded job at Epson.
    job = await _crash_at(config, tmp_path, "uploaded")
    job = await _rewind_to_prepared(config, job)

    room = await _restart_and_finish(config)

    assert simulator.prints_of(f"#{job.id} crash.pdf") == 1
    assert len(simulator.prints) == 1
    assert "2 pages" in await room.wait_for_text("Done:")


async def _rewind_to_prepared(config: Config, job: JobRecord) -> JobRecord:
    async with Runtime(config) as rt:
        return await rt.store.update_job(
            job.id, state="prepared", epson_job_id=None, upload_uri=None
        )


async def test_request_recorded_before_the_file_arrives_is_fetched_again(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    room = ChatRoom()
    pdf = write_pdf(tmp_path / "late.pdf")
    async with Runtime(config) as rt:
        rt.service.register(room)
        await rt.serve()
        await follow_link(rt, room)
        simulator.faults.latency(5.0)
        await rt.service.handle(
            PrintCommand(room.origin(), attachments=(attachment(pdf),))
        )
    simulator.faults.clear()
    simulator.faults.latency(0.0)

    await _restart_and_finish(config)

    assert len(simulator.prints) == 1
