"""Group requests held for approval: approve, deny, expiry, rights, restart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Config
from bot.core.commands import ButtonCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import write_pdf
from tests.core.group_chat import (
    approval_messages,
    button,
    epson_job_calls,
    group_origin,
    group_print,
    share,
)
from tests.fakes.chat import ChatRoom


async def _held(linked: Runtime, room: ChatRoom, tmp_path: Path, pages: int = 3) -> str:
    await share(linked, room, "auto=1")
    pdf = write_pdf(tmp_path / "essay.pdf", pages=pages)
    await linked.service.handle(group_print(room, "bob", pdf))
    return await room.wait_for_text("waiting for approval")


async def test_member_request_under_the_auto_limit_prints_without_approval(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=5")
    pdf = write_pdf(tmp_path / "flyer.pdf", pages=2)

    answers = await linked.service.handle(group_print(room, "bob", pdf))
    done = await room.wait_for_text("Done:")

    assert answers == []
    assert "flyer.pdf" in done
    assert approval_messages(room) == []
    assert len(simulator.prints) == 1


async def test_held_request_shows_preview_and_reaches_epson_only_after_approve(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    held = await _held(linked, room, tmp_path)
    [approval] = approval_messages(room)

    assert "3 pages" in held
    assert "Bob asks to print essay.pdf" in approval.message.text
    assert approval.message.image is not None
    assert approval.message.image.exists()
    assert epson_job_calls(simulator.requests) == []

    press = ButtonCommand(
        group_origin(room, "alice"), action=button(approval, "approve").action or ""
    )
    assert await linked.service.handle(press) == []
    await room.wait_for_text("Done:")

    assert len(simulator.prints) == 1
    assert "Approved by Alice" in approval.message.text
    assert approval.message.buttons == ()


async def test_a_member_pressing_approve_is_refused_and_nothing_prints(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await _held(linked, room, tmp_path)
    [approval] = approval_messages(room)

    action = button(approval, "approve").action or ""
    answers = await linked.service.handle(
        ButtonCommand(group_origin(room, "bob"), action=action)
    )

    assert "Only the printer's owner or an approver" in answers[0].text
    job = (await linked.store.load_unfinished_jobs())[0]
    assert job.state == "held"
    assert epson_job_calls(simulator.requests) == []


async def test_denied_request_is_canceled_and_the_requester_is_told(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await _held(linked, room, tmp_path)
    [approval] = approval_messages(room)

    action = button(approval, "deny").action or ""
    await linked.service.handle(
        ButtonCommand(group_origin(room, "alice"), action=action)
    )
    told = await room.wait_for_text("was not approved by Alice")

    assert "essay.pdf" in told
    assert "Denied by Alice" in approval.message.text
    assert await linked.store.load_unfinished_jobs() == []
    assert epson_job_calls(simulator.requests) == []


async def test_pressing_approve_twice_prints_once(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await _held(linked, room, tmp_path)
    [approval] = approval_messages(room)
    action = button(approval, "approve").action or ""

    await linked.service.handle(
        ButtonCommand(group_origin(room, "alice"), action=action)
    )
    again = await linked.service.handle(
        ButtonCommand(group_origin(room, "alice"), action=action)
    )
    await room.wait_for_text("Done:")
    await linked.service.runner.wait_idle()

    assert "already been decided" in again[0].text
    assert len(simulator.prints) == 1


async def test_pending_request_expires_and_the_requester_is_told(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await _held(linked, room, tmp_path)
    later = datetime.now(UTC) + timedelta(days=2)

    expired = await linked.service.approvals.sweep(later)
    told = await room.wait_for_text("not approved in time")

    assert expired == 1
    assert "essay.pdf" in told
    assert await linked.store.load_unfinished_jobs() == []
    assert epson_job_calls(simulator.requests) == []


async def test_held_request_survives_a_restart_and_prints_when_approved(
    linked: Runtime,
    room: ChatRoom,
    config: Config,
    simulator: Simulator,
    tmp_path: Path,
) -> None:
    await _held(linked, room, tmp_path)
    [approval] = approval_messages(room)
    action = button(approval, "approve").action or ""
    await linked.close()

    async with Runtime(config) as again:
        again.service.register(room)
        await again.serve()
        [job] = await again.store.load_unfinished_jobs()
        assert job.state == "held"
        assert epson_job_calls(simulator.requests) == []
        await again.service.handle(
            ButtonCommand(group_origin(room, "alice"), action=action)
        )
        await room.wait_for_text("Done:")

    assert len(simulator.prints) == 1


async def test_private_approvals_go_to_the_owner_and_are_decided_there(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "approvals=private")
    await linked.service.handle(
        group_print(room, "bob", write_pdf(tmp_path / "note.pdf"))
    )
    await room.wait_for(lambda: bool(approval_messages(room)))
    [approval] = approval_messages(room)

    action = button(approval, "approve").action or ""
    await linked.service.handle(ButtonCommand(room.origin("alice"), action=action))
    await room.wait_for_text("Done:")

    assert approval.target.chat_id == approval.target.user_id == "alice"
    assert approval.message.private
    assert len(simulator.prints) == 1


async def test_approvers_who_missed_a_request_in_a_crash_see_it_after_restart(
    linked: Runtime, room: ChatRoom, config: Config, tmp_path: Path
) -> None:
    await _held(linked, room, tmp_path)
    [job] = await linked.store.load_unfinished_jobs()
    await linked.store.update_group_request(job.id, notices=())
    await linked.close()
    room.shown.clear()

    async with Runtime(config) as again:
        again.service.register(room)
        await again.serve()
        await room.wait_for(lambda: bool(approval_messages(room)))
        request = await again.store.load_group_request(job.id)

    assert request is not None
    assert len(request.notices) == 1


async def test_the_expiry_sweep_runs_again_after_a_restart(
    linked: Runtime, room: ChatRoom, config: Config, tmp_path: Path
) -> None:
    await _held(linked, room, tmp_path)
    await linked.close()
    later = datetime.now(UTC) + timedelta(days=2)

    async with Runtime(config) as again:
        again.service.approvals.clock = lambda: later
        again.service.register(room)
        await again.serve()
        told = await room.wait_for_text("not approved in time")
        unfinished = await again.store.load_unfinished_jobs()

    assert "essay.pdf" in told
    assert unfinished == []
