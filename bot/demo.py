"""``chatprint demo``: the whole product on one machine, through a console chat.

One process runs the Epson Connect simulator, the store in a demo data folder,
the core with its web server, and the console adapter reading standard input.
Whatever the simulated printer receives is copied, with a picture of page 1, into
the output folder. At the end of input the demo waits for its jobs and exits 0
only if every print completed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import getpass
import logging
import os
import shutil
import signal
import socket
import sys
import webbrowser
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import aiohttp
from yarl import URL

from adapters.console import ConsoleAdapter, read_lines
from bot.catalogue import language_for, render
from bot.config import (
    Config,
    EpsonConfig,
    SecurityConfig,
    StorageConfig,
    WebConfig,
    load_config,
)
from bot.convert import render_preview
from bot.core.chat import OutgoingMessage, Sender
from bot.core.events import Phase, StatusEvent
from bot.epson.simulator import Simulator, SimulatorSettings
from bot.epson.simulator.output import safe_name
from bot.errors import ChatprintError
from bot.logs import SECRET_FILTER
from bot.runtime import Runtime
from bot.secret import Secret
from storage.cipher import generate_secret_key

logger = logging.getLogger(__name__)

HOST = "127.0.0.1"
USER_ID = "local"
SAMPLE_FILE = "hello.pdf"
DEFAULT_PRINT_SECONDS = 0.3
KEY_FILE = "secret.key"
PORT_FILE = "simulator.port"
EXIT_INTERRUPTED = 130
# Status reads are cheap against the local simulator; read often so the
# transcript keeps pace with the simulated printer.
POLL_INTERVAL = 0.2
POLL_MAX = 1.0


async def run_demo(args: argparse.Namespace) -> int:
    """Run the demo until the input ends or Ctrl-C; return the exit status.

    Args:
        args: ``data`` and ``output`` folders, ``sample``, ``auto_approve``, and
            ``print_seconds`` (the simulator's time per job step).

    Returns:
        0 when every print completed, 1 when one did not, 130 after Ctrl-C.
    """
    options = DemoOptions.from_args(args)
    data = _prepare_data_folder(options.data)
    secret_key = load_secret_key(data / KEY_FILE)
    SECRET_FILTER.add(secret_key.reveal())
    settings = SimulatorSettings(
        auto_approve=options.auto_approve,
        step_seconds=options.print_seconds,
        output_dir=data / "simulator",
    )
    simulator = Simulator(settings)
    await _start_simulator(simulator, data / PORT_FILE)
    try:
        config = demo_config(load_config(args.config), simulator, data, secret_key)
        async with Runtime(config) as runtime:
            return await _Demo(options, runtime, simulator).run()
    finally:
        await simulator.close()


@dataclass(frozen=True)
class DemoOptions:
    """What the person asked of the demo on the command line."""

    data: Path
    output: Path
    sample: bool
    auto_approve: bool
    print_seconds: float

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> DemoOptions:
        """Read the ``demo`` arguments; a piped input always approves by itself."""
        seconds = getattr(args, "print_seconds", None)
        return cls(
            data=Path(args.data).resolve(),
            output=Path(args.output).resolve(),
            sample=bool(args.sample),
            auto_approve=bool(args.auto_approve or args.sample)
            or not sys.stdin.isatty(),
            print_seconds=DEFAULT_PRINT_SECONDS if seconds is None else seconds,
        )


def demo_config(base: Config, sim: Simulator, data: Path, secret_key: Secret) -> Config:
    """``base`` pointed at the simulator, the data folder and a free local port."""
    settings = sim.settings
    port = _free_port()
    return Config(
        epson=EpsonConfig(
            client_id=settings.client_id,
            client_secret=Secret(settings.client_secret),
            api_key=Secret(settings.api_key),
            api_url=f"{sim.url}/api/2",
            auth_url=sim.url,
            poll_interval=POLL_INTERVAL,
            poll_max=POLL_MAX,
        ),
        web=WebConfig(listen=f"{HOST}:{port}", public_url=f"http://{HOST}:{port}"),
        storage=StorageConfig(database=data / "chatprint.db"),
        security=SecurityConfig(secret_key=secret_key),
        # LibreOffice starts with the first Office file, so a short demo exits at once.
        conversion=dataclasses.replace(base.conversion, prewarm=False),
        limits=base.limits,
        scheduling=base.scheduling,
    )


def load_secret_key(path: Path) -> Secret:
    """The demo's token key from ``path``, made (mode 0600) on the first run."""
    if path.exists():
        path.chmod(0o600)
        return Secret(path.read_text(encoding="ascii").strip())
    key = generate_secret_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.reveal() + "\n")
    logger.info("New demo secret key written to %s", path)
    return key


def demo_user() -> Sender:
    """The person at the terminal, in the language of their locale."""
    locale = next(
        (os.environ[n] for n in ("LC_ALL", "LC_MESSAGES", "LANG") if os.environ.get(n)),
        None,
    )
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = USER_ID
    return Sender("console", USER_ID, name, language_for(locale))


class _Demo:
    """One demo session: the console chat over a running runtime."""

    def __init__(
        self, options: DemoOptions, runtime: Runtime, simulator: Simulator
    ) -> None:
        self._options = options
        self._runtime = runtime
        self._simulator = simulator
        self._failed_links = 0
        self._console = ConsoleAdapter(
            runtime.service,
            out=sys.stdout,
            interactive=sys.stdout.isatty(),
            user=demo_user(),
            open_url=self._open_link,
            on_status=self._on_status,
        )
        runtime.service.register(self._console)

    async def run(self) -> int:
        """Greet, serve, read commands until the end of input or Ctrl-C."""
        await self._greet()
        await self._relink_known_printers()
        await self._runtime.serve()
        session = asyncio.create_task(self._session(), name="demo-session")
        try:
            if await _until_done_or_interrupted(session):
                await self._say("demo.stopped")
                return EXIT_INTERRUPTED
            return await self._conclude()
        finally:
            if self._console.output_closed:
                _silence_stdout()

    async def _greet(self) -> None:
        if not self._options.sample:
            await self._say("demo.ready")
        await self._say("demo.output_folder", folder=_shown_path(self._options.output))

    async def _conclude(self) -> int:
        printed = self._console.all_printed and not self._failed_links
        if self._console.outcomes or self._console.refused_prints:
            await self._say("demo.all_printed" if printed else "demo.not_all_printed")
        return 0 if printed else 1

    async def _session(self) -> None:
        # The sample stays open until its job is done (it is a temporary copy
        # when the package is zipped).
        with _sample_path() as sample:
            if self._options.sample:
                # The sample is the whole session: it ends once the sample printed.
                await self._console.submit("/link")
                await self._console.submit(f'/print "{sample}"')
            else:
                await self._console.run(read_lines())
            await self._wait_for_jobs()

    async def _wait_for_jobs(self) -> None:
        unfinished = [
            job for job, phase in self._console.outcomes.items() if not phase.is_final
        ]
        if unfinished:
            await self._say("demo.waiting", count=len(unfinished))
        await self._runtime.service.runner.wait_idle()

    async def _open_link(self, url: str) -> None:
        if self._options.auto_approve:
            await self._approve(url)
        elif _has_graphical_browser():
            await self._say("demo.open_browser")
            await asyncio.to_thread(webbrowser.open, url)
        else:
            await self._say("demo.no_browser")

    async def _approve(self, url: str) -> None:
        """Play the browser: the simulator approves, then sends us to the callback."""
        await self._say("demo.approving")
        try:
            async with aiohttp.ClientSession() as session, session.get(url) as page:
                status = page.status
        except aiohttp.ClientError as exc:
            logger.warning("Sign-in page could not be reached: %s", type(exc).__name__)
            status = 0
        if status != 200:
            logger.warning("Sign-in ended on a page with status %s", status)
            self._failed_links += 1

    async def _relink_known_printers(self) -> None:
        """Link again the printers of an earlier run to this run's fresh simulator.

        The simulator keeps its tokens in memory only, so the stored ones are
        dead; without this, jobs resumed from an earlier run would fail.
        """
        service = self._runtime.service
        user = self._console.user
        identity = await service.store.find_identity(user.platform, user.user_id)
        if identity is None:
            return
        for printer in await service.store.load_printers(identity.id):
            if printer.serial_number not in self._simulator.printers:
                continue
            await self._say("demo.relinking", printer=printer.name)
            self._simulator.next_authorize_outcome(printer.serial_number)
            await self._relink(
                service.linker.start(user, self._console.target, user.language)
            )

    async def _relink(self, url: str) -> None:
        # The web server is not listening yet (it would resume jobs at once), so
        # take the code from Epson's redirect and complete the link directly.
        async with (
            aiohttp.ClientSession() as session,
            session.get(url, allow_redirects=False) as response,
        ):
            query = URL(response.headers.get("Location", "")).query
        try:
            await self._runtime.service.complete_link(
                code=query.get("code"),
                state=query.get("state"),
                error=query.get("error"),
            )
        except ChatprintError as exc:
            logger.warning("Printer could not be linked again: %s", exc.key)
            self._failed_links += 1

    async def _on_status(self, event: StatusEvent) -> None:
        if event.phase is not Phase.COMPLETED:
            return
        printed = self._printed_file(event.job_id)
        if printed is None:
            logger.info("Job %s was printed by an earlier run", event.job_id)
            return
        await self._save_output(event, printed)

    def _printed_file(self, job_id: int) -> Path | None:
        # The core names each Epson job "#<job id> <file name>".
        prefix = f"#{job_id} "
        for record in reversed(self._simulator.prints):
            if record.job_name.startswith(prefix):
                return record.file
        return None

    async def _save_output(self, event: StatusEvent, printed: Path) -> None:
        saved = save_printed(
            printed, self._options.output, event.job_id, event.file_name
        )
        preview = saved.with_name(saved.stem + "-page1.png")
        try:
            render_preview(saved, preview)
        except ChatprintError as exc:
            logger.warning("No preview of job %s: %s", event.job_id, exc.key)
            await self._say("demo.printed_no_preview", file=_shown_path(saved))
            return
        await self._say(
            "demo.printed", file=_shown_path(saved), preview=_shown_path(preview)
        )

    async def _say(self, key: str, **params: object) -> None:
        text = render(key, self._console.user.language, **params)
        await self._console.deliver(self._console.target, OutgoingMessage(text))


def save_printed(printed: Path, output: Path, job_id: int, file_name: str) -> Path:
    """Copy the file the printer received, and its JSON note, into ``output``.

    Returns:
        The copy of the printed file, named ``job<id>-<name>.<ext>``.
    """
    output.mkdir(parents=True, exist_ok=True)
    stem = f"job{job_id}-{safe_name(Path(file_name).stem)}"
    dest = output / (stem + printed.suffix)
    _copy_whole(printed, dest)
    note = printed.with_suffix(".json")
    if note.exists():
        _copy_whole(note, output / (stem + ".json"))
    return dest


def _copy_whole(source: Path, dest: Path) -> None:
    # Through a temporary name, so that an interrupted copy leaves no half file.
    partial = dest.with_name(dest.name + ".part")
    try:
        shutil.copyfile(source, partial)
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)


async def _until_done_or_interrupted(session: asyncio.Task[None]) -> bool:
    """Wait for ``session``; on SIGINT or SIGTERM cancel it and return True."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        # Where the loop cannot take signals (Windows), Ctrl-C raises
        # KeyboardInterrupt instead and the command line answers 130.
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(number, stop.set)
    stopper = asyncio.create_task(stop.wait(), name="demo-stop")
    try:
        await asyncio.wait({session, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for number in signals:
            with contextlib.suppress(NotImplementedError):
                loop.remove_signal_handler(number)
        stopper.cancel()
    if session.done():
        session.result()
        return False
    session.cancel()
    await asyncio.gather(session, return_exceptions=True)
    logger.info("Demo interrupted; unfinished jobs resume next run")
    return True


def _silence_stdout() -> None:
    # Python flushes stdout at exit; into a closed pipe that prints a warning.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _has_graphical_browser() -> bool:
    # Without a display, webbrowser would start a text browser (lynx, w3m) in
    # this very terminal and fight the console chat for its input.
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _prepare_data_folder(data: Path) -> Path:
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    return data


async def _start_simulator(simulator: Simulator, port_file: Path) -> None:
    """Start on the port of the last run when free: jobs hold upload URLs to it."""
    port = _saved_port(port_file)
    await simulator.start(HOST, port if port and _port_is_free(port) else 0)
    _save_port(port_file, URL(simulator.url).port)


def _save_port(port_file: Path, port: int | None) -> None:
    port_file.write_text(f"{port}\n", encoding="ascii")


def _saved_port(port_file: Path) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(port_file.read_text(encoding="ascii").strip())
    return None


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def _sample_path() -> Iterator[Path]:
    sample = resources.files("bot") / "samples" / SAMPLE_FILE
    with resources.as_file(sample) as path:
        yield path


def _shown_path(path: Path) -> str:
    """``path`` relative to the current folder when inside it: shorter to read."""
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)
