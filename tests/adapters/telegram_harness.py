"""A recording stand-in for the core, and the Telegram adapter wired to the fake."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from adapters.telegram import TelegramAdapter
from bot.config import TelegramConfig
from bot.core.chat import OutgoingMessage
from bot.core.commands import Command
from bot.secret import Secret
from tests.fakes import telegram_payloads as payloads
from tests.fakes.loopback import wait_until
from tests.fakes.telegram import FakeTelegram
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
