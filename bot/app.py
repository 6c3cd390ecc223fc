"""``chatprint run`` and ``chatprint rotate-key``: the long-running bot, its upkeep."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from contextlib import AsyncExitStack

from aiohttp import web

from bot import collector
from bot.config import Config
from bot.errors import ConfigError
from bot.logs import SECRET_FILTER
from bot.runtime import Runtime, require_secret_key
from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.sqlite import open_store

logger = logging.getLogger(__name__)


async def run_bot(config: Config) -> int:
    """Run the configured chat platforms until SIGINT or SIGTERM; return 0."""
    _mask_secrets(config)
    if config.telegram.token is None and config.discord.token is None:
        raise ConfigError(
            "config: set telegram.token or discord.token (or both) to run the bot"
        )
    async with Runtime(config) as runtime, AsyncExitStack() as adapters:
        routes = await _start_adapters(runtime, adapters)
        await runtime.serve(routes)
        collector.settle()
        logger.info("chatprint is running; press Ctrl-C to stop")
        await _wait_for_stop()
        logger.info("chatprint is stopping")
        # Jobs in their last step tell their users while the chats are still
        # connected; the adapters disconnect after, when the stack unwinds.
        await runtime.service.close()
    return 0


async def _start_adapters(
    runtime: Runtime, stack: AsyncExitStack
) -> list[web.RouteDef]:
    config = runtime.config
    routes: list[web.RouteDef] = []
    if config.telegram.token is not None:
        from adapters.telegram import TelegramAdapter

        telegram = TelegramAdapter(
            config.telegram, runtime.service, public_url=config.web.public_url
        )
        runtime.service.register(telegram)
        routes.extend(telegram.webhook_routes())
        await telegram.start()
        stack.push_async_callback(telegram.stop)
    if config.discord.token is not None:
        from adapters.discord import DiscordAdapter

        discord_adapter = DiscordAdapter(config.discord, runtime.service)
        runtime.service.register(discord_adapter)
        await discord_adapter.start()
        stack.push_async_callback(discord_adapter.stop)
    return routes


async def _wait_for_stop() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


def _mask_secrets(config: Config) -> None:
    for secret in (
        config.epson.client_secret,
        config.epson.api_key,
        config.telegram.token,
        config.telegram.webhook_secret,
        config.discord.token,
        config.security.secret_key,
    ):
        if secret is not None:
            SECRET_FILTER.add(secret.reveal())


async def rotate_key(config: Config, new_key_env: str) -> int:
    """Re-encrypt every stored token under the key in ``$new_key_env``; return 0.

    Stop the bot first; afterwards set ``CHATPRINT_SECRET_KEY`` to the new key.
    """
    old = require_secret_key(config)
    new = os.environ.get(new_key_env, "")
    if not new:
        raise ConfigError(f"rotate-key: set {new_key_env} to the new secret key")
    async with await open_store(config.storage.database, TokenCipher(old)) as store:
        count = await store.rotate_key(TokenCipher(Secret(new)))
    print(
        f"Re-encrypted {count} stored secrets; set CHATPRINT_SECRET_KEY to the new key."
    )
    return 0
