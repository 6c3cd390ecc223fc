"""A strict fake of the Telegram Bot API on loopback, for the real python-telegram-bot.

It serves ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``, checks the token
and every parameter of the methods it knows, answers with Telegram's envelopes and
error texts, and records each call. Tests arrange chats, files and updates through
its builders, then read :attr:`FakeTelegram.calls` and :attr:`FakeTelegram.messages`
(what each chat shows now).
"""

from __future__ import annotations

import asyncio
import copy
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes import telegram_payloads as payloads
from tests.fakes.loopback import LoopbackServer, wait_until
from tests.fakes.telegram_methods import (
    ApiError,
    BotApi,
    BotState,
    Webhook,
    photo_size,
)
from tests.fakes.telegram_params import (
    METHODS,
    BadRequest,
    Upload,
    decode_form,
    decode_json,
)
from tests.fakes.telegram_payloads import (
    ChatPayload,
    DocumentPayload,
    MessagePayload,
    PhotoSizePayload,
    UpdatePayload,
    UserPayload,
)

DEFAULT_TOKEN = "123456789:AAHfakeTOKENfor-chatprint_tests_0123"
PHOTO_WIDTHS = (90, 320, 800, 1280, 2560)


@dataclass
class Call:
    """One request to a Bot API method; ``status`` is set once it is answered."""

    method: str
    params: dict[str, Any]
    status: int | None = None
    received_at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class ShownMessage:
    """What a chat shows now for one message."""

    text: str
    buttons: tuple[dict[str, str], ...]
    from_bot: bool
    kind: str
    edited: bool

    @property
    def labels(self) -> tuple[str, ...]:
        """The button texts, row after row."""
        return tuple(button["text"] for button in self.buttons)


@dataclass(frozen=True)
class _Failure:
    error_code: int
    retry_after: int | None
    description: str


class FakeTelegram:
    """The Bot API of one bot, served on 127.0.0.1.

    Args:
        token: The only token the fake accepts.
        bot_username: The bot's username (without ``@``).
    """

    def __init__(
        self, token: str = DEFAULT_TOKEN, *, bot_username: str = "chatprint_bot"
    ) -> None:
        self.token = token
        self.bot = payloads.user(
            int(token.split(":", 1)[0]),
            "Chatprint",
            username=bot_username,
            language_code=None,
            is_bot=True,
        )
        self.calls: list[Call] = []
        self.unknown_methods: list[str] = []
        self.downloads: list[str] = []
        self.download_times: list[float] = []
        self._state = BotState()
        self._api = BotApi(self._state, self.bot)
        self._failures: dict[str, list[_Failure]] = {}
        self._held: dict[str, asyncio.Event] = {}
        self._server = LoopbackServer(self._build_app())

    @property
    def webhook(self) -> Webhook | None:
        """The webhook the bot set, if any."""
        return self._state.webhook

    @property
    def commands(self) -> dict[str, list[dict[str, str]]]:
        """Language code (``""`` for the default) -> the bot's command menu."""
        return self._state.commands

    @property
    def answers(self) -> dict[str, dict[str, Any]]:
        """Callback query id -> the parameters the bot answered it with."""
        return self._state.answers

    # -- lifecycle -----------------------------------------------------------

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self._server.url

    @property
    def api_url(self) -> str:
        """The ``base_url`` for python-telegram-bot (the token follows it)."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """The ``base_file_url`` for python-telegram-bot (the token follows it)."""
        return f"{self.url}/file/bot"

    async def start(self) -> None:
        """Start serving on a free loopback port."""
        await self._server.start()

    async def close(self) -> None:
        """Answer pending long polls at once, then stop serving."""
        self._api.closing = True
        self._api.wake_polls()
        await self._server.close()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    # -- arranging the platform ---------------------------------------------

    def add_file(self, data: bytes, name: str, *, folder: str = "documents") -> str:
        """Store a file the bot may fetch; returns its ``file_id``."""
        return self._state.add_file(data, name, folder=folder).file_id

    def document(
        self, file_id: str, *, mime_type: str | None = None
    ) -> DocumentPayload:
        """The ``Document`` of a stored file."""
        stored = self._state.files[file_id]
        document: DocumentPayload = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": stored.name,
            "file_size": len(stored.data),
        }
        if mime_type is not None:
            document["mime_type"] = mime_type
        return document

    def add_photo(self, *variants: bytes) -> list[PhotoSizePayload]:
        """Store the sizes of one photo, smallest first; returns its ``PhotoSize``s."""
        sizes: list[PhotoSizePayload] = []
        for width, data in zip(PHOTO_WIDTHS, variants, strict=False):
            stored = self._state.add_file(data, "photo.jpg", folder="photos")
            sizes.append(photo_size(stored, width, width * 3 // 4))
        return sizes

    def private_chat(self, sender: UserPayload) -> ChatPayload:
        """The private chat of ``sender`` with the bot."""
        return self._state.known(payloads.private_chat(sender))

    def group_chat(self, title: str = "Office") -> ChatPayload:
        """A new supergroup the bot is a member of."""
        chat_id = -1_001_000_000_000 - next(self._state.counter)
        return self._state.known(payloads.group_chat(chat_id, title))

    def message_update(
        self,
        chat: ChatPayload,
        sender: UserPayload,
        *,
        text: str | None = None,
        caption: str | None = None,
        document: DocumentPayload | None = None,
        photo: list[PhotoSizePayload] | None = None,
        reply_to: int | None = None,
        media_group_id: str | None = None,
        text_mentions: Sequence[tuple[str, UserPayload]] = (),
    ) -> UpdatePayload:
        """A new message from ``sender`` in ``chat``, wrapped in an update.

        Args:
            reply_to: The id of an earlier message in the chat it replies to.
            text_mentions: Names in the text or caption that mention a person
                without a username, as ``(name, person)``.
        """
        message = payloads.message(
            self._state.next_message_id(chat["id"]),
            chat,
            sender,
            text=text,
            caption=caption,
        )
        if document is not None:
            message["document"] = document
        if photo is not None:
            message["photo"] = photo
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if reply_to is not None:
            message["reply_to_message"] = self._state.quoted(chat["id"], reply_to)
        _add_text_mentions(message, text_mentions)
        self._state.store(message, from_bot=False)
        self._state.users.add(sender["id"])
        return {"update_id": self._state.next_update_id(), "message": message}

    def media_group(
        self,
        chat: ChatPayload,
        sender: UserPayload,
        parts: Sequence[DocumentPayload | list[PhotoSizePayload]],
        *,
        caption: str | None = None,
    ) -> list[UpdatePayload]:
        """An album: one update per part, the caption on the first, as Telegram does."""
        group_id = f"13{next(self._state.counter):08d}"
        updates = []
        for index, part in enumerate(parts):
            updates.append(
                self.message_update(
                    chat,
                    sender,
                    caption=caption if index == 0 else None,
                    document=part if isinstance(part, dict) else None,
                    photo=part if isinstance(part, list) else None,
                    media_group_id=group_id,
                )
            )
        return updates

    def callback_update(
        self, sender: UserPayload, chat_id: int, message_id: int, data: str
    ) -> UpdatePayload:
        """A press by ``sender`` on the button ``data`` of a bot message."""
        shown = copy.deepcopy(self._state.stored[(chat_id, message_id)])
        query_id = f"{next(self._state.counter)}{sender['id']}"
        self._state.queries[query_id] = False
        query = payloads.callback_query(query_id, sender, shown, data)
        return {"update_id": self._state.next_update_id(), "callback_query": query}

    def push_update(self, update: UpdatePayload) -> None:
        """Queue ``update`` for getUpdates (it may be pushed again: a re-delivery)."""
        self._state.queue.append(update)
        self._api.wake_polls()

    async def send_webhook(self, update: UpdatePayload) -> int:
        """POST ``update`` to the webhook with its secret header; returns the status."""
        if self.webhook is None:
            raise RuntimeError("no webhook is set: the bot must call setWebhook first")
        headers = {}
        if self.webhook.secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook.secret_token
        async with (
            aiohttp.ClientSession() as session,
            session.post(self.webhook.url, json=update, headers=headers) as response,
        ):
            return response.status

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        retry_after: int | None = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next call of ``method`` with an error (by default 429)."""
        if description is None:
            description = _default_description(error_code, retry_after)
        failure = _Failure(
            error_code, retry_after if error_code == 429 else None, description
        )
        self._failures.setdefault(method, []).append(failure)

    def hold(self, method: str) -> asyncio.Event:
        """Keep calls of ``method`` unanswered until the returned event is set."""
        return self._held.setdefault(method, asyncio.Event())

    # -- reading what happened -----------------------------------------------

    @property
    def messages(self) -> dict[int, dict[int, ShownMessage]]:
        """Chat id -> message id -> what the chat shows now."""
        shown: dict[int, dict[int, ShownMessage]] = {}
        for (chat_id, message_id), message in self._state.stored.items():
            from_bot = (chat_id, message_id) in self._state.from_bot
            shown.setdefault(chat_id, {})[message_id] = _shown(message, from_bot)
        return shown

    def bot_messages(self, chat_id: int) -> list[ShownMessage]:
        """The bot's messages in a chat, oldest first."""
        in_chat = self.messages.get(chat_id, {})
        return [in_chat[key] for key in sorted(in_chat) if in_chat[key].from_bot]

    @property
    def pending_updates(self) -> list[UpdatePayload]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._state.queue)

    @property
    def confirmed_offset(self) -> int:
        """The highest getUpdates offset so far: updates below it are confirmed."""
        polls = [c.params for c in self.calls if c.method == "getUpdates"]
        return max((int(p.get("offset", 0)) for p in polls), default=0)

    def calls_to(self, method: str) -> list[Call]:
        """The answered successful calls of ``method``, in order."""
        return [c for c in self.calls if c.method == method and c.status == 200]

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 5.0,
    ) -> Call:
        """Wait for a successful call of ``method`` matching ``predicate``.

        Raises:
            TimeoutError: No such call within ``timeout`` seconds.
        """

        def match() -> Call | None:
            calls = self.calls_to(method)
            return next((c for c in calls if predicate is None or predicate(c)), None)

        await wait_until(lambda: match() is not None, timeout, message=f"{method} call")
        found = match()
        assert found is not None
        return found

    async def wait_until_polling(self, timeout: float = 5.0) -> None:
        """Wait until a getUpdates call is held open, waiting for updates."""
        await wait_until(
            lambda: self._api.polls_waiting > 0, timeout, message="a pending long poll"
        )

    # -- HTTP ------------------------------------------------------------------

    def _build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._serve_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._serve_file)
        return app

    async def _serve_api(self, request: web.Request) -> web.Response:
        if not hmac.compare_digest(request.match_info["token"], self.token):
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        call = Call(method, {})
        self.calls.append(call)
        response = await self._answer(method, call, request)
        call.status = response.status
        return response

    async def _answer(
        self, method: str, call: Call, request: web.Request
    ) -> web.Response:
        handler = self._api.handlers.get(method)
        if handler is None:
            self.unknown_methods.append(method)
            return _error(404, "Not Found")
        try:
            call.params = await _read_params(method, request)
            held = self._held.get(method)
            if held is not None:
                await held.wait()
            return self._fail_if_asked(method) or _ok(await handler(call.params))
        except BadRequest as exc:
            return _error(400, f"Bad Request: {exc}")
        except ApiError as exc:
            return _error(exc.code, exc.description)

    def _fail_if_asked(self, method: str) -> web.Response | None:
        queued = self._failures.get(method)
        if not queued:
            return None
        failure = queued.pop(0)
        return _error(failure.error_code, failure.description, failure.retry_after)

    async def _serve_file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        stored = next((f for f in self._state.files.values() if f.path == path), None)
        token_ok = hmac.compare_digest(request.match_info["token"], self.token)
        if stored is None or not token_ok:
            return _error(404, "Not Found")
        self.downloads.append(path)
        self.download_times.append(time.time())
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # -- methods ---------------------------------------------------------------


async def _read_params(method: str, request: web.Request) -> dict[str, Any]:
    if method not in METHODS:
        return {}
    if request.content_type == "application/json":
        body = await _json_body(request)
        return decode_json(method, {**request.query, **body})
    fields: dict[str, str] = dict(request.query)
    uploads: dict[str, Upload] = {}
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            uploads[name] = Upload(
                value.filename, value.file.read(), value.content_type
            )
        else:
            fields[name] = str(value)
    return decode_form(method, fields, uploads)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.read() or b"{}")
    except ValueError:
        raise BadRequest("can't parse JSON body") from None
    if not isinstance(body, dict):
        raise BadRequest("JSON body must be an object")
    return body


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, retry_after: int | None = None) -> web.Response:
    envelope: dict[str, Any] = {
        "ok": False,
        "error_code": code,
        "description": description,
    }
    if retry_after is not None:
        envelope["parameters"] = {"retry_after": retry_after}
    return web.json_response(envelope, status=code)


def _default_description(error_code: int, retry_after: int | None) -> str:
    if error_code == 429:
        return f"Too Many Requests: retry after {retry_after}"
    if error_code == 400:
        return "Bad Request: injected failure"
    return f"Internal Server Error: injected failure {error_code}"


def _add_text_mentions(
    message: MessagePayload, mentions: Sequence[tuple[str, UserPayload]]
) -> None:
    if not mentions:
        return
    in_text = "text" in message
    text = message.get("text", message.get("caption", ""))
    marked = [payloads.text_mention(text, name, person) for name, person in mentions]
    found = (
        message.get("entities", []) if in_text else message.get("caption_entities", [])
    )
    ordered = sorted([*found, *marked], key=lambda entity: entity["offset"])
    if in_text:
        message["entities"] = ordered
    else:
        message["caption_entities"] = ordered


def _shown(message: MessagePayload, from_bot: bool) -> ShownMessage:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    kind = (
        "photo"
        if "photo" in message
        else "document"
        if "document" in message
        else "text"
    )
    return ShownMessage(
        text=message.get("text", message.get("caption", "")),
        buttons=tuple(button for row in rows for button in row),
        from_bot=from_bot,
        kind=kind,
        edited="edit_date" in message,
    )
