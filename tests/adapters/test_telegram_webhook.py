"""The Telegram adapter in webhook mode, mounted on a loopback web server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from adapters.telegram import WEBHOOK_PATH, TelegramAdapter
from bot.errors import ConfigError
from bot.secret import Secret
from tests.adapters.telegram_harness import (
    ADA,
    ALBUM_WAIT,
    RecordingCore,
    config_for,
)
from tests.fakes.loopback import LoopbackServer
from tests.fakes.telegram import FakeTelegram

SECRET = "hook-secret_0123456789"


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    assert server.unknown_methods == []


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def webhook_adapter(
    fake: FakeTelegram, core: RecordingCore
) -> AsyncIterator[tuple[TelegramAdapter, str]]:
    app = web.Application()
    server = LoopbackServer(app)
    server.bind()
    config = config_for(fake, mode="webhook", webhook_secret=Secret(SECRET))
    adapter = TelegramAdapter(
        config, core, media_group_wait=ALBUM_WAIT, public_url=server.url
    )
    app.add_routes(adapter.webhook_routes())
    async with server, adapter:
        yield adapter, server.url + WEBHOOK_PATH


async def _post(url: str, body: object, secret: str | None) -> int:
    headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json=body, headers=headers) as response,
    ):
        return response.status


async def test_webhook_mode_registers_the_url_with_its_secret(
    fake: FakeTelegram, webhook_adapter: tuple[TelegramAdapter, str]
) -> None:
    _adapter, url = webhook_adapter

    assert fake.webhook is not None
    assert (fake.webhook.url, fake.webhook.secret_token) == (url, SECRET)
    assert fake.calls_to("getUpdates") == []


async def test_webhook_update_with_the_right_secret_reaches_the_core(
    fake: FakeTelegram,
    core: RecordingCore,
    webhook_adapter: tuple[TelegramAdapter, str],
) -> None:
    update = fake.message_update(fake.private_chat(ADA), ADA, text="/jobs")

    status = await fake.send_webhook(update)
    [command] = await core.wait_for_commands()

    assert status == 200
    assert command.origin.event_id == f"telegram:{update['update_id']}"


async def test_webhook_answers_only_once_the_update_is_handled_and_answered(
    fake: FakeTelegram,
    core: RecordingCore,
    webhook_adapter: tuple[TelegramAdapter, str],
) -> None:
    update = fake.message_update(fake.private_chat(ADA), ADA, text="/jobs")

    status = await fake.send_webhook(update)
    recorded, replies = list(core.commands), fake.bot_messages(ADA["id"])

    assert status == 200
    assert [c.origin.event_id for c in recorded] == [f"telegram:{update['update_id']}"]
    assert [m.text for m in replies] == ["handled JobsCommand"]


@pytest.mark.parametrize("secret", [None, "", "hook-secret_0123456780"])
async def test_webhook_refuses_a_wrong_or_missing_secret(
    fake: FakeTelegram,
    core: RecordingCore,
    webhook_adapter: tuple[TelegramAdapter, str],
    secret: str | None,
) -> None:
    _adapter, url = webhook_adapter
    update = fake.message_update(fake.private_chat(ADA), ADA, text="/jobs")

    status = await _post(url, update, secret)

    assert status == 401
    assert core.commands == []


async def test_webhook_refuses_a_body_that_is_no_update(
    webhook_adapter: tuple[TelegramAdapter, str],
) -> None:
    _adapter, url = webhook_adapter

    status = await _post(url, ["not", "an", "update"], SECRET)

    assert status == 400


async def test_redelivered_update_reaches_the_core_with_the_same_event_id(
    fake: FakeTelegram,
    core: RecordingCore,
    webhook_adapter: tuple[TelegramAdapter, str],
) -> None:
    update = fake.message_update(fake.private_chat(ADA), ADA, text="/jobs")

    await fake.send_webhook(update)
    await fake.send_webhook(update)
    first, second = await core.wait_for_commands(2)

    assert first.origin.event_id == second.origin.event_id


async def test_webhook_mode_without_a_secret_is_a_config_error(
    fake: FakeTelegram, core: RecordingCore
) -> None:
    adapter = TelegramAdapter(
        config_for(fake, mode="webhook"), core, public_url="https://bot.example"
    )

    with pytest.raises(ConfigError, match="webhook_secret"):
        await adapter.start()
