"""An update is confirmed to Telegram only once the core has handled it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.core.chat import OutgoingMessage
from bot.core.commands import Command, PrintCommand
from tests.adapters.telegram_harness import ADA, RecordingCore, running_adapter
from tests.fakes.loopback import wait_until
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_payloads import DocumentPayload, UpdatePayload

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"


class StalledCore(RecordingCore):
    """Records each command, then holds its handling until :attr:`release` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def handle(self, command: Command) -> list[OutgoingMessage]:
        """Record ``command``, then wait for the release."""
        answers = await super().handle(command)
        await self.release.wait()
        return answers


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    assert server.unknown_methods == []


def _status_update(fake: FakeTelegram) -> UpdatePayload:
    return fake.message_update(fake.private_chat(ADA), ADA, text="/status")


def _album(fake: FakeTelegram) -> list[UpdatePayload]:
    parts: list[DocumentPayload] = [
        fake.document(fake.add_file(PDF, f"part{n}.pdf")) for n in range(3)
    ]
    return fake.media_group(fake.private_chat(ADA), ADA, parts, caption="/print")


async def _polls_pass(fake: FakeTelegram) -> None:
    """Wait until two more getUpdates calls were made: time to confirm."""
    seen = _polls(fake)
    await wait_until(lambda: _polls(fake) >= seen + 2, 2)


def _polls(fake: FakeTelegram) -> int:
    return sum(call.method == "getUpdates" for call in fake.calls)


def _event_ids(core: RecordingCore) -> list[str]:
    return [command.origin.event_id for command in core.commands]


async def test_update_in_handling_stays_unconfirmed_and_comes_again_after_restart(
    fake: FakeTelegram,
) -> None:
    update = _status_update(fake)
    stalled, restarted = StalledCore(), RecordingCore()

    async with running_adapter(fake, stalled):
        fake.push_update(update)
        await stalled.wait_for_commands()
        await _polls_pass(fake)
        unconfirmed = fake.pending_updates
        offset = fake.confirmed_offset
    async with running_adapter(fake, restarted):
        await restarted.wait_for_commands()

    assert unconfirmed == [update]
    assert offset <= update["update_id"]
    assert _event_ids(restarted) == [f"telegram:{update['update_id']}"]


async def test_handled_update_is_confirmed_by_the_next_poll_and_not_sent_again(
    fake: FakeTelegram,
) -> None:
    first, second = _status_update(fake), _status_update(fake)
    core, restarted = RecordingCore(), RecordingCore()

    async with running_adapter(fake, core):
        fake.push_update(first)
        await core.wait_for_commands()
        await wait_until(lambda: fake.confirmed_offset == first["update_id"] + 1, 2)
        unconfirmed = fake.pending_updates
    async with running_adapter(fake, restarted):
        fake.push_update(second)
        await restarted.wait_for_commands()
        await wait_until(lambda: fake.confirmed_offset == second["update_id"] + 1, 2)

    assert unconfirmed == []
    assert _event_ids(restarted) == [f"telegram:{second['update_id']}"]


async def test_album_parts_stay_unconfirmed_until_the_album_reaches_the_core(
    fake: FakeTelegram,
) -> None:
    parts = _album(fake)
    stalled, restarted = StalledCore(), RecordingCore()

    async with running_adapter(fake, stalled):
        try:
            for part in parts:
                fake.push_update(part)
            await stalled.wait_for_commands()
            await _polls_pass(fake)
            unconfirmed = fake.pending_updates
            offset = fake.confirmed_offset
        finally:
            # Stopping hands an album on in full, after polling has ended.
            stalled.release.set()
    async with running_adapter(fake, restarted):
        [command] = await restarted.wait_for_commands()
        last = parts[-1]["update_id"]
        await wait_until(lambda: fake.confirmed_offset == last + 1, 2)

    assert unconfirmed == parts
    assert offset <= parts[0]["update_id"]
    assert isinstance(command, PrintCommand)
    assert command.origin.event_id == f"telegram:{parts[0]['update_id']}"
    assert len(command.attachments) == len(parts)
    assert fake.pending_updates == []
