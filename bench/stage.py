"""The stage a benchmark runs on: Epson simulator and fake Telegram in this process,
the bot or the floor client in a child process, and clocks on both ends.

A request starts when its update is queued at the fake Telegram server and ends
when the simulator accepts its print call (the job moves to ``pending``); both
moments are read from this process's clock, so no clock is compared across
processes.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp

from bot.epson.client import EpsonClient
from bot.epson.oauth import new_pkce
from bot.epson.simulator import PrintRecord, Simulator, SimulatorSettings
from bot.secret import Secret
from tests.fakes import telegram_payloads as payloads
from tests.fakes.telegram import Call, FakeTelegram
from tests.fakes.telegram_payloads import UserPayload

logger = logging.getLogger(__name__)

SECRET_KEY = "chatprint-bench-secret-key-0123456789abcdef"
FIRST_USER_ID = 700_000
WATCH_INTERVAL = 0.002
START_TIMEOUT = 30.0
LINK_CONCURRENCY = 16
# Set to a folder to run the bot under pyinstrument (``python -m bench --profile``).
PROFILE_ENV = "CHATPRINT_BENCH_PROFILE"
PAUSED = frozenset({"media_empty", "media_jam", "marker_supply_empty", "stopped_other"})
# Every limit the bot enforces per user or printer is lifted: a benchmark sends
# far more than one person would, and a refusal would measure nothing.
CONFIG = """\
[epson]
client_id = "{client_id}"
api_url = "{sim}/api/2"
auth_url = "{sim}"

[telegram]
api_url = "{telegram}/bot"
file_url = "{telegram}/file/bot"

[web]
listen = "127.0.0.1:{port}"
public_url = "http://127.0.0.1:{port}"

[storage]
database = "{database}"

[conversion]
prewarm = false

[limits]
requests_per_minute = 1000000
jobs_per_printer = 1000000
"""


class PrintClock(logging.Handler):
    """Notes when the simulator accepts each print call, and each pause."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.times: dict[str, float] = {}
        self.pauses = 0

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if record.msg != "Job %s moved from %s to %s" or not isinstance(args, tuple):
            return
        if args[2] == "pending":
            self.times.setdefault(str(args[0]), record.created)
        elif args[2] in PAUSED:
            self.pauses += 1


class ChatWatch:
    """Follows what the bot sends to each chat, reading new calls as they come."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self._telegram = telegram
        self._seen = 0
        self._waiting: list[Call] = []
        self.texts: dict[int, list[str]] = {}
        self.urls: dict[int, list[str]] = {}

    def update(self) -> None:
        """Read the calls answered since the last update."""
        calls = self._telegram.calls
        fresh = [calls[i] for i in range(self._seen, len(calls))]
        self._seen = len(calls)
        unanswered = []
        for call in self._waiting + fresh:
            if call.method not in ("sendMessage", "editMessageText"):
                continue
            if call.status is None:
                unanswered.append(call)
            elif call.status == 200:
                self._note(call.params)
        self._waiting = unanswered

    def _note(self, params: dict[str, Any]) -> None:
        chat = int(params["chat_id"])
        self.texts.setdefault(chat, []).append(str(params.get("text", "")))
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if "url" in button:
                    self.urls.setdefault(chat, []).append(button["url"])

    def count(self, chat: int, fragment: str) -> int:
        """How many messages (edits included) in ``chat`` contained ``fragment``."""
        return sum(fragment in text for text in self.texts.get(chat, []))


class Stage:
    """A simulator and a fake Telegram server, and the users who use them.

    Args:
        root: A private folder for the child process's files.
        settings: Simulator settings beyond the defaults (print time zero).
    """

    def __init__(self, root: Path, **settings: Any) -> None:
        self.root = root
        self.sim = Simulator(
            SimulatorSettings(
                auto_approve=True, step_seconds=0, job_limit=1_000_000, **settings
            )
        )
        self.telegram = FakeTelegram()
        self.clock = PrintClock()
        self.chats = ChatWatch(self.telegram)
        self._printed: dict[str, list[PrintRecord]] = {}
        # When each file's update was queued, by file name.
        self.sent_at: dict[str, float] = {}
        self._prints_seen = 0
        self._ids = itertools.count(FIRST_USER_ID)

    async def __aenter__(self) -> Stage:
        self.root.mkdir(parents=True, exist_ok=True)
        jobs_logger = logging.getLogger("bot.epson.simulator.jobs")
        jobs_logger.setLevel(logging.DEBUG)
        jobs_logger.propagate = False
        jobs_logger.addHandler(self.clock)
        await self.sim.start()
        await self.telegram.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.telegram.close()
        await self.sim.close()
        logging.getLogger("bot.epson.simulator.jobs").removeHandler(self.clock)

    # -- users -------------------------------------------------------------------

    def new_user(self) -> UserPayload:
        """A Telegram user with a private chat open with the bot."""
        number = next(self._ids)
        user = payloads.user(number, f"User{number}", username=f"user{number}")
        self.telegram.private_chat(user)
        return user

    def send_file(self, user: UserPayload, data: bytes, name: str) -> float:
        """Queue ``/print`` with a document from ``user``; return when it was queued."""
        document = self.telegram.document(self.telegram.add_file(data, name))
        chat = self.telegram.private_chat(user)
        update = self.telegram.message_update(
            chat, user, document=document, caption="/print"
        )
        moment = time.time()
        self.telegram.push_update(update)
        self.sent_at[name] = moment
        return moment

    def send_text(self, user: UserPayload, text: str) -> None:
        """Queue a text message from ``user``."""
        chat = self.telegram.private_chat(user)
        self.telegram.push_update(self.telegram.message_update(chat, user, text=text))

    async def link(self, users: list[UserPayload], serial: str | None = None) -> None:
        """Link each user's printer through /link, the sign-in page and callback."""
        limit = asyncio.Semaphore(1 if serial else LINK_CONCURRENCY)
        async with aiohttp.ClientSession() as session:

            async def link_one(user: UserPayload) -> None:
                async with limit:
                    await self._link_one(session, user, serial)

            await asyncio.gather(*(link_one(user) for user in users))

    async def _link_one(
        self, session: aiohttp.ClientSession, user: UserPayload, serial: str | None
    ) -> None:
        chat = user["id"]
        self.send_text(user, "/link")
        await self.wait(lambda: bool(self.chats.urls.get(chat)), "the link button")
        if serial is not None:
            self.sim.next_authorize_outcome(serial)
        async with session.get(self.chats.urls[chat][-1]) as response:
            if response.status != 200:
                raise RuntimeError(f"link of user {chat} answered {response.status}")

    async def device_token(self, serial: str | None = None) -> Secret:
        """Link a printer for the floor client directly; return its device token."""
        redirect = "http://127.0.0.1:9/callback"
        pkce = new_pkce()
        async with _epson_client(self.sim) as client:
            url = client.authorize_url(
                redirect_uri=redirect, state="floor", code_challenge=pkce.challenge
            )
            if serial is not None:
                self.sim.next_authorize_outcome(serial)
            async with (
                aiohttp.ClientSession() as session,
                session.get(url, allow_redirects=False) as response,
            ):
                location = response.headers["Location"]
            code = location.split("code=")[1].split("&")[0]
            tokens = await client.exchange_code(
                code, redirect_uri=redirect, code_verifier=pkce.verifier
            )
        return tokens.access_token

    # -- what was printed --------------------------------------------------------

    def printed(self, name: str) -> list[PrintRecord]:
        """The prints whose job name contains the file name ``name``."""
        self._read_prints()
        return self._printed.get(name, [])

    def print_time(self, name: str) -> float:
        """When the print call of the job for file ``name`` was accepted."""
        [record, *_] = self.printed(name)
        return self.clock.times[record.job_id]

    def _read_prints(self) -> None:
        prints = self.sim.prints
        while self._prints_seen < len(prints):
            record = prints[self._prints_seen]
            self._prints_seen += 1
            name = record.job_name.rpartition(" ")[2]
            self._printed.setdefault(name, []).append(record)

    async def wait(
        self, condition: Callable[[], bool], what: str, within: float = 60.0
    ) -> None:
        """Wait until ``condition`` holds, reading new chat messages meanwhile."""
        deadline = time.monotonic() + within
        while True:
            self.chats.update()
            if condition():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not happen within {within:.0f}s")
            await asyncio.sleep(WATCH_INTERVAL)

    async def wait_printed(self, names: list[str], within: float = 120.0) -> None:
        """Wait until every file in ``names`` reached the printer."""
        await self.wait(
            lambda: all(self.printed(n) for n in names), "every print", within
        )


class ChildProcess:
    """A Python child process (the bot or the floor) with its log in a file.

    Args:
        argv: The arguments after ``python``.
        log: Where the child's stdout and stderr go.
        env: Extra environment variables.
    """

    def __init__(self, argv: list[str], log: Path, env: dict[str, str]) -> None:
        self._argv = argv
        self.log = log
        self._env = {**os.environ, **env}
        self._process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        """The child's process id."""
        if self._process is None:
            raise RuntimeError("the child is not started: call start() first")
        return self._process.pid

    async def start(self, stdin: bytes | None = None) -> None:
        """Start the child; ``stdin`` is written to it and closed."""
        with self.log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                *self._argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=log,
                stderr=log,
                env=self._env,
            )
        assert self._process.stdin is not None
        self._process.stdin.write(stdin or b"")
        await self._process.stdin.drain()
        self._process.stdin.close()

    def running(self) -> bool:
        """Whether the child has not exited."""
        return self._process is not None and self._process.returncode is None

    async def stop(self, sig: int = signal.SIGTERM, within: float = 15.0) -> int:
        """Send ``sig`` and wait for the exit; SIGKILL after ``within`` seconds."""
        process = self._process
        if process is None or process.returncode is not None:
            return process.returncode if process and process.returncode else 0
        process.send_signal(sig)
        try:
            return await asyncio.wait_for(process.wait(), within)
        except TimeoutError:
            process.kill()
            return await process.wait()


class BotProcess(ChildProcess):
    """``chatprint run`` against a stage, with its own database and web port."""

    def __init__(self, stage: Stage, *, log_level: str = "WARNING") -> None:
        self.port = free_port()
        self.data = stage.root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        config = stage.root / "config.toml"
        config.write_text(
            CONFIG.format(
                client_id=stage.sim.settings.client_id,
                sim=stage.sim.url,
                telegram=stage.telegram.url,
                port=self.port,
                database=self.data / "chatprint.db",
            )
        )
        env = {
            "CHATPRINT_SECRET_KEY": SECRET_KEY,
            "CHATPRINT_EPSON_CLIENT_SECRET": stage.sim.settings.client_secret,
            "CHATPRINT_EPSON_API_KEY": stage.sim.settings.api_key,
            "CHATPRINT_TELEGRAM_TOKEN": stage.telegram.token,
        }
        argv = ["-m", "bot", "run", "--config", str(config), "--log-level", log_level]
        profile = os.environ.get(PROFILE_ENV)
        if profile:
            # A text report of where the bot spent its time, written when it stops.
            report = Path(profile) / f"{stage.root.name}.txt"
            argv = ["-m", "pyinstrument", "-r", "text", "-o", str(report), *argv]
        super().__init__(argv, stage.root / "bot.log", env)
        self._stage = stage

    @property
    def url(self) -> str:
        """The bot's web server."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self, stdin: bytes | None = None) -> None:
        """Start the bot and wait until it serves and polls Telegram."""
        polls = self._polls()
        await super().start(stdin)
        await self._stage.wait(
            lambda: self._polls() > polls or not self.running(),
            "the bot's first poll",
            START_TIMEOUT,
        )
        if not self.running():
            raise RuntimeError(f"the bot did not start; see {self.log}")
        await self._stage.telegram.wait_until_polling(START_TIMEOUT)

    def _polls(self) -> int:
        return sum(c.method == "getUpdates" for c in self._stage.telegram.calls)


def free_port() -> int:
    """A TCP port free on the loopback interface right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _epson_client(sim: Simulator) -> EpsonClient:
    return EpsonClient(
        api_url=f"{sim.url}/api/2",
        auth_url=sim.url,
        client_id=sim.settings.client_id,
        client_secret=Secret(sim.settings.client_secret),
        api_key=Secret(sim.settings.api_key),
    )
