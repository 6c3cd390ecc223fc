"""The group's default printer among several shared ones: ``/share default NAME``."""

from __future__ import annotations

from bot.core.commands import PauseCommand, ShareCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import follow_link
from tests.core.group_chat import group_origin
from tests.fakes.chat import ChatRoom

SECOND_PRINTER = "X5BB005678"


async def _share_two(runtime: Runtime, room: ChatRoom, simulator: Simulator) -> None:
    """Alice links a second printer and shares both with the group."""
    simulator.next_authorize_outcome(SECOND_PRINTER)
    await follow_link(runtime, room)
    for name in ("EW-M873T", "PX-S887"):
        [answer] = await runtime.service.handle(
            ShareCommand(group_origin(room, "alice"), argument=name)
        )
        assert "is now shared" in answer.text, answer


async def _pause_default(runtime: Runtime, room: ChatRoom) -> str:
    [answer] = await runtime.service.handle(PauseCommand(group_origin(room, "alice")))
    return answer.text


async def test_share_default_makes_another_shared_printer_the_groups_default(
    linked: Runtime, room: ChatRoom, simulator: Simulator
) -> None:
    await _share_two(linked, room, simulator)
    before = await _pause_default(linked, room)

    [answer] = await linked.service.handle(
        ShareCommand(group_origin(room, "alice"), argument="default px-s887")
    )

    assert before.startswith("Printing on EW-M873T is paused")
    assert answer.text == "PX-S887 is now the group's default printer."
    assert (await _pause_default(linked, room)).startswith("Printing on PX-S887")


async def test_share_default_without_a_name_lists_the_shared_printers(
    linked: Runtime, room: ChatRoom, simulator: Simulator
) -> None:
    await _share_two(linked, room, simulator)

    [answer] = await linked.service.handle(
        ShareCommand(group_origin(room, "alice"), argument="default")
    )

    assert "Shared here: EW-M873T, PX-S887." in answer.text
    assert (await _pause_default(linked, room)).startswith("Printing on EW-M873T")


async def test_share_default_needs_a_printer_shared_here_and_a_manager(
    linked: Runtime, room: ChatRoom, simulator: Simulator
) -> None:
    await _share_two(linked, room, simulator)

    [by_member] = await linked.service.handle(
        ShareCommand(group_origin(room, "bob"), argument="default PX-S887")
    )
    [unshared] = await linked.service.handle(
        ShareCommand(group_origin(room, "alice"), argument="default EP-887A")
    )

    assert "Only the printer's owner or an approver" in by_member.text
    assert 'no shared printer called "EP-887A"' in unshared.text
    assert (await _pause_default(linked, room)).startswith("Printing on EW-M873T")


async def test_share_default_in_a_group_without_shares_says_none_is_shared(
    linked: Runtime, room: ChatRoom
) -> None:
    [answer] = await linked.service.handle(
        ShareCommand(group_origin(room, "alice"), argument="default")
    )

    assert "No printer is shared with this group yet" in answer.text
