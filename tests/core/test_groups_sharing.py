"""Sharing a printer with a group: share, unshare, invites, linked identities,
history, owner alerts and forgetting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.commands import (
    ConnectCommand,
    ForgetCommand,
    InviteCommand,
    JobsCommand,
    JoinCommand,
    PolicyCommand,
    ReprintCommand,
    ShareCommand,
    UnshareCommand,
    UsageCommand,
)
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import follow_link, write_pdf
from tests.core.group_chat import epson_job_calls, group_origin, group_print, share
from tests.fakes.chat import ChatRoom

DOCUMENT_PRINTER = "X4AA001234"


async def test_member_prints_on_the_shared_printer_until_it_is_unshared(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    pdf = write_pdf(tmp_path / "a.pdf")
    await linked.service.handle(group_print(room, "bob", pdf))
    await room.wait_for_text("Done:")

    by_member = await linked.service.handle(UnshareCommand(group_origin(room, "bob")))
    by_owner = await linked.service.handle(UnshareCommand(group_origin(room, "alice")))
    after = await linked.service.handle(group_print(room, "bob", pdf))

    assert "Only the printer's owner or an approver" in by_member[0].text
    assert "no longer shared" in by_owner[0].text
    assert "/link" in after[0].text
    assert len(simulator.prints) == 1


async def test_a_member_cannot_share_a_printer_they_do_not_own(
    linked: Runtime, room: ChatRoom
) -> None:
    answers = await linked.service.handle(ShareCommand(group_origin(room, "bob")))

    assert "/link" in answers[0].text
    assert await linked.store.find_group("console", "club") is None


async def test_a_printer_not_shared_with_the_group_cannot_be_named(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    pdf = write_pdf(tmp_path / "a.pdf")

    answers = await linked.service.handle(
        group_print(room, "bob", pdf, 'printer="Other One"')
    )

    assert "no shared printer called" in answers[0].text
    assert epson_job_calls(simulator.requests) == []


async def test_invite_code_shares_once_and_a_revoked_or_expired_one_does_not(
    linked: Runtime, room: ChatRoom
) -> None:
    [invite] = await linked.service.handle(InviteCommand(room.origin("alice")))
    code = invite.text.split("Invite code for ")[1].split(": ")[1].split()[0]

    joined = await linked.service.handle(
        JoinCommand(group_origin(room, "bob"), code=code)
    )
    again = await linked.service.handle(
        JoinCommand(group_origin(room, "bob", chat="other"), code=code)
    )
    [second] = await linked.service.handle(InviteCommand(room.origin("alice")))
    await linked.service.handle(InviteCommand(room.origin("alice"), argument="revoke"))
    revoked_code = second.text.split(": ")[1].split()[0]
    revoked = await linked.service.handle(
        JoinCommand(group_origin(room, "bob", chat="third"), code=revoked_code)
    )

    assert invite.private
    assert "is now shared with Book Club" in joined[0].text
    assert "not valid" in again[0].text
    assert "not valid" in revoked[0].text


async def test_an_expired_invite_code_is_refused(
    linked: Runtime, room: ChatRoom
) -> None:
    alice = await linked.store.find_identity("console", "alice")
    assert alice is not None
    [printer] = await linked.store.load_printers(alice.id)
    past = datetime.now(UTC) - timedelta(minutes=1)
    await linked.store.save_invite("OLDCODE", printer.id, alice.id, past)

    answers = await linked.service.handle(
        JoinCommand(group_origin(room, "bob"), code="oldcode")
    )

    assert "not valid" in answers[0].text


async def test_owner_gets_a_direct_message_when_a_member_job_pauses(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    simulator.faults.pause_next_job(DOCUMENT_PRINTER, "media_empty")

    await linked.service.handle(group_print(room, "bob", write_pdf(tmp_path / "a.pdf")))
    alert = await room.wait_for_text("needs attention")
    simulator.resume(DOCUMENT_PRINTER)
    await room.wait_for_text("Done:")

    [shown] = [s for s in room.shown.values() if "needs attention" in s.message.text]
    assert shown.target.chat_id == shown.target.user_id == "alice"
    assert shown.message.private
    assert "Bob" in alert
    assert "out of paper" in alert


async def test_group_history_lists_who_what_and_outcome_and_reprint_goes_through_policy(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    await linked.service.handle(
        group_print(room, "bob", write_pdf(tmp_path / "one.pdf"))
    )
    await room.wait_for_text("Done:")
    await share(linked, room, "auto=0")

    await linked.service.handle(ReprintCommand(group_origin(room, "bob"), job="1"))
    await room.wait_for_text("waiting for approval")
    [history] = await linked.service.handle(JobsCommand(group_origin(room, "carol")))

    assert "#1 one.pdf · Bob · 1 page · printed" in history.text
    assert "#2 one.pdf · Bob" in history.text
    assert "waiting for approval" in history.text
    assert len(simulator.prints) == 1


async def test_owner_cancels_a_pending_request_a_member_cannot(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    from bot.core.commands import CancelCommand

    await share(linked, room)
    await linked.service.handle(group_print(room, "bob", write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("waiting for approval")

    by_member = await linked.service.handle(
        CancelCommand(group_origin(room, "carol"), job="1")
    )
    await linked.service.handle(CancelCommand(group_origin(room, "alice"), job="1"))
    await room.wait_for_text("was not approved by Alice")

    assert "You have no print job #1" in by_member[0].text
    assert await linked.store.load_unfinished_jobs() == []
    assert epson_job_calls(simulator.requests) == []


async def test_forget_by_a_member_removes_them_from_the_group_history(
    linked: Runtime, room: ChatRoom, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    await linked.service.handle(group_print(room, "bob", write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("Done:")

    await linked.service.handle(ForgetCommand(room.origin("bob"), confirmed=True))
    [history] = await linked.service.handle(JobsCommand(group_origin(room, "alice")))

    assert "Bob" not in history.text
    assert await linked.store.load_group_requests(1) == []


async def test_linked_identities_share_the_printer_and_one_quota_ledger(
    runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    telegram, discord = ChatRoom("telegram"), ChatRoom("discord")
    runtime.service.register(telegram)
    runtime.service.register(discord)
    await follow_link(runtime, telegram, "alice")
    [code] = await runtime.service.handle(ConnectCommand(telegram.origin("alice")))
    owner_code = code.text.split(": ")[1].split()[0]
    await runtime.service.handle(
        ConnectCommand(discord.origin("ally"), code=owner_code)
    )
    await share(runtime, telegram, "auto=all day=2")
    await share(runtime, discord, owner="ally")
    [code] = await runtime.service.handle(ConnectCommand(discord.origin("bobby")))
    member_code = code.text.split(": ")[1].split()[0]
    await runtime.service.handle(
        ConnectCommand(telegram.origin("bob"), code=member_code)
    )
    pdf = write_pdf(tmp_path / "a.pdf")

    await runtime.service.handle(group_print(telegram, "bob", pdf))
    await telegram.wait_for_text("Done:")
    await runtime.service.handle(group_print(discord, "bobby", pdf))
    await discord.wait_for_text("Done:")
    third = await runtime.service.handle(group_print(telegram, "bob", pdf))
    [mine, everyone] = await runtime.service.handle(
        UsageCommand(group_origin(discord, "ally"))
    )

    assert "used 2 of your 2 pages" in third[0].text
    assert "Today: 0" in mine.text
    assert "Bob: 1" in everyone.text
    assert "Bobby: 1" in everyone.text
    assert len(simulator.prints) == 2


async def test_a_connect_code_works_once_and_not_on_the_same_platform(
    runtime: Runtime, room: ChatRoom
) -> None:
    other = ChatRoom("telegram")
    runtime.service.register(other)
    [code] = await runtime.service.handle(ConnectCommand(room.origin("alice")))
    value = code.text.split(": ")[1].split()[0]

    same = await runtime.service.handle(ConnectCommand(room.origin("eve"), code=value))
    [code] = await runtime.service.handle(ConnectCommand(room.origin("alice")))
    value = code.text.split(": ")[1].split()[0]
    first = await runtime.service.handle(ConnectCommand(other.origin("al"), code=value))
    second = await runtime.service.handle(
        ConnectCommand(other.origin("mal"), code=value)
    )

    assert code.private
    assert "not valid" in same[0].text
    assert "now connected" in first[0].text
    assert "not valid" in second[0].text


async def test_sharing_with_a_discord_server_serves_each_of_its_channels(
    runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    discord = ChatRoom("discord")
    runtime.service.register(discord)
    await follow_link(runtime, discord, "alice")
    owner = group_origin(discord, "alice", chat="general", server_id="5")
    await runtime.service.handle(ShareCommand(owner))
    await runtime.service.handle(
        PolicyCommand(
            group_origin(discord, "alice", server_id="5"), argument="auto=all"
        )
    )

    pdf = write_pdf(tmp_path / "a.pdf")
    await runtime.service.handle(
        group_print(discord, "bob", pdf, chat="homework", server_id="5")
    )
    await discord.wait_for_text("Done:")
    other = await runtime.service.handle(
        group_print(discord, "bob", pdf, chat="homework", server_id="6")
    )

    assert await runtime.store.find_group("discord", "server:5") is not None
    assert "/link" in other[0].text
    assert len(simulator.prints) == 1
