"""Job lifecycle through the core: refusals, pauses, cancel, restart, tokens."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.config import Config
from bot.core.commands import ButtonCommand, CancelCommand, PrintCommand
from bot.core.tokens import TokenKeeper
from bot.epson.simulator import Simulator, SimulatorSettings
from bot.runtime import Runtime
from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.sqlite import open_store
from tests.core.conftest import SECRET_KEY, follow_link, make_config, write_pdf
from tests.fakes.chat import ChatRoom, attachment
from tests.fakes.loopback import wait_until

MONO_PRINTER = "X5BB005678"
DOCUMENT_PRINTER = "X4AA001234"


def _print(room: ChatRoom, path: Path, options: str = "") -> PrintCommand:
    return PrintCommand(room.origin(), attachments=(attachment(path),), options=options)


async def test_duplex_on_a_printer_without_duplex_is_refused_before_epson(
    runtime: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.next_authorize_outcome(MONO_PRINTER)
    await follow_link(runtime, room)
    pdf = write_pdf(tmp_path / "a.pdf")

    await runtime.service.handle(_print(room, pdf, "duplex"))
    text = await room.wait_for_text("double-sided")

    assert "could not be printed" in text
    assert simulator.prints == []
    assert not any(r.path == "/api/2/printing/jobs" for r in simulator.requests)


async def test_zero_byte_file_gets_its_message_and_leaves_no_files(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")

    await linked.service.handle(_print(room, empty))
    await room.wait_for_text("could not be printed")
    await linked.service.runner.wait_idle()

    assert not any(r.path == "/api/2/printing/jobs" for r in simulator.requests)
    spool = linked.config.storage.database.parent / "spool"
    assert list(spool.iterdir()) == []


async def test_photo_prints_in_photo_mode(
    runtime: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.next_authorize_outcome("X6CC009012")
    await follow_link(runtime, room)
    photo = tmp_path / "cat.jpg"
    Image.new("RGB", (1200, 800), "orange").save(photo)

    await runtime.service.handle(
        PrintCommand(room.origin(), attachments=(attachment(photo, is_photo=True),))
    )
    await room.wait_for_text("Done:")

    [record] = simulator.prints
    assert record.print_mode == "photo"
    assert record.file is not None
    assert record.file.suffix == ".jpg"


async def test_paper_out_is_reported_then_the_job_completes(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.faults.pause_next_job(DOCUMENT_PRINTER, "media_empty")

    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("out of paper")
    simulator.resume(DOCUMENT_PRINTER)

    assert "a.pdf" in await room.wait_for_text("Done:")


@pytest.mark.parametrize("step_seconds", [1.0])
async def test_cancel_before_printing_stops_the_job(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("in the queue")

    answers = await linked.service.handle(CancelCommand(room.origin()))

    assert "is canceled" in answers[0].text
    assert "was canceled" in await room.wait_for_text("was canceled")
    await asyncio.sleep(0)
    assert simulator.prints == []


@pytest.mark.parametrize("step_seconds", [0.4])
async def test_cancel_while_printing_says_to_cancel_on_the_printer(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("is printing")

    answers = await linked.service.handle(CancelCommand(room.origin()))

    assert "on the printer" in answers[0].text
    assert "Done:" in await room.wait_for_text("Done:")


@pytest.mark.parametrize("step_seconds", [1.0])
async def test_cancel_button_on_the_status_message_cancels(
    linked: Runtime, room: ChatRoom, tmp_path: Path
) -> None:
    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("in the queue")
    status = next(s for s in room.shown.values() if s.message.event is not None)
    action = status.message.buttons[0].action
    assert action is not None

    await linked.service.handle(ButtonCommand(room.origin(), action=action))

    assert "was canceled" in await room.wait_for_text("was canceled")


async def test_expired_device_token_is_refreshed_and_the_job_prints(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.expire_device_tokens()

    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))

    assert "Done:" in await room.wait_for_text("Done:")


async def test_concurrent_jobs_after_expiry_refresh_the_token_once(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.expire_device_tokens()
    pdfs = [write_pdf(tmp_path / f"{n}.pdf") for n in range(3)]

    for pdf in pdfs:
        await linked.service.handle(_print(room, pdf))
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) == 3)

    refreshes = [
        r
        for r in simulator.requests
        if r.path == "/auth/token" and b"refresh_token" in r.body
    ]
    assert len(refreshes) == 1


async def test_tokens_rotated_by_another_process_on_the_database_are_used(
    linked: Runtime,
    config: Config,
    room: ChatRoom,
    simulator: Simulator,
    tmp_path: Path,
) -> None:
    # A first print: this process now knows the printer and its tokens.
    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("Done:")
    identity = await linked.store.find_identity("console", "alice")
    assert identity is not None
    [printer] = await linked.store.load_printers(identity.id)
    # Another process on the same database (a second bot during a deploy)
    # refreshes the tokens: Epson retires the old access and refresh tokens.
    simulator.expire_device_tokens()
    cipher = TokenCipher(Secret(SECRET_KEY))
    async with await open_store(config.storage.database, cipher) as other:
        later = TokenKeeper(
            other, linked.client, clock=lambda: datetime.now(UTC) + timedelta(days=1)
        )
        await later.token_for(printer.id)

    await linked.service.handle(_print(room, write_pdf(tmp_path / "b.pdf")))
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) == 2)

    refreshes = [
        r
        for r in simulator.requests
        if r.path == "/auth/token" and b"refresh_token" in r.body
    ]
    assert [r.status for r in refreshes] == [200]


async def test_revoked_link_marks_printer_broken_and_tells_user(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.revoke_link(DOCUMENT_PRINTER)

    await linked.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))

    assert "/link" in await room.wait_for_text("no longer works")


async def test_restart_mid_job_resumes_and_prints_exactly_once(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    room = ChatRoom()
    async with Runtime(config) as first:
        first.service.register(room)
        await first.serve()
        await follow_link(first, room)
        # Slow enough that the job shows "Sending" before it reaches the printer.
        simulator.faults.latency(0.5)
        await first.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
        await room.wait_for_text("Sending")
    simulator.faults.clear()
    # The first process is gone; a new one picks the job up from the store.
    second_room = ChatRoom()
    async with Runtime(config) as second:
        second.service.register(second_room)
        await second.serve()
        await second_room.wait_for_text("Done:")
        await second.service.runner.wait_idle()

    assert len(simulator.prints) == 1


async def test_no_secret_reaches_a_log_record_at_debug(
    config: Config,
    simulator: Simulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    room = ChatRoom()
    async with Runtime(config) as rt:
        rt.service.register(room)
        await rt.serve()
        await follow_link(rt, room)
        simulator.expire_device_tokens()
        await rt.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
        await room.wait_for_text("Done:")
        identity = await rt.store.find_identity("console", "alice")
        assert identity is not None
        [printer] = await rt.store.load_printers(identity.id)
        job = (await rt.store.load_recent_jobs(identity.id))[0]

    secrets = [
        SECRET_KEY,
        simulator.settings.client_secret,
        simulator.settings.api_key,
        printer.tokens.access_token.reveal(),
        printer.tokens.refresh_token.reveal(),
    ]
    if job.upload_uri is not None:
        secrets.append(job.upload_uri.reveal().split("Key=")[1])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert logged
    for secret in secrets:
        assert secret not in logged


async def test_rotated_refresh_token_survives_a_restart(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    room = ChatRoom()
    async with Runtime(config) as first:
        first.service.register(room)
        await first.serve()
        await follow_link(first, room)
        simulator.expire_device_tokens()
        await first.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
        await room.wait_for_text("Done:")
    simulator.expire_device_tokens()
    second_room = ChatRoom()

    async with Runtime(config) as second:
        second.service.register(second_room)
        await second.serve()
        await second.service.handle(_print(second_room, write_pdf(tmp_path / "b.pdf")))
        done = await second_room.wait_for_text("Done:")

    assert "b.pdf" in done
    refreshes = [
        r
        for r in simulator.requests
        if r.path == "/auth/token" and b"refresh_token" in r.body
    ]
    assert [r.status for r in refreshes] == [200, 200]


@pytest.mark.parametrize("token_lifetime", [120])
async def test_token_close_to_expiry_is_refreshed_before_use(
    tmp_path: Path, token_lifetime: int
) -> None:
    settings = SimulatorSettings(
        auto_approve=True, step_seconds=0.01, token_lifetime=token_lifetime
    )
    async with Simulator(settings) as sim:
        config = make_config(tmp_path, sim)
        room = ChatRoom()
        async with Runtime(config) as rt:
            rt.service.register(room)
            await rt.serve()
            await follow_link(rt, room)
            await rt.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
            await room.wait_for_text("Done:")

    assert not any(r.status == 401 for r in sim.requests)
    assert any(
        r.path == "/auth/token" and b"refresh_token" in r.body for r in sim.requests
    )


async def test_stop_during_a_token_refresh_keeps_the_rotated_token(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    room = ChatRoom()
    async with Runtime(config) as first:
        first.service.register(room)
        await first.serve()
        await follow_link(first, room)
        simulator.expire_device_tokens()
        simulator.faults.latency(0.5)
        await first.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
        await _until_a_refresh_is_sent(simulator)
        # The runtime stops while Epson is still answering the refresh.
    simulator.faults.clear()
    simulator.faults.latency(0.0)
    second_room = ChatRoom()

    async with Runtime(config) as second:
        second.service.register(second_room)
        await second.serve()
        done = await second_room.wait_for_text("Done:")

    assert "a.pdf" in done
    token_calls = [r for r in simulator.requests if r.path == "/auth/token"]
    assert all(r.status == 200 for r in token_calls)


async def _until_a_refresh_is_sent(simulator: Simulator) -> None:
    await wait_until(
        lambda: any(
            r.path == "/auth/token" and b"refresh_token" in r.body
            for r in simulator.requests
        ),
        message="a token refresh reached the simulator",
    )
