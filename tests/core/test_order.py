"""Jobs on one printer reach it in the order they were asked for, however long
each takes to prepare."""

from __future__ import annotations

from pathlib import Path

from bot.core.commands import PrintCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import write_pdf
from tests.fakes.chat import ChatRoom, attachment


async def test_a_slow_file_sent_first_prints_first(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    slow = tmp_path / "minutes.txt"
    slow.write_text("A long meeting record line that wraps a little.\n" * 4000)
    quick = write_pdf(tmp_path / "ticket.pdf")

    for path in (slow, quick):
        await linked.service.handle(
            PrintCommand(room.origin(), attachments=(attachment(path),))
        )
    await room.wait_for(lambda: sum("Done:" in t for t in room.texts()) == 2, 60)

    order = [r.path for r in simulator.requests if r.path.endswith("/print")]
    printed = [record.job_name for record in simulator.prints]
    assert len(order) == 2
    assert printed == ["#1 minutes.txt", "#2 ticket.pdf"]
