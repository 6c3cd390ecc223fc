"""Account and job commands, the settings card, albums, reprint and schedules."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bot.core.chat import OutgoingMessage
from bot.core.commands import (
    ButtonCommand,
    CancelCommand,
    ForgetCommand,
    JobsCommand,
    PrintCommand,
    PrintersCommand,
    ReprintCommand,
    SettingsCommand,
    StatusCommand,
    UnlinkCommand,
)
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import follow_link, write_pdf
from tests.fakes.chat import ChatRoom, attachment


def _action(message: OutgoingMessage, prefix: str) -> str:
    return next(
        b.action for b in message.buttons if b.action and b.action.startswith(prefix)
    )


async def test_card_changes_settings_then_prints_with_them(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf")
    [card] = await linked.service.handle(
        PrintCommand(room.origin(), attachments=(attachment(pdf),), ask=True)
    )
    assert "Print a.pdf" in card.text

    [card] = await linked.service.handle(
        ButtonCommand(room.origin(), action=_action(card, "set:"))
    )
    [card] = await linked.service.handle(
        ButtonCommand(
            room.origin(),
            action=next(
                b.action for b in card.buttons if b.action and "color=mono" in b.action
            ),
        )
    )
    await linked.service.handle(
        ButtonCommand(room.origin(), action=_action(card, "go:"))
    )
    await room.wait_for_text("Done:")

    [record] = simulator.prints
    assert record.settings["copies"] == 2
    assert record.settings["colorMode"] == "mono"


async def test_card_on_a_printer_without_duplex_offers_no_duplex_button(
    runtime: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.next_authorize_outcome("X5BB005678")
    await follow_link(runtime, room)

    [card] = await runtime.service.handle(
        PrintCommand(
            room.origin(),
            attachments=(attachment(write_pdf(tmp_path / "a.pdf")),),
            ask=True,
        )
    )

    actions = [b.action or "" for b in card.buttons]
    assert not any("duplex" in a for a in actions)
    assert not any("color=" in a for a in actions)


async def test_a_used_card_cannot_print_twice(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    [card] = await linked.service.handle(
        PrintCommand(
            room.origin(),
            attachments=(attachment(write_pdf(tmp_path / "a.pdf")),),
            ask=True,
        )
    )
    go = _action(card, "go:")

    await linked.service.handle(ButtonCommand(room.origin(), action=go))
    [again] = await linked.service.handle(ButtonCommand(room.origin(), action=go))
    await room.wait_for_text("Done:")
    await linked.service.runner.wait_idle()

    assert "already used" in again.text
    assert len(simulator.prints) == 1


@pytest.mark.parametrize(("choice", "expected"), [("one", 1), ("each", 3)])
async def test_album_prints_as_one_pdf_or_separately(
    linked: Runtime,
    room: ChatRoom,
    simulator: Simulator,
    tmp_path: Path,
    choice: str,
    expected: int,
) -> None:
    photos = []
    for n in range(3):
        Image.new("RGB", (600, 400), (n * 80, 90, 120)).save(tmp_path / f"p{n}.jpg")
        photos.append(attachment(tmp_path / f"p{n}.jpg", is_photo=True))
    [card] = await linked.service.handle(
        PrintCommand(room.origin(), attachments=tuple(photos))
    )

    choose = next(b.action for b in card.buttons if (b.action or "").endswith(choice))
    await linked.service.handle(ButtonCommand(room.origin(), action=choose or ""))
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) == expected)

    assert len(simulator.prints) == expected


async def test_reprint_uses_epson_copy_of_the_finished_job(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await linked.service.handle(
        PrintCommand(
            room.origin(), attachments=(attachment(write_pdf(tmp_path / "a.pdf")),)
        )
    )
    await room.wait_for_text("Done:")

    await linked.service.handle(ReprintCommand(room.origin(), job="1"))
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) >= 2)

    assert len(simulator.prints) == 2
    assert any(r.path == "/api/2/printing/jobs/copy" for r in simulator.requests)


async def test_scheduled_print_is_reserved_at_epson(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    [refused] = await linked.service.handle(
        PrintCommand(
            room.origin(),
            attachments=(attachment(write_pdf(tmp_path / "a.pdf")),),
            options="at=2099-01-01T09:00",
        )
    )
    # Far beyond 14 days: refused at once, with the allowed window.
    assert "14" in refused.text

    await linked.service.handle(
        PrintCommand(
            room.origin(),
            attachments=(attachment(write_pdf(tmp_path / "b.pdf")),),
            options="at=23:45 tz=Asia/Taipei",
        )
    )
    text = await room.wait_for_text("scheduled")

    assert "b.pdf" in text
    assert any(r.path.endswith("/reserve") for r in simulator.requests)
    assert simulator.prints == []


async def test_settings_are_saved_and_used_as_defaults(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    [saved] = await linked.service.handle(
        SettingsCommand(room.origin(), options="mono copies=3")
    )
    [shown] = await linked.service.handle(SettingsCommand(room.origin()))

    await linked.service.handle(
        PrintCommand(
            room.origin(), attachments=(attachment(write_pdf(tmp_path / "a.pdf")),)
        )
    )
    await room.wait_for_text("Done:")

    assert "copies=3" in saved.text
    assert "copies=3" in shown.text
    [record] = simulator.prints
    assert record.settings["colorMode"] == "mono"
    assert record.settings["copies"] == 3


async def test_jobs_and_status_list_only_the_users_own_jobs(
    linked: Runtime, room: ChatRoom, tmp_path: Path
) -> None:
    await linked.service.handle(
        PrintCommand(
            room.origin(), attachments=(attachment(write_pdf(tmp_path / "a.pdf")),)
        )
    )
    await room.wait_for_text("Done:")

    [mine] = await linked.service.handle(JobsCommand(room.origin()))
    [theirs] = await linked.service.handle(JobsCommand(room.origin("mallory")))
    [peek] = await linked.service.handle(StatusCommand(room.origin("mallory"), job="1"))

    assert "a.pdf" in mine.text
    assert "a.pdf" not in theirs.text
    assert "a.pdf" not in peek.text
    assert "no print job #1" in peek.text


async def test_printers_unlink_and_forget(
    linked: Runtime, room: ChatRoom, simulator: Simulator
) -> None:
    simulator.next_authorize_outcome("X6CC009012")
    await follow_link(linked, room)

    [listing] = await linked.service.handle(PrintersCommand(room.origin()))
    [default] = await linked.service.handle(
        PrintersCommand(room.origin(), argument="default EP-887A")
    )
    [unlinked] = await linked.service.handle(
        UnlinkCommand(room.origin(), printer="EW-M873T")
    )
    [ask] = await linked.service.handle(ForgetCommand(room.origin()))
    [gone] = await linked.service.handle(
        ButtonCommand(room.origin(), action="forget:yes")
    )

    assert "EW-M873T" in listing.text
    assert "EP-887A" in listing.text
    assert "EP-887A" in default.text
    assert "EW-M873T" in unlinked.text
    assert ask.buttons
    assert "deleted" in gone.text
    assert await linked.store.find_identity("console", "alice") is None


async def test_reprint_uploads_again_when_epson_refuses_the_copy(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await linked.service.handle(
        PrintCommand(
            room.origin(), attachments=(attachment(write_pdf(tmp_path / "a.pdf")),)
        )
    )
    await room.wait_for_text("Done:")
    simulator.faults.fail_next(1, 500, "/api/2/printing/jobs/copy")

    await linked.service.handle(ReprintCommand(room.origin(), job="1"))
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) >= 2)

    assert len(simulator.prints) == 2
    uploads = [r for r in simulator.requests if r.path == "/data"]
    assert len(uploads) == 2


async def test_cancel_deletes_a_scheduled_print(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    await linked.service.handle(
        PrintCommand(
            room.origin(),
            attachments=(attachment(write_pdf(tmp_path / "b.pdf")),),
            options="at=23:45 tz=Asia/Taipei",
        )
    )
    await room.wait_for_text("scheduled")

    [answer] = await linked.service.handle(CancelCommand(room.origin(), job="1"))

    assert "canceled" in answer.text
    deletes = [r for r in simulator.requests if r.method == "DELETE"]
    assert [r.status for r in deletes] == [204]
