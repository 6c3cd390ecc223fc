"""Everything one chatprint process runs, opened and closed in the right order."""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import Self

from aiohttp import web

from bot.catalogue import default_catalogue
from bot.config import Config
from bot.convert import OfficeConverter
from bot.core.service import PrintService
from bot.epson.client import EpsonClient
from bot.epson.errors import EpsonError
from bot.errors import ConfigError
from bot.secret import Secret
from bot.web import build_app, notification_path
from storage.cipher import TokenCipher
from storage.sqlite import open_store

logger = logging.getLogger(__name__)


def require_secret_key(config: Config) -> Secret:
    """The configured token key, or a one-line refusal to start without it."""
    key = config.security.secret_key
    if key is None or not key.reveal():
        raise ConfigError(
            "config: security.secret_key is not set (set CHATPRINT_SECRET_KEY to a "
            "long random string; it encrypts the printer tokens)"
        )
    return key


def require_epson_credentials(config: Config) -> tuple[Secret, Secret]:
    """The Epson client secret and API key, or a one-line refusal naming the key."""
    epson = config.epson
    if not epson.client_id:
        raise ConfigError("config: epson.client_id is not set (from Epson's portal)")
    if epson.client_secret is None or not epson.client_secret:
        raise ConfigError(
            "config: epson.client_secret is not set (use the environment)"
        )
    if epson.api_key is None or not epson.api_key:
        raise ConfigError("config: epson.api_key is not set (use the environment)")
    return epson.client_secret, epson.api_key


class Runtime:
    """The store, the Epson client, LibreOffice, the core and the web server.

    Use ``async with Runtime(config) as runtime``, register the chat adapters on
    ``runtime.service``, then call :meth:`serve`.

    Args:
        config: The configuration.
        spool_dir: Where files in flight are kept; beside the database by default,
            so that jobs can resume after a restart.
    """

    def __init__(self, config: Config, *, spool_dir: Path | None = None) -> None:
        self.config = config
        self._secret_key = require_secret_key(config)
        self._spool = spool_dir or config.storage.database.parent / "spool"
        self._stack = AsyncExitStack()
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def _open(self) -> None:
        client_secret, api_key = require_epson_credentials(self.config)
        default_catalogue()  # a broken message file stops the start here
        epson = self.config.epson
        self._spool.mkdir(mode=0o700, parents=True, exist_ok=True)
        cipher = TokenCipher(self._secret_key)
        self.store = await open_store(self.config.storage.database, cipher)
        self._stack.push_async_callback(self.store.close)
        self.client = EpsonClient(
            api_url=epson.api_url,
            auth_url=epson.auth_url,
            client_id=epson.client_id,
            client_secret=client_secret,
            api_key=api_key,
        )
        self._stack.push_async_callback(self.client.close)
        conversion = self.config.conversion
        office = OfficeConverter(
            conversion.libreoffice or None, prewarm=conversion.prewarm
        )
        self.office = await self._stack.enter_async_context(office)
        self.service = PrintService(
            config=self.config,
            store=self.store,
            client=self.client,
            secret_key=self._secret_key,
            spool_dir=self._spool,
            office=self.office if self.office.available else None,
        )
        self._stack.push_async_callback(self.service.close)

    async def serve(self, extra_routes: list[web.RouteDef] | None = None) -> str:
        """Start the web server and resume unfinished jobs; return the server's URL."""
        app = build_app(self.service, self._secret_key, extra_routes or [])
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=2.0, keepalive_timeout=15.0
        )
        await self._runner.setup()
        web_config = self.config.web
        site = web.TCPSite(self._runner, web_config.host, web_config.port)
        await site.start()
        self._stack.push_async_callback(self._runner.cleanup)
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://{web_config.host}:{port}"
        logger.info("Web server listening on %s", self.url)
        await self.service.start()
        await self._register_notifications()
        return self.url

    async def _register_notifications(self) -> None:
        public = self.config.web.public_url.rstrip("/")
        callback = public + notification_path(self._secret_key)
        try:
            app_token = await self.client.fetch_application_token()
            await self.client.save_notification(
                app_token.access_token, enabled=True, callback_uri=callback
            )
        except EpsonError as exc:
            # Polling still finds every status change, only later.
            logger.warning(
                "Epson notifications not registered (%s); polling only", exc.key
            )
            return
        logger.info("Epson notifications registered at %s/epson/notify/...", public)

    async def close(self) -> None:
        """Stop everything in the reverse order of opening."""
        await self._stack.aclose()
