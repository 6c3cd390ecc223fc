"""End to end through the core: link, print, status, over real HTTP to the simulator."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader

from bot.core.commands import PrintCommand
from bot.core.events import Phase
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import write_pdf
from tests.fakes.chat import ChatRoom, attachment

CAPABILITY = "/api/2/printing/capability/"


async def test_link_stores_printer_and_tells_the_chat(
    linked: Runtime, room: ChatRoom
) -> None:
    identity = await linked.store.find_identity("console", "alice")

    assert identity is not None
    printers = await linked.store.load_printers(identity.id)
    assert len(printers) == 1
    text = await room.wait_for_text("is linked")
    assert printers[0].name in text


async def test_print_pdf_with_options_prints_selected_pages_and_copies(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "report.pdf", pages=3)
    command = PrintCommand(
        room.origin(), attachments=(attachment(pdf),), options="copies=2 pages=1-2"
    )

    answers = await linked.service.handle(command)
    done = await room.wait_for_text("Done:")

    assert answers == []
    assert "report.pdf" in done
    assert "4 pages" in done
    [record] = simulator.prints
    assert record.settings["copies"] == 2
    assert record.file is not None
    assert len(PdfReader(record.file).pages) == 2
    # What /jobs and the group quotas read: the final status and the page count,
    # recorded once the user has been told.
    await linked.service.runner.wait_idle()
    identity = await linked.store.find_identity("console", "alice")
    assert identity is not None
    [job] = await linked.store.load_recent_jobs(identity.id)
    assert (job.state, job.epson_status, job.total_pages) == (
        "completed",
        "completed",
        4,
    )


async def test_one_status_message_is_edited_through_the_whole_job(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf")
    await linked.service.preparer.learned()
    # Slow enough that the job shows its way to the printer, step by step.
    simulator.faults.latency(0.4)

    await linked.service.handle(
        PrintCommand(room.origin(), attachments=(attachment(pdf),))
    )
    await room.wait_for_text("Done:")

    status = [s for s in room.shown.values() if s.message.event is not None]
    phases = [m.event.phase for m in room.history if m.event is not None]
    assert len(status) == 1
    assert phases[0] is Phase.UPLOADING
    assert Phase.WAITING in phases
    assert phases[-1] is Phase.COMPLETED
    assert status[0].edits == len(phases) - 1


async def test_a_job_that_reaches_the_printer_at_once_is_answered_by_one_message(
    linked: Runtime, room: ChatRoom, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf")

    await linked.service.handle(
        PrintCommand(room.origin(), attachments=(attachment(pdf),))
    )
    await room.wait_for_text("Done:")

    phases = [m.event.phase for m in room.history if m.event is not None]
    # No "accepted", "converting" or "sending" flashed by on the way: the first
    # thing shown is the job at the printer, the last that it is done.
    assert not set(phases) & {Phase.ACCEPTED, Phase.CONVERTING, Phase.UPLOADING}
    assert phases[-1] is Phase.COMPLETED


async def test_unlinked_user_is_told_how_to_link_and_nothing_reaches_epson(
    runtime: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf")

    answers = await runtime.service.handle(
        PrintCommand(room.origin("bob"), attachments=(attachment(pdf),))
    )

    assert "/link" in answers[0].text
    assert not [
        r for r in simulator.requests if r.path.startswith("/api/2/printing/jobs")
    ]


async def test_redelivered_print_event_prints_once(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf")
    command = PrintCommand(
        room.origin(event="console:same"), attachments=(attachment(pdf),)
    )

    await linked.service.handle(command)
    again = await linked.service.handle(command)
    await room.wait_for_text("Done:")
    await linked.service.runner.wait_idle()

    assert again == []
    assert len(simulator.prints) == 1


async def test_a_newly_linked_printer_is_read_ahead_of_its_first_print(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    def settings_reads() -> int:
        return sum(r.path.startswith(CAPABILITY) for r in simulator.requests)

    # Link time reads the defaults and each mode's capability in the background.
    await linked.service.preparer.learned()
    read_at_link = settings_reads()
    assert read_at_link == 3  # defaults, document, photo

    await linked.service.handle(
        PrintCommand(
            room.origin(), attachments=(attachment(write_pdf(tmp_path / "a.pdf")),)
        )
    )
    await room.wait_for_text("Done:")

    assert settings_reads() == read_at_link
