"""The Telegram adapter: python-telegram-bot updates in, the core's messages out.

Updates arrive by long polling or by webhook; each becomes at most one command for
the core (an album waits until it is complete), and the answers are shown in the
chat. Parsing lives in ``telegram_intake``, albums in ``telegram_albums``, sending
in ``telegram_delivery``, downloads in ``telegram_files``, mentions of people
in ``telegram_mentions`` and long polling in ``telegram_polling``: an update is
confirmed to Telegram only once the core has handled it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web
from telegram import Bot, BotCommand, CallbackQuery, Message, Update, User
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
)

from adapters.telegram_albums import AlbumCollector
from adapters.telegram_delivery import TelegramOutbox, message_ref
from adapters.telegram_files import TelegramFiles
from adapters.telegram_http import AiohttpRequest, UpdatesRequest
from adapters.telegram_intake import (
    PLATFORM,
    Intake,
    attachments_of,
    command_for,
    mentions_bot,
    origin_for,
)
from adapters.telegram_mentions import MemberDirectory, with_member_ids
from adapters.telegram_polling import UpdatePoller
from bot import catalogue
from bot.config import TelegramConfig
from bot.core.adapter import CommandHandler
from bot.core.chat import ChatTarget, Origin, OutgoingMessage
from bot.core.commands import ButtonCommand, Command, PrintCommand
from bot.errors import ChatprintError, ConfigError

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
ALLOWED_UPDATES = ("message", "callback_query")
# These loggers put request URLs, and so the bot token, in DEBUG and INFO lines.
QUIET_LOGGERS = ("httpx", "httpcore", "telegram")
# The command menu, most used first; names without a description are left out.
MENU = (
    "print",
    "link",
    "printers",
    "status",
    "jobs",
    "cancel",
    "reprint",
    "settings",
    "share",
    "unshare",
    "invite",
    "join",
    "policy",
    "approvers",
    "pause",
    "resume",
    "usage",
    "connect",
    "unlink",
    "forget",
    "help",
)
MENU_LANGUAGES = ((None, "en"), ("en", "en"), ("zh", "zh-TW"))
POLL_TIMEOUT = 10
RATE_LIMIT_RETRIES = 3
REMEMBERED_USERS = 10_000

# The builder's full generic type says nothing the adapter uses.
_App = Application[Any, Any, Any, Any, Any, Any]


class TelegramAdapter:
    """Connects one Telegram bot to the core; an async context manager.

    Args:
        config: The bot's token, API URLs, mode and webhook secret.
        core: Where commands go.
        media_group_wait: Seconds of quiet after an album's latest part before the
            album is handed to the core as one command.
        public_url: The web server's public base URL; needed in webhook mode.
    """

    platform = PLATFORM

    def __init__(
        self,
        config: TelegramConfig,
        core: CommandHandler,
        *,
        media_group_wait: float = 1.0,
        public_url: str | None = None,
    ) -> None:
        self._config = config
        self._core = core
        self._public_url = public_url
        self._albums = AlbumCollector(media_group_wait, self._dispatch)
        self._languages: dict[str, str] = {}
        self._members = MemberDirectory()
        self._app: _App | None = None
        self._poller: UpdatePoller | None = None
        self._session: aiohttp.ClientSession | None = None
        self._outbox: TelegramOutbox | None = None
        self._files: TelegramFiles | None = None
        self._updates_request = UpdatesRequest()

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        """Connect, publish the command menu, then poll or wait for the webhook.

        Raises:
            ConfigError: No token, a token Telegram refuses, or webhook mode
                without a secret or a public URL.
        """
        quiet_library_loggers()
        app = self._build_application(self._token())
        self._app = app
        self._session = aiohttp.ClientSession()
        try:
            await self._connect(app)
        except InvalidToken:
            await self.stop()
            # python-telegram-bot quotes the token in this error: drop the chain.
            raise ConfigError("config: Telegram refused telegram.token") from None
        except BaseException:
            await self.stop()
            raise
        logger.info(
            "Telegram bot @%s started in %s mode", app.bot.username, self._config.mode
        )

    async def _connect(self, app: _App) -> None:
        assert self._session is not None
        await app.initialize()
        self._outbox = TelegramOutbox(app.bot, self._language_of)
        self._files = TelegramFiles(app.bot, self._session)
        await self._publish_menu()
        await app.start()
        await self._start_receiving(app)

    async def stop(self) -> None:
        """Stop receiving, hand on gathered albums, and disconnect.

        Updates whose handling is cut short stay unconfirmed: Telegram delivers
        them again after the next start.
        """
        poller, self._poller = self._poller, None
        if poller is not None:
            await poller.stop()
        await self._albums.close()
        app, self._app = self._app, None
        if app is not None:
            if app.running:
                await app.stop()
            await app.shutdown()
            # After a failed initialize the application skips this; the bot's
            # HTTP clients are open all the same.
            await app.bot.shutdown()
        if self._files is not None:
            self._files.close()
        if self._outbox is not None:
            self._outbox.close()
        self._outbox = self._files = None
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        logger.info("Telegram bot stopped")

    async def __aenter__(self) -> TelegramAdapter:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def _token(self) -> str:
        if self._config.token is None:
            raise ConfigError("config: telegram.token is not set")
        if self._config.mode == "webhook" and (
            self._config.webhook_secret is None or not self._public_url
        ):
            raise ConfigError(
                "config: telegram.mode webhook needs telegram.webhook_secret "
                "and web.public_url"
            )
        return self._config.token.reveal()

    def _build_application(self, token: str) -> _App:
        self._updates_request = UpdatesRequest()
        builder = (
            ApplicationBuilder()
            .token(token)
            .base_url(self._config.api_url + "{token}")
            .base_file_url(self._config.file_url + "{token}")
            # The outbox paces the overall rate itself (telegram_pacing.py); the
            # library keeps the per-group limit and waits out a 429.
            .rate_limiter(
                AIORateLimiter(overall_max_rate=0, max_retries=RATE_LIMIT_RETRIES)
            )
            .request(AiohttpRequest())
            .get_updates_request(self._updates_request)
            # Its Updater confirms updates as it fetches them: see telegram_polling.
            .updater(None)
        )
        # Updates go straight to _on_update: the library's handler dispatch
        # would add a context object and a lookup per update, used by nothing.
        app: _App = builder.build()
        return app

    async def _publish_menu(self) -> None:
        assert self._app is not None
        for code, language in MENU_LANGUAGES:
            commands = [
                BotCommand(name, catalogue.render(key, language)[:256])
                for name in MENU
                if catalogue.has_key(key := f"command.{name}.description")
            ]
            await self._app.bot.set_my_commands(commands, language_code=code)

    async def _start_receiving(self, app: _App) -> None:
        if self._config.mode != "webhook":
            # Telegram refuses getUpdates while a webhook is set.
            await app.bot.delete_webhook()
            self._poller = UpdatePoller(
                app.bot,
                self._updates_request,
                self._on_update,
                self._albums.held,
                timeout=POLL_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
            )
            self._poller.start()
            return
        assert self._config.webhook_secret is not None
        assert self._public_url is not None
        await app.bot.set_webhook(
            self._public_url.rstrip("/") + WEBHOOK_PATH,
            secret_token=self._config.webhook_secret.reveal(),
            allowed_updates=list(ALLOWED_UPDATES),
        )

    # -- the core's side ---------------------------------------------------------

    async def deliver(
        self,
        target: ChatTarget,
        message: OutgoingMessage,
        *,
        replace: str | None = None,
    ) -> str | None:
        """Show ``message`` in the chat, editing ``replace`` in place if possible.

        Returns:
            ``"{chat_id}:{message_id}"`` of the message that shows it.
        """
        if self._outbox is None:
            raise RuntimeError("the Telegram adapter is not started: call start()")
        return await self._outbox.deliver(target, message, replace)

    def chat_url(self, target: ChatTarget) -> str | None:
        """A link that opens the private chat with the bot (for the link page)."""
        if self._app is None or not self._app.bot.username:
            return None
        return f"https://t.me/{self._app.bot.username}?start=linked"

    async def open_attachment(self, ref: str) -> AsyncIterator[bytes]:
        """Stream the file with Telegram file_id ``ref``, chunk by chunk."""
        if self._files is None:
            raise RuntimeError("the Telegram adapter is not started: call start()")
        async for chunk in self._files.stream(ref):
            yield chunk

    def webhook_routes(self) -> list[web.RouteDef]:
        """The route Telegram posts updates to, for the core's web server."""
        return [web.post(WEBHOOK_PATH, self._receive_webhook)]

    async def _receive_webhook(self, request: web.Request) -> web.Response:
        if not self._secret_matches(request.headers.get(SECRET_HEADER, "")):
            logger.warning("Webhook request refused: wrong secret token")
            return web.Response(status=401)
        if self._app is None:
            return web.Response(status=503)
        update = await _read_update(request, self._app.bot)
        if update is None:
            logger.warning("Webhook request refused: not an update")
            return web.Response(status=400)
        # Telegram sends the update again until it gets a 200: answer once handled.
        await self._on_update(update)
        return web.Response()

    def _secret_matches(self, given: str) -> bool:
        secret = self._config.webhook_secret
        if secret is None:
            return False
        return hmac.compare_digest(given.encode(), secret.reveal().encode())

    # -- updates -------------------------------------------------------------------

    async def _on_update(self, update: Update) -> None:
        if update.callback_query is not None:
            await self._on_button(update.update_id, update.callback_query)
        elif update.message is not None:
            intake = self._on_message(update.update_id, update.message)
            if intake is not None:
                await self._dispatch(intake)

    def _on_message(self, update_id: int, message: Message) -> Intake | None:
        """Read a message; album parts go to the collector, in update order."""
        user = message.from_user
        if user is None or user.is_bot:
            return None
        intake = self._intake(update_id, message, user)
        if message.media_group_id is not None and intake.attachments:
            group = f"{message.chat.id}:{message.media_group_id}"
            self._albums.add(group, update_id, intake)
            return None
        return intake

    def _intake(self, update_id: int, message: Message, user: User) -> Intake:
        self._remember_language(user)
        return Intake(
            origin=origin_for(update_id, message.chat, user),
            text=with_member_ids(message, self._members),
            attachments=attachments_of(message, self.open_attachment),
            replied=attachments_of(message.reply_to_message, self.open_attachment),
            mention=mentions_bot(message, self._bot_user()),
        )

    async def _dispatch(self, intake: Intake) -> None:
        async with self._error_hook(intake.origin):
            command = command_for(intake, self._bot_user())
            if command is None:
                return
            if isinstance(command, PrintCommand) and self._files is not None:
                for attached in command.attachments:
                    self._files.locate_early(attached.ref)
                # Let those questions go out before the core's first steps.
                await asyncio.sleep(0)
            await self._run(command)

    async def _on_button(self, update_id: int, query: CallbackQuery) -> None:
        # Answer first: the spinner stops, and a slow command cannot outlive the
        # few seconds Telegram allows for an answer.
        await self._answer(query)
        shown = query.message
        if shown is None:
            return
        card = message_ref(shown.chat.id, shown.message_id)
        origin = origin_for(update_id, shown.chat, query.from_user, status_ref=card)
        self._remember_language(query.from_user)
        async with self._error_hook(origin):
            assert self._outbox is not None
            data = query.data or ""
            action = self._outbox.resolve_action(data) or data
            await self._run(ButtonCommand(origin, action=action), card=card)

    async def _answer(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:
            logger.warning("Button press %s could not be answered: %s", query.id, exc)

    async def _run(self, command: Command, *, card: str | None = None) -> None:
        answers = await self._core.handle(command)
        # A button's single answer replaces the card it sat on.
        replace = card if len(answers) == 1 else None
        for answer in answers:
            await self.deliver(command.origin.target, answer, replace=replace)

    @contextlib.asynccontextmanager
    async def _error_hook(self, origin: Origin) -> AsyncIterator[None]:
        language = catalogue.language_for(origin.sender.language)
        try:
            yield
        except ChatprintError as exc:
            logger.info("Telegram event %s refused: %s", origin.event_id, exc.key)
            await self._tell(origin, catalogue.render_error(exc, language))
        except Exception:
            logger.exception("Telegram event %s failed", origin.event_id)
            await self._tell(origin, catalogue.render("error.unexpected", language))

    async def _tell(self, origin: Origin, text: str) -> None:
        try:
            await self.deliver(origin.target, OutgoingMessage(text, private=True))
        except TelegramError as exc:
            logger.warning(
                "Event %s: the error could not be shown: %s", origin.event_id, exc
            )

    def _bot_user(self) -> User:
        assert self._app is not None
        user: User = self._app.bot.bot
        return user

    def _remember_language(self, user: User) -> None:
        # For the adapter's own notices; bounded like any per-user cache.
        self._members.remember(user)
        key = str(user.id)
        self._languages.pop(key, None)
        self._languages[key] = catalogue.language_for(user.language_code)
        if len(self._languages) > REMEMBERED_USERS:
            del self._languages[next(iter(self._languages))]

    def _language_of(self, user_id: str) -> str:
        return self._languages.get(user_id, catalogue.DEFAULT_LANGUAGE)


async def _read_update(request: web.Request, bot: Bot) -> Update | None:
    try:
        body = await request.json()
        if not isinstance(body, dict):
            return None
        return Update.de_json(body, bot)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def quiet_library_loggers() -> None:
    """Raise the request loggers of httpx and python-telegram-bot to WARNING."""
    for name in QUIET_LOGGERS:
        library_logger = logging.getLogger(name)
        if library_logger.level < logging.WARNING:
            library_logger.setLevel(logging.WARNING)
