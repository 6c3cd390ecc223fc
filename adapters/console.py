"""The console chat: a person types chatprint commands in a terminal or a pipe.

It is the third adapter beside Telegram and Discord, on the same interface: each
line becomes a command for the core, and what the core sends back is written to
the terminal. A job's status messages are "lines that update": on a terminal the
job's block is rewritten in place with a small progress bar while it is the last
thing on screen; in a pipe each new status is a plain line, so a transcript reads
top to bottom. Files to print are local paths (``/print report.pdf copies=2``).
"""

from __future__ import annotations

import asyncio
import codecs
import itertools
import logging
import os
import secrets
import shutil
import threading
import unicodedata
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.catalogue import render_error
from bot.core.adapter import CommandHandler
from bot.core.chat import (
    Attachment,
    ChatTarget,
    Origin,
    OutgoingMessage,
    Sender,
)
from bot.core.commands import (
    ButtonCommand,
    Command,
    HelpCommand,
    PrintCommand,
    command_from_text,
)
from bot.core.events import Phase, StatusEvent
from bot.errors import ChatprintError

logger = logging.getLogger(__name__)

PLATFORM = "console"
CHUNK = 64 * 1024
BAR_WIDTH = 10
# How far along the bar each phase is, out of BAR_WIDTH.
_PROGRESS = {
    Phase.ACCEPTED: 1,
    Phase.CONVERTING: 3,
    Phase.UPLOADING: 5,
    Phase.SCHEDULED: 6,
    Phase.WAITING: 7,
    Phase.PAUSED: 8,
    Phase.PRINTING: 8,
    Phase.COMPLETED: 10,
}
_MOVE_UP_AND_CLEAR = "\x1b[{}F\x1b[J"

UrlOpener = Callable[[str], Awaitable[None]]
StatusListener = Callable[[StatusEvent], Awaitable[None]]


class ConsoleAdapter:
    """A one-person chat on standard input and output.

    Args:
        core: Carries out the commands.
        out: Where messages are written.
        interactive: ``out`` is a terminal: rewrite status lines in place and
            show progress bars; otherwise write plain lines.
        user: The person typing; their language picks the sentences.
        session: Distinguishes this run's event ids from earlier runs; random
            when omitted.
        base_dir: Relative paths in ``/print`` are taken from here (the current
            folder by default).
        open_url: Called with each link the core sends (the Epson sign-in page),
            after it is shown; the next line waits until it returns.
        on_status: Called after each status message is shown.
    """

    platform = PLATFORM

    def __init__(
        self,
        core: CommandHandler,
        *,
        out: TextIO,
        interactive: bool,
        user: Sender,
        session: str | None = None,
        base_dir: Path | None = None,
        open_url: UrlOpener | None = None,
        on_status: StatusListener | None = None,
    ) -> None:
        self.user = user
        self.target = ChatTarget(PLATFORM, user.user_id, user.user_id)
        self.session = session or secrets.token_hex(4)
        self.outcomes: dict[int, Phase] = {}
        self.refused_prints = 0
        self._core = core
        self._screen = _Screen(out, interactive)
        self._base_dir = base_dir
        self._open_url = open_url
        self._on_status = on_status
        self._line_numbers = itertools.count(1)
        self._message_numbers = itertools.count(1)
        self._shown_refs: set[str] = set()

    async def run(self, lines: AsyncIterable[str]) -> None:
        """Carry out every line until the input ends."""
        async for line in lines:
            await self.submit(line)

    async def submit(self, line: str) -> None:
        """Carry out one typed line and show the answers.

        Blank lines and lines starting with ``#`` are skipped, so a script of
        commands may carry comments.
        """
        line_no = next(self._line_numbers)
        self._screen.forget_last()
        text = line.strip()
        if not text or text.startswith("#"):
            return
        origin = self._origin(line_no)
        try:
            command = self._command(text, origin)
        except ChatprintError as exc:
            self._refuse(exc, is_print=_command_name(text) == "print")
            return
        answers = await self._core.handle(command)
        if isinstance(command, PrintCommand) and any(a.refusal for a in answers):
            self.refused_prints += 1
        for message in answers:
            await self._show_answer(message)

    @property
    def output_closed(self) -> bool:
        """Whether the reader of ``out`` went away (a closed pipe)."""
        return self._screen.closed

    @property
    def all_printed(self) -> bool:
        """Every print asked for became a job, and every job seen completed."""
        return self.refused_prints == 0 and all(
            phase is Phase.COMPLETED for phase in self.outcomes.values()
        )

    async def deliver(
        self,
        target: ChatTarget,
        message: OutgoingMessage,
        *,
        replace: str | None = None,
    ) -> str | None:
        """Write ``message``, over the block ``replace`` if it is still the last."""
        in_place = replace is not None and replace in self._shown_refs
        ref = replace if in_place and replace else self._new_ref()
        self._shown_refs.add(ref)
        self._screen.show(ref, self._block(message), in_place=in_place)
        if message.event is not None:
            await self._note_status(message.event)
        return ref

    def open_attachment(self, ref: str) -> AsyncIterator[bytes]:
        """Stream the file at the absolute path ``ref`` again (after a restart)."""
        return stream_file(Path(ref))

    def _origin(self, line_no: int) -> Origin:
        event_id = f"{PLATFORM}:{self.session}:{line_no}"
        return Origin(event_id, self.user, self.target)

    def _command(self, text: str, origin: Origin) -> Command:
        if not text.startswith("/"):
            # Chat text that is not a command gets the help, as in a chat app.
            return HelpCommand(origin)
        name, _, argument = text.partition(" ")
        bare = _command_name(text)
        if bare == "button":
            return ButtonCommand(origin, action=argument.strip())
        if bare == "print":
            return self._print_command(argument, origin)
        return command_from_text(name, argument, origin)

    def _print_command(self, argument: str, origin: Origin) -> Command:
        typed, options = _split_path(argument)
        if not typed:
            return command_from_text("print", options, origin)
        path = self._resolve(typed)
        if not path.is_file():
            raise FileMissing(f"no file at {path}", path=str(path))
        attachment = file_attachment(path)
        return command_from_text("print", options, origin, (attachment,))

    def _resolve(self, typed: str) -> Path:
        path = Path(typed).expanduser()
        if not path.is_absolute():
            path = (self._base_dir or Path.cwd()) / path
        return path.resolve()

    def _refuse(self, error: ChatprintError, *, is_print: bool) -> None:
        logger.info("Console line refused: %s", error.key)
        if is_print:
            self.refused_prints += 1
        message = OutgoingMessage(render_error(error, self.user.language))
        self._screen.show(self._new_ref(), self._block(message), in_place=False)

    async def _show_answer(self, message: OutgoingMessage) -> None:
        await self.deliver(self.target, message)
        for button in message.buttons:
            if button.url is not None and self._open_url is not None:
                await self._open_url(button.url)

    async def _note_status(self, event: StatusEvent) -> None:
        self.outcomes[event.job_id] = event.phase
        if self._on_status is not None:
            await self._on_status(event)

    def _block(self, message: OutgoingMessage) -> list[str]:
        event = message.event
        text = message.text
        if event is not None and self._screen.interactive:
            text = f"{_progress_bar(event.phase)} {text}"
        lines = text.splitlines() or [""]
        if event is None or self._screen.interactive:
            lines.extend(
                _button_hint(b.label, b.action, b.url) for b in message.buttons
            )
        if message.image is not None:
            lines.append(f"  -> {message.image}")
        return lines

    def _new_ref(self) -> str:
        return f"{PLATFORM}:{self.session}:m{next(self._message_numbers)}"


class FileMissing(ChatprintError):
    """``/print`` named a path where there is no readable file."""

    default_key = "console.file_missing"


def file_attachment(path: Path) -> Attachment:
    """An attachment for the local file ``path``, streamed in chunks when opened."""
    return Attachment(
        name=path.name,
        size=path.stat().st_size,
        ref=str(path),
        open=lambda: stream_file(path),
    )


async def stream_file(path: Path) -> AsyncIterator[bytes]:
    """Yield the bytes of ``path`` in chunks, reading off the event loop.

    Raises:
        FileMissing: The file is gone (moved or deleted since ``/print``).
    """
    try:
        handle = path.open("rb")
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise FileMissing(f"no file at {path}", path=str(path)) from exc
    with handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk


async def read_lines(fd: int = 0) -> AsyncIterator[str]:
    """Yield the lines typed or piped into ``fd`` until it ends.

    A daemon thread does the blocking reads with ``os.read``, so that stopping
    early (Ctrl-C) never waits for the person to press Enter, and no lock of
    ``sys.stdin`` is held when the interpreter exits.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    thread = threading.Thread(
        target=_read_into, args=(fd, loop, queue), name="console-input", daemon=True
    )
    thread.start()
    while (line := await queue.get()) is not None:
        yield line


def _read_into(
    fd: int, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]
) -> None:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    try:
        while chunk := os.read(fd, CHUNK):
            pending += decoder.decode(chunk)
            *lines, pending = pending.split("\n")
            for line in lines:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        pending += decoder.decode(b"", final=True)
        if pending:
            loop.call_soon_threadsafe(queue.put_nowait, pending)
        loop.call_soon_threadsafe(queue.put_nowait, None)
    except (OSError, RuntimeError):
        # The input broke or the loop is gone (the program is stopping): no
        # reader is left to tell.
        return


class _Screen:
    """Writes message blocks; on a terminal it can rewrite the last block."""

    def __init__(self, out: TextIO, interactive: bool) -> None:
        self._out = out
        self.interactive = interactive
        self._last_ref: str | None = None
        self._last_height = 0
        self.closed = False

    def show(self, ref: str, lines: list[str], *, in_place: bool) -> None:
        """Write ``lines``, over the previous block if it was ``ref``."""
        if self.closed:
            return
        text = "\n".join(lines) + "\n"
        if self.interactive and in_place and ref == self._last_ref:
            text = _MOVE_UP_AND_CLEAR.format(self._last_height) + text
        try:
            self._out.write(text)
            self._out.flush()
        except BrokenPipeError:
            # The reader left (``chatprint demo | head``): the jobs carry on, and
            # the exit status still tells how they ended.
            logger.info("Console output closed; messages are no longer shown")
            self.closed = True
            return
        self._last_ref = ref
        self._last_height = _screen_height(lines) if self.interactive else 0

    def forget_last(self) -> None:
        """Something else reached the screen (the person's typing): write below."""
        self._last_ref = None


def _command_name(text: str) -> str:
    """``print`` for ``/print a.pdf`` (and ``/Print@bot``)."""
    return text.partition(" ")[0].lstrip("/").split("@", 1)[0].lower()


def _split_path(argument: str) -> tuple[str, str]:
    """The path (quoted if it has spaces) and the option text after it, as typed.

    The options stay as typed so that quoted values (``printer="Office 2F"``)
    reach the option parser intact.
    """
    argument = argument.strip()
    quote = argument[:1]
    if quote in ("'", '"'):
        end = argument.find(quote, 1)
        if end > 0:
            return argument[1:end], argument[end + 1 :].strip()
    parts = argument.split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (argument, "")


def _progress_bar(phase: Phase) -> str:
    filled = _PROGRESS.get(phase)
    if filled is None:
        return "[" + "x" * BAR_WIDTH + "]"
    return "[" + "#" * filled + "-" * (BAR_WIDTH - filled) + "]"


def _button_hint(label: str, action: str | None, url: str | None) -> str:
    if url is not None:
        return f"  [{label}] {url}"
    return f"  [{label}] -> /button {action or ''}"


def _screen_height(lines: list[str]) -> int:
    columns = max(shutil.get_terminal_size().columns, 1)
    return sum(max(1, -(-_cells(line) // columns)) for line in lines)


def _cells(line: str) -> int:
    # Wide (CJK) characters take two terminal cells.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
