"""One user can never see, cancel, reprint, change or print another user's job or
printer, by any command, button or guessed number."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.chat import Origin
from bot.core.commands import (
    ButtonCommand,
    CancelCommand,
    Command,
    PrintCommand,
    PrintersCommand,
    ReprintCommand,
    StatusCommand,
    UnlinkCommand,
)
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import write_pdf
from tests.fakes.chat import ChatRoom, attachment

ALICE_JOB = "1"


def _intruder_commands(origin: Origin) -> list[Command]:
    return [
        StatusCommand(origin, job=ALICE_JOB),
        CancelCommand(origin, job=ALICE_JOB),
        ReprintCommand(origin, job=ALICE_JOB),
        ButtonCommand(origin, action=f"cancel:{ALICE_JOB}"),
        ButtonCommand(origin, action=f"go:{ALICE_JOB}"),
        ButtonCommand(origin, action=f"set:{ALICE_JOB}:copies=99"),
        ButtonCommand(origin, action=f"drop:{ALICE_JOB}"),
        ButtonCommand(origin, action=f"combine:{ALICE_JOB}:each"),
        PrintersCommand(origin, argument="default EW-M873T"),
        UnlinkCommand(origin, printer="EW-M873T"),
        PrintCommand(origin, options="printer=EW-M873T"),
    ]


@pytest.mark.parametrize("index", range(11))
async def test_another_user_cannot_touch_alices_job_or_printer(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path, index: int
) -> None:
    pdf = write_pdf(tmp_path / "private-letter.pdf")
    [card] = await linked.service.handle(
        PrintCommand(room.origin(), attachments=(attachment(pdf),), ask=True)
    )
    assert "private-letter.pdf" in card.text
    command = _intruder_commands(room.origin("mallory"))[index]
    if isinstance(command, PrintCommand):
        command = PrintCommand(
            command.origin, attachments=(attachment(pdf),), options=command.options
        )

    answers = await linked.service.handle(command)

    assert all("private-letter.pdf" not in a.text for a in answers)
    job = await linked.store.load_job(1)
    assert job is not None
    assert job.state == "draft"
    assert job.options == {}
    alice = await linked.store.find_identity("console", "alice")
    assert alice is not None
    assert len(await linked.store.load_printers(alice.id)) == 1
    assert simulator.prints == []


async def test_guessing_job_numbers_reveals_nothing(
    linked: Runtime, room: ChatRoom, tmp_path: Path
) -> None:
    await linked.service.handle(
        PrintCommand(
            room.origin(), attachments=(attachment(write_pdf(tmp_path / "a.pdf")),)
        )
    )
    await room.wait_for_text("Done:")

    answers = [
        (await linked.service.handle(StatusCommand(room.origin("mallory"), job=n)))[
            0
        ].text
        for n in ("1", "2", "999", "-1", "0x1", "1; DROP TABLE jobs")
    ]

    # An existing job of someone else reads exactly like one that does not exist.
    assert answers[0].replace("#1", "#N") == answers[2].replace("#999", "#N")
    assert all("a.pdf" not in text for text in answers)


async def test_same_user_id_on_another_platform_is_another_person(
    linked: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    telegram = ChatRoom(platform="telegram")
    linked.service.register(telegram)

    [answer] = await linked.service.handle(
        PrintCommand(
            telegram.origin("alice"),
            attachments=(attachment(write_pdf(tmp_path / "a.pdf")),),
        )
    )

    assert "/link" in answer.text
    assert simulator.prints == []
