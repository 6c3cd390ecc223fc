"""Shared pieces of the Discord adapter tests: a recording core and the fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from adapters.discord import DiscordAdapter
from bot.config import DiscordConfig
from bot.core.chat import OutgoingMessage
from bot.core.commands import Command
from bot.secret import Secret
from tests.fakes.discord import FakeDiscord

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


@dataclass
class RecordingCore:
    """Stands in for the core's CommandHandler: records commands, gives set answers.

    Attributes:
        commands: Every command received, in order.
        answers: What ``handle`` returns for each command.
        failure: Raised by ``handle`` instead, when set.
        files: The bytes of each attachment, read as the core would.
        read_files: Whether to read attachments at all.
    """

    commands: list[Command] = field(default_factory=list)
    answers: list[OutgoingMessage] = field(default_factory=list)
    failure: Exception | None = None
    files: list[bytes] = field(default_factory=list)
    read_files: bool = True

    async def handle(self, command: Command) -> list[OutgoingMessage]:
        self.commands.append(command)
        for attachment in (
            getattr(command, "attachments", ()) if self.read_files else ()
        ):
            self.files.append(b"".join([c async for c in attachment.open()]))
        if self.failure is not None:
            raise self.failure
        return list(self.answers)


def config_for(fake: FakeDiscord, token: str | None = None) -> DiscordConfig:
    """A DiscordConfig pointing at ``fake``."""
    return DiscordConfig(
        token=Secret(token or fake.token),
        api_url=fake.api_url,
        gateway_url=fake.gateway_url,
    )


@pytest.fixture(name="fake")
async def fake_fixture() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server


@pytest.fixture(name="core")
def core_fixture() -> RecordingCore:
    return RecordingCore()


@pytest.fixture(name="adapter")
async def adapter_fixture(
    fake: FakeDiscord, core: RecordingCore
) -> AsyncIterator[DiscordAdapter]:
    async with DiscordAdapter(
        config_for(fake), core, guild_ready_timeout=0.0
    ) as started:
        yield started
