"""The console adapter: typed lines to commands, messages to terminal lines."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import aiohttp
import pytest

from adapters.console import ConsoleAdapter, FileMissing, UrlOpener, read_lines
from bot.catalogue import render, render_error
from bot.config import ConversionConfig
from bot.core.chat import Button, OutgoingMessage, Sender
from bot.core.commands import (
    ButtonCommand,
    Command,
    PrintCommand,
    StatusCommand,
    UnknownCommand,
)
from bot.core.events import Phase, StatusEvent
from bot.epson.simulator import Simulator, SimulatorSettings
from bot.runtime import Runtime
from tests.core.conftest import make_config, write_pdf

USER = Sender("console", "local", "Ada", "en")


@dataclass
class Recorder:
    """A core that records commands and answers with fixed messages."""

    answers: list[OutgoingMessage] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)

    async def handle(self, command: Command) -> list[OutgoingMessage]:
        self.commands.append(command)
        return list(self.answers)


def console(
    core: Recorder,
    out: io.StringIO,
    *,
    interactive: bool = False,
    base_dir: Path | None = None,
    open_url: UrlOpener | None = None,
) -> ConsoleAdapter:
    return ConsoleAdapter(
        core,
        out=out,
        interactive=interactive,
        user=USER,
        session="s1",
        base_dir=base_dir,
        open_url=open_url,
    )


def status(phase: Phase, job: int = 3) -> OutgoingMessage:
    event = StatusEvent(job, phase, "a.pdf", "EW-M873T", cancellable=True)
    cancel = Button("Cancel", action=f"cancel:{job}")
    return OutgoingMessage(f"{phase} a.pdf", buttons=(cancel,), event=event)


async def collect(stream: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in stream])


async def test_print_line_attaches_the_file_by_absolute_path(tmp_path: Path) -> None:
    content = os.urandom(200_000)
    (tmp_path / "my report.pdf").write_bytes(content)
    core = Recorder()
    adapter = console(core, io.StringIO(), base_dir=tmp_path)

    await adapter.submit('/print "my report.pdf" copies=2 printer="Office 2F"')

    command = core.commands[0]
    assert isinstance(command, PrintCommand)
    assert command.options == 'copies=2 printer="Office 2F"'
    (attachment,) = command.attachments
    assert attachment.ref == str(tmp_path / "my report.pdf")
    assert (attachment.name, attachment.size) == ("my report.pdf", len(content))
    assert await collect(attachment.open()) == content
    assert await collect(adapter.open_attachment(attachment.ref)) == content


async def test_print_line_takes_an_unquoted_path_and_keeps_options_as_typed(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4")
    core = Recorder()
    adapter = console(core, io.StringIO(), base_dir=tmp_path)

    await adapter.submit("/print   a.pdf   pages=1-3  mono")
    await adapter.submit("/print")

    first, second = core.commands
    assert isinstance(first, PrintCommand)
    assert isinstance(second, PrintCommand)
    assert first.attachments[0].ref == str(tmp_path / "a.pdf")
    assert first.options == "pages=1-3  mono"
    assert (second.attachments, second.options) == ((), "")


async def test_each_line_gets_its_own_stable_event_id(tmp_path: Path) -> None:
    core = Recorder()
    adapter = console(core, io.StringIO())

    for line in ("/status", "", "# a comment", "/jobs", "/status 4"):
        await adapter.submit(line)

    ids = [c.origin.event_id for c in core.commands]
    assert ids == ["console:s1:1", "console:s1:4", "console:s1:5"]
    assert core.commands[2] == StatusCommand(core.commands[2].origin, job="4")


async def test_button_line_presses_the_button() -> None:
    core = Recorder()
    adapter = console(core, io.StringIO())

    await adapter.submit("/button cancel:3")

    assert core.commands == [ButtonCommand(core.commands[0].origin, "cancel:3")]


async def test_missing_file_is_refused_without_reaching_the_core(
    tmp_path: Path,
) -> None:
    core, out = Recorder(), io.StringIO()
    adapter = console(core, out, base_dir=tmp_path)

    await adapter.submit("/print nowhere.pdf")

    assert core.commands == []
    path = tmp_path / "nowhere.pdf"
    assert out.getvalue() == render("console.file_missing", "en", path=path) + "\n"
    assert adapter.refused_prints == 1
    assert not adapter.all_printed


async def test_unknown_command_shows_the_catalogue_sentence() -> None:
    core, out = Recorder(), io.StringIO()
    adapter = console(core, out)

    await adapter.submit("/frobnicate now")

    expected = render_error(UnknownCommand("x", command="frobnicate"), "en")
    assert out.getvalue() == expected + "\n"


async def test_answers_show_button_hints_and_open_links() -> None:
    opened: list[str] = []

    async def open_url(url: str) -> None:
        opened.append(url)

    buttons = (Button("Link", url="http://127.0.0.1:1/auth"), Button("Yes", "f:y"))
    core, out = Recorder([OutgoingMessage("Pick one", buttons=buttons)]), io.StringIO()
    adapter = console(core, out, open_url=open_url)

    await adapter.submit("/link")

    lines = out.getvalue().splitlines()
    assert lines == [
        "Pick one",
        "  [Link] http://127.0.0.1:1/auth",
        "  [Yes] -> /button f:y",
    ]
    assert opened == ["http://127.0.0.1:1/auth"]


async def test_piped_status_updates_are_plain_lines() -> None:
    out = io.StringIO()
    adapter = console(Recorder(), out)

    ref = await adapter.deliver(adapter.target, status(Phase.ACCEPTED))
    again = await adapter.deliver(adapter.target, status(Phase.PRINTING), replace=ref)

    assert again == ref
    assert out.getvalue() == "accepted a.pdf\nprinting a.pdf\n"
    assert adapter.outcomes == {3: Phase.PRINTING}


async def test_terminal_rewrites_the_job_line_with_progress() -> None:
    out = io.StringIO()
    adapter = console(Recorder(), out, interactive=True)

    ref = await adapter.deliver(adapter.target, status(Phase.ACCEPTED))
    await adapter.deliver(adapter.target, status(Phase.COMPLETED), replace=ref)

    first, second = out.getvalue().split("\x1b[2F\x1b[J")
    assert first == "[#---------] accepted a.pdf\n  [Cancel] -> /button cancel:3\n"
    assert second.startswith("[##########] completed a.pdf\n")


async def test_terminal_writes_below_what_the_person_typed() -> None:
    out = io.StringIO()
    adapter = console(Recorder(), out, interactive=True)

    ref = await adapter.deliver(adapter.target, status(Phase.ACCEPTED))
    await adapter.submit("/jobs")
    await adapter.deliver(adapter.target, status(Phase.WAITING), replace=ref)

    assert "\x1b[" not in out.getvalue()
    assert out.getvalue().count("/button cancel:3") == 2


async def test_read_lines_yields_each_line_until_the_end() -> None:
    read_end, write_end = os.pipe()
    text = "/link\n/print 報告.pdf\r\nlast line without newline"
    os.write(write_end, text.encode()[:12])
    os.write(write_end, text.encode()[12:])
    os.close(write_end)

    lines = [line async for line in read_lines(read_end)]

    os.close(read_end)
    assert lines == ["/link", "/print 報告.pdf\r", "last line without newline"]


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    settings = SimulatorSettings(auto_approve=True, step_seconds=0.05)
    async with Simulator(settings) as sim:
        # No LibreOffice: a PDF does not need it, and its start and stop take seconds.
        config = replace(
            make_config(tmp_path, sim),
            conversion=ConversionConfig(libreoffice="no-libreoffice-in-tests"),
        )
        async with Runtime(config) as rt:
            yield rt


async def test_console_links_and_prints_through_the_real_core(
    runtime: Runtime, tmp_path: Path
) -> None:
    write_pdf(tmp_path / "two.pdf", pages=2)
    out = io.StringIO()

    async def follow(url: str) -> None:
        async with aiohttp.ClientSession() as session, session.get(url) as page:
            assert page.status == 200

    adapter = ConsoleAdapter(
        runtime.service,
        out=out,
        interactive=False,
        user=USER,
        base_dir=tmp_path,
        open_url=follow,
    )
    runtime.service.register(adapter)
    await runtime.serve()

    await adapter.run(_lines("/link", "/print two.pdf copies=3"))
    await runtime.service.runner.wait_idle()

    transcript = out.getvalue()
    assert render("link.done", "en", printer="EW-M873T") in transcript
    done = render("job.completed", "en", file="two.pdf", printer="EW-M873T", pages=6)
    assert transcript.rstrip().endswith(done)
    assert adapter.all_printed


async def _lines(*lines: str) -> AsyncIterator[str]:
    for line in lines:
        yield line


async def test_unknown_command_is_not_counted_as_a_refused_print() -> None:
    adapter = console(Recorder(), io.StringIO())

    await adapter.submit("/printall a.pdf")

    assert adapter.refused_prints == 0
    assert adapter.all_printed


async def test_reopening_a_deleted_file_raises_file_missing(tmp_path: Path) -> None:
    adapter = console(Recorder(), io.StringIO())
    gone = tmp_path / "gone.pdf"

    with pytest.raises(FileMissing) as caught:
        await collect(adapter.open_attachment(str(gone)))

    assert caught.value.key == "console.file_missing"
    assert caught.value.params == {"path": str(gone)}


class ClosedPipe(io.StringIO):
    """An output whose reader has gone away."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


async def test_closed_output_stops_showing_but_keeps_following_jobs() -> None:
    adapter = console(Recorder(), ClosedPipe())

    await adapter.deliver(adapter.target, status(Phase.COMPLETED))

    assert adapter.output_closed
    assert adapter.outcomes == {3: Phase.COMPLETED}
