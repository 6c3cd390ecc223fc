"""Policies of a shared printer: who may print, quotas, hours, forced settings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.core.commands import (
    ApproversCommand,
    PauseCommand,
    PolicyCommand,
    ResumeCommand,
    UsageCommand,
)
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import write_pdf
from tests.core.group_chat import epson_job_calls, group_origin, group_print, share
from tests.fakes.chat import ChatRoom


def _hours_excluding_now() -> str:
    now = datetime.now(UTC)
    start, end = now + timedelta(hours=2), now + timedelta(hours=3)
    return f"{start:%H}:00-{end:%H}:00"


async def test_member_not_listed_is_refused_and_listed_one_prints(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all who=members members=bob")
    pdf = write_pdf(tmp_path / "a.pdf")

    refused = await linked.service.handle(group_print(room, "carol", pdf))
    await linked.service.handle(group_print(room, "bob", pdf))
    await room.wait_for_text("Done:")

    assert "Only the members the owner listed" in refused[0].text
    assert len(simulator.prints) == 1


async def test_member_without_the_role_is_refused_before_anything_is_fetched(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all who=role:77")
    pdf = write_pdf(tmp_path / "a.pdf")

    refused = await linked.service.handle(
        group_print(room, "carol", pdf, roles=("12",))
    )
    await linked.service.handle(group_print(room, "bob", pdf, roles=("77",)))
    await room.wait_for_text("Done:")

    assert "Only members with the role" in refused[0].text
    assert len(simulator.prints) == 1


async def test_quota_reached_is_refused_with_the_reset_time(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all day=2 tz=Asia/Taipei")
    pdf = write_pdf(tmp_path / "two.pdf", pages=2)
    await linked.service.handle(group_print(room, "bob", pdf))
    await room.wait_for_text("Done:")

    refused = await linked.service.handle(group_print(room, "bob", pdf))
    usage = await linked.service.handle(UsageCommand(group_origin(room, "bob")))

    tomorrow = (datetime.now(UTC) + timedelta(hours=8) + timedelta(days=1)).date()
    assert "used 2 of your 2 pages" in refused[0].text
    assert f"{tomorrow} 00:00 (Asia/Taipei)" in refused[0].text
    assert "Today: 2 of 2" in usage[0].text
    assert usage[0].private
    assert len(simulator.prints) == 1


async def test_a_job_over_the_quota_is_stopped_at_the_gate_once_pages_are_known(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all day=2")

    await linked.service.handle(
        group_print(room, "bob", write_pdf(tmp_path / "big.pdf", pages=3))
    )
    text = await room.wait_for_text("could not be printed")

    assert "used 0 of your 2 pages" in text
    assert epson_job_calls(simulator.requests) == []


async def test_outside_allowed_hours_a_request_is_refused_when_set_to_refuse(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, f"auto=all hours={_hours_excluding_now()} outside=refuse")

    refused = await linked.service.handle(
        group_print(room, "bob", write_pdf(tmp_path / "a.pdf"))
    )

    assert "Printing is allowed only from" in refused[0].text
    assert epson_job_calls(simulator.requests) == []


async def test_outside_allowed_hours_a_request_waits_then_prints_at_opening(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    hours = _hours_excluding_now()
    await share(linked, room, f"auto=all hours={hours} outside=wait")
    await linked.service.handle(group_print(room, "bob", write_pdf(tmp_path / "a.pdf")))
    await room.wait_for_text("when the allowed hours begin")
    assert epson_job_calls(simulator.requests) == []
    opening = datetime.now(UTC).replace(minute=1) + timedelta(hours=2)

    linked.service.approvals.clock = lambda: opening
    released = await linked.service.approvals.sweep(opening)
    await room.wait_for_text("Done:")

    assert released == 1
    assert len(simulator.prints) == 1


async def test_forced_mono_and_duplex_reach_the_job_sent_to_epson(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all mono duplex")

    await linked.service.handle(
        group_print(room, "bob", write_pdf(tmp_path / "a.pdf", pages=2), "color")
    )
    await room.wait_for_text("Done:")

    [record] = simulator.prints
    assert record.settings["colorMode"] == "mono"
    assert record.settings["doubleSided"] == "long"


async def test_too_many_copies_or_pages_are_refused(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all max_copies=2 max_pages=2")
    pdf = write_pdf(tmp_path / "long.pdf", pages=3)

    copies = await linked.service.handle(group_print(room, "bob", pdf, "copies=3"))
    await linked.service.handle(group_print(room, "bob", pdf))
    pages = await room.wait_for_text("could not be printed")

    assert "at most 2 copies" in copies[0].text
    assert "at most 2 pages per job" in pages
    assert epson_job_calls(simulator.requests) == []


async def test_two_members_sending_at_once_are_both_printed_once(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    first = write_pdf(tmp_path / "bob.pdf")
    second = write_pdf(tmp_path / "carol.pdf")

    await asyncio.gather(
        linked.service.handle(group_print(room, "bob", first)),
        linked.service.handle(group_print(room, "carol", second)),
    )
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) >= 2)
    await linked.service.runner.wait_idle()

    names = sorted(record.job_name for record in simulator.prints)
    jobs = await linked.store.load_group_requests(1)
    assert names == ["#1 bob.pdf", "#2 carol.pdf"]
    assert [r.job_id for r in jobs] == [2, 1]
    assert {r.status for r in jobs} == {"approved"}


async def test_paused_printer_refuses_members_until_the_owner_resumes(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await share(linked, room, "auto=all")
    pdf = write_pdf(tmp_path / "a.pdf")

    by_member = await linked.service.handle(PauseCommand(group_origin(room, "bob")))
    await linked.service.handle(PauseCommand(group_origin(room, "alice")))
    paused = await linked.service.handle(group_print(room, "bob", pdf))
    await linked.service.handle(ResumeCommand(group_origin(room, "alice")))
    await linked.service.handle(group_print(room, "bob", pdf))
    await room.wait_for_text("Done:")

    assert "Only the printer's owner or an approver" in by_member[0].text
    assert "paused printing for this group" in paused[0].text
    assert len(simulator.prints) == 1


async def test_only_the_owner_names_approvers_and_an_approver_may_then_decide(
    linked: Runtime, room: ChatRoom
) -> None:
    await share(linked, room)

    by_member = await linked.service.handle(
        ApproversCommand(group_origin(room, "bob"), argument="add bob")
    )
    by_owner = await linked.service.handle(
        ApproversCommand(group_origin(room, "alice"), argument="add bob")
    )
    by_approver = await linked.service.handle(
        PolicyCommand(group_origin(room, "bob"), argument="max_pages=9")
    )

    assert "Only the printer's owner can do that" in by_member[0].text
    assert "bob" in by_owner[0].text
    assert "At most 9 pages per job" in by_approver[0].text
