"""The Telegram adapter wired to the fake: with a recording core or the real one."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from adapters.telegram import TelegramAdapter
from bot.config import ConversionConfig, TelegramConfig
from bot.core.chat import OutgoingMessage
from bot.core.commands import Command
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from bot.secret import Secret
from tests.core.conftest import make_config
from tests.fakes import telegram_payloads as payloads
from tests.fakes.loopback import wait_until
from tests.fakes.telegram import FakeTelegram, ShownMessage
from tests.fakes.telegram_payloads import UserPayload

ADA: UserPayload = payloads.user(4242, "Ada", language_code="en", username="ada")
BAO: UserPayload = payloads.user(5151, "Bao", language_code="zh-hans")
ALBUM_WAIT = 0.1

Reply = Callable[[Command], list[OutgoingMessage]]


def answer_with_name(command: Command) -> list[OutgoingMessage]:
    """The default answer: the command's class name."""
    return [OutgoingMessage(f"handled {type(command).__name__}")]


class RecordingCore:
    """Implements the core's ``CommandHandler``: records commands, answers by rule.

    Args:
        reply: Builds the answers to each command.
    """

    def __init__(self, reply: Reply = answer_with_name) -> None:
        self.reply = reply
        self.commands: list[Command] = []

    async def handle(self, command: Command) -> list[OutgoingMessage]:
        """Record ``command`` and answer it by :attr:`reply`."""
        self.commands.append(command)
        return self.reply(command)

    async def wait_for_commands(self, count: int = 1) -> list[Command]:
        """Wait until ``count`` commands arrived; returns all of them."""
        await wait_until(
            lambda: len(self.commands) >= count, 5, message=f"{count} command(s)"
        )
        return self.commands


def config_for(fake: FakeTelegram, **overrides: object) -> TelegramConfig:
    """A configuration pointing the adapter at the fake."""
    settings: dict[str, object] = {
        "token": Secret(fake.token),
        "api_url": fake.api_url,
        "file_url": fake.file_url,
        **overrides,
    }
    return TelegramConfig(**settings)  # type: ignore[arg-type]


@asynccontextmanager
async def running_adapter(
    fake: FakeTelegram, core: RecordingCore, **overrides: object
) -> AsyncIterator[TelegramAdapter]:
    """A started adapter (polling unless overridden), stopped on exit."""
    adapter = TelegramAdapter(
        config_for(fake, **overrides), core, media_group_wait=ALBUM_WAIT
    )
    async with adapter:
        yield adapter


@asynccontextmanager
async def real_core(
    tmp_path: Path, simulator: Simulator, fake: FakeTelegram
) -> AsyncIterator[Runtime]:
    """The real core with a started adapter on the fake, printing on ``simulator``."""
    # No LibreOffice: these files need none, and a warm one takes seconds to stop.
    config = dataclasses.replace(
        make_config(tmp_path, simulator),
        telegram=config_for(fake),
        conversion=ConversionConfig(libreoffice=str(tmp_path / "no-soffice")),
    )
    async with Runtime(config) as runtime:
        adapter = TelegramAdapter(
            config.telegram, runtime.service, media_group_wait=ALBUM_WAIT
        )
        runtime.service.register(adapter)
        async with adapter:
            await runtime.serve(adapter.webhook_routes())
            yield runtime


async def wait_shown(
    fake: FakeTelegram, chat_id: int, needle: str, timeout: float = 10
) -> ShownMessage:
    """Wait until the bot shows a message containing ``needle`` in the chat."""

    def find() -> ShownMessage | None:
        found = [m for m in fake.bot_messages(chat_id) if needle in m.text]
        return found[0] if found else None

    await wait_until(lambda: find() is not None, timeout, message=repr(needle))
    message = find()
    assert message is not None
    return message


async def link_printer(fake: FakeTelegram, user: UserPayload = ADA) -> ShownMessage:
    """``/link`` in the user's private chat, then open the Epson page it offers."""
    fake.push_update(fake.message_update(fake.private_chat(user), user, text="/link"))
    prompt = await wait_shown(fake, user["id"], "link your Epson printer")
    [url] = [b["url"] for b in prompt.buttons if "url" in b]
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, await response.text()
    return await wait_shown(fake, user["id"], "is linked")
