"""A strict fake of the Telegram Bot API on loopback, for the real python-telegram-bot.

It serves ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``, checks the token
and every parameter of the methods it knows, answers with Telegram's envelopes and
error texts, and records each call. Tests arrange chats, files and updates through
its builders, then read :attr:`FakeTelegram.calls` and :attr:`FakeTelegram.messages`
(what each chat shows now).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hmac
import io
import itertools
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

from tests.fakes import telegram_payloads as payloads
from tests.fakes.loopback import LoopbackServer, wait_until
from tests.fakes.telegram_params import (
    METHODS,
    BadRequest,
    Upload,
    check_commands,
    check_reply_markup,
    check_secret_token,
    check_text,
    decode_form,
    decode_json,
)
from tests.fakes.telegram_payloads import (
    ChatPayload,
    DocumentPayload,
    FilePayload,
    MessagePayload,
    PhotoSizePayload,
    UpdatePayload,
    UserPayload,
)

DEFAULT_TOKEN = "123456789:AAHfakeTOKENfor-chatprint_tests_0123"
MAX_DOWNLOAD = 20 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use "
    "deleteWebhook to delete the webhook first"
)
PHOTO_WIDTHS = (90, 320, 800, 1280, 2560)
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


@dataclass
class Call:
    """One request to a Bot API method; ``status`` is set once it is answered."""

    method: str
    params: dict[str, Any]
    status: int | None = None


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
class StoredFile:
    """A file the fake can hand out through getFile and the file URL."""

    file_id: str
    unique_id: str
    data: bytes
    name: str
    path: str


@dataclass(frozen=True)
class Webhook:
    """The webhook set by the bot."""

    url: str
    secret_token: str | None


@dataclass(frozen=True)
class _Failure:
    error_code: int
    retry_after: int | None
    description: str


class ApiError(Exception):
    """An error envelope other than 400 (409 Conflict, 429 flood control)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class _State:
    """What the fake Telegram server knows: chats, messages, files, updates."""

    chats: dict[int, ChatPayload] = field(default_factory=dict)
    stored: dict[tuple[int, int], MessagePayload] = field(default_factory=dict)
    from_bot: set[tuple[int, int]] = field(default_factory=set)
    files: dict[str, StoredFile] = field(default_factory=dict)
    queue: list[UpdatePayload] = field(default_factory=list)
    queries: dict[str, bool] = field(default_factory=dict)
    users: set[int] = field(default_factory=set)
    last_message_ids: dict[int, int] = field(default_factory=dict)


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
        self.commands: dict[str, list[dict[str, str]]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.webhook: Webhook | None = None
        self._state = _State()
        self._failures: dict[str, list[_Failure]] = {}
        self._counter = itertools.count(1)
        self._arrival = asyncio.Event()
        self._closing = False
        self._polls_waiting = 0
        self._server = LoopbackServer(self._build_app())
        self._handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getUpdates": self._get_updates,
            "getFile": self._get_file,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "deleteMessage": self._delete_message,
        }

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
        self._closing = True
        self._wake_polls()
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
        number = next(self._counter)
        suffix = name.rpartition(".")[2] if "." in name else "bin"
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:05d}fake",
            unique_id=f"AgAD{number:05d}",
            data=data,
            name=name,
            path=f"{folder}/file_{number}.{suffix}",
        )
        self._state.files[stored.file_id] = stored
        return stored.file_id

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
            stored = self._state.files[
                self.add_file(data, "photo.jpg", folder="photos")
            ]
            sizes.append(_photo_size(stored, width, width * 3 // 4))
        return sizes

    def private_chat(self, sender: UserPayload) -> ChatPayload:
        """The private chat of ``sender`` with the bot."""
        return self._known(payloads.private_chat(sender))

    def group_chat(self, title: str = "Office") -> ChatPayload:
        """A new supergroup the bot is a member of."""
        chat_id = -1_001_000_000_000 - next(self._counter)
        return self._known(payloads.group_chat(chat_id, title))

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
    ) -> UpdatePayload:
        """A new message from ``sender`` in ``chat``, wrapped in an update.

        Args:
            reply_to: The id of an earlier message in the chat it replies to.
        """
        message = payloads.message(
            self._next_message_id(chat["id"]), chat, sender, text=text, caption=caption
        )
        if document is not None:
            message["document"] = document
        if photo is not None:
            message["photo"] = photo
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        if reply_to is not None:
            message["reply_to_message"] = self._quoted(chat["id"], reply_to)
        self._store(message, from_bot=False)
        self._state.users.add(sender["id"])
        return {"update_id": self._next_update_id(), "message": message}

    def media_group(
        self,
        chat: ChatPayload,
        sender: UserPayload,
        parts: Sequence[DocumentPayload | list[PhotoSizePayload]],
        *,
        caption: str | None = None,
    ) -> list[UpdatePayload]:
        """An album: one update per part, the caption on the first, as Telegram does."""
        group_id = f"13{next(self._counter):08d}"
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
        query_id = f"{next(self._counter)}{sender['id']}"
        self._state.queries[query_id] = False
        query = payloads.callback_query(query_id, sender, shown, data)
        return {"update_id": self._next_update_id(), "callback_query": query}

    def push_update(self, update: UpdatePayload) -> None:
        """Queue ``update`` for getUpdates (it may be pushed again: a re-delivery)."""
        self._state.queue.append(update)
        self._wake_polls()

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
            lambda: self._polls_waiting > 0, timeout, message="a pending long poll"
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
        handler = self._handlers.get(method)
        if handler is None:
            self.unknown_methods.append(method)
            return _error(404, "Not Found")
        try:
            call.params = await _read_params(method, request)
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
        return web.Response(body=stored.data, content_type="application/octet-stream")

    # -- methods ---------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {**self.bot, "can_join_groups": True, "supports_inline_queries": False}

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._state.queue.clear()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        url = params["url"]
        if not url.startswith(("https://", "http://")):
            raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        check_secret_token(params.get("secret_token"))
        self.webhook = Webhook(url, params.get("secret_token"))
        return True

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset", 0)
        if offset > 0:
            queue = [u for u in self._state.queue if u["update_id"] >= offset]
            self._state.queue = queue
        if not self._state.queue and not self._closing:
            await self._wait_for_update(params.get("timeout", 0))
        wanted = params.get("allowed_updates") or None
        ready = [u for u in self._state.queue if wanted is None or _kind(u) in wanted]
        return ready[: params.get("limit", 100)]

    async def _wait_for_update(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self._polls_waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrival.wait(), seconds)
        finally:
            self._polls_waiting -= 1

    def _wake_polls(self) -> None:
        # Each poll waits on the event current when it started; a fresh one follows.
        self._arrival.set()
        self._arrival = asyncio.Event()

    async def _get_file(self, params: dict[str, Any]) -> Any:
        stored = self._state.files.get(params["file_id"])
        if stored is None:
            raise BadRequest("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD:
            raise BadRequest("file is too big")
        result: FilePayload = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }
        return result

    async def _send_message(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        check_text(params["text"])
        message = payloads.message(
            self._next_message_id(chat["id"]), chat, self.bot, text=params["text"]
        )
        return self._sent(message, params)

    async def _send_document(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        stored = self._input_file(params["document"], "document.bin")
        message = self._media_message(chat, params)
        message["document"] = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": stored.name,
            "file_size": len(stored.data),
        }
        return self._sent(message, params)

    async def _send_photo(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        stored = self._input_file(params["photo"], "photo.jpg")
        width, height = _image_size(stored.data)
        message = self._media_message(chat, params)
        message["photo"] = [_photo_size(stored, width, height)]
        return self._sent(message, params)

    async def _edit_message_text(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        if "text" not in message:
            raise BadRequest("there is no text in the message to edit")
        check_text(params["text"])
        markup = self._markup(params)
        if message["text"] == params["text"] and message.get("reply_markup") == markup:
            raise BadRequest(NOT_MODIFIED)
        message["text"] = params["text"]
        _replace_entities(message, params["text"])
        return _edited(message, markup)

    async def _edit_reply_markup(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        markup = self._markup(params)
        if message.get("reply_markup") == markup:
            raise BadRequest(NOT_MODIFIED)
        return _edited(message, markup)

    async def _answer_callback_query(self, params: dict[str, Any]) -> Any:
        query_id = params["callback_query_id"]
        if self._state.queries.get(query_id, True):
            raise BadRequest(QUERY_INVALID)
        self._state.queries[query_id] = True
        self.answers[query_id] = params
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        language = params.get("language_code") or ""
        check_commands(params["commands"], language)
        self.commands[language] = params["commands"]
        return True

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        key = (chat["id"], params["message_id"])
        if key not in self._state.stored:
            raise BadRequest("message to delete not found")
        del self._state.stored[key]
        return True

    # -- method helpers --------------------------------------------------------

    def _chat(self, chat_id: int | str) -> ChatPayload:
        try:
            return self._state.chats[int(chat_id)]
        except (KeyError, ValueError):
            pass
        if chat_id in self._state.users:
            # Seen in a group, but never opened a private chat with the bot.
            raise ApiError(403, CANNOT_INITIATE)
        raise BadRequest("chat not found")

    def _editable(self, params: dict[str, Any]) -> MessagePayload:
        if "chat_id" not in params or "message_id" not in params:
            raise BadRequest("message identifier is not specified")
        key = (self._chat(params["chat_id"])["id"], params["message_id"])
        if key not in self._state.stored:
            raise BadRequest("message to edit not found")
        if key not in self._state.from_bot:
            raise BadRequest("message can't be edited")
        return self._state.stored[key]

    def _markup(self, params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        check_reply_markup(markup)
        return markup if markup["inline_keyboard"] else None

    def _media_message(
        self, chat: ChatPayload, params: dict[str, Any]
    ) -> MessagePayload:
        caption = params.get("caption")
        if caption is not None:
            check_text(caption, caption=True)
        message_id = self._next_message_id(chat["id"])
        return payloads.message(message_id, chat, self.bot, caption=caption)

    def _input_file(self, value: Upload | str, default_name: str) -> StoredFile:
        if isinstance(value, Upload):
            file_id = self.add_file(value.data, value.name or default_name)
            return self._state.files[file_id]
        if value not in self._state.files:
            raise BadRequest("wrong file identifier/HTTP URL specified")
        return self._state.files[value]

    def _sent(self, message: MessagePayload, params: dict[str, Any]) -> MessagePayload:
        markup = self._markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and "message_id" in reply:
            message["reply_to_message"] = self._quoted(
                message["chat"]["id"], reply["message_id"]
            )
        self._store(message, from_bot=True)
        return message

    def _quoted(self, chat_id: int, message_id: int) -> MessagePayload:
        original = self._state.stored.get((chat_id, message_id))
        if original is None:
            raise BadRequest("message to be replied not found")
        quoted = copy.deepcopy(original)
        quoted.pop("reply_to_message", None)
        return quoted

    def _store(self, message: MessagePayload, *, from_bot: bool) -> None:
        key = (message["chat"]["id"], message["message_id"])
        self._state.stored[key] = message
        if from_bot:
            self._state.from_bot.add(key)

    def _known(self, chat: ChatPayload) -> ChatPayload:
        self._state.chats[chat["id"]] = chat
        return chat

    def _next_message_id(self, chat_id: int) -> int:
        # Per chat and never reused, even after a deletion.
        last = self._state.last_message_ids.get(chat_id, 0) + 1
        self._state.last_message_ids[chat_id] = last
        return last

    def _next_update_id(self) -> int:
        return 500_000 + next(self._counter)


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


def _kind(update: UpdatePayload) -> str:
    return next(key for key in update if key != "update_id")


def _photo_size(stored: StoredFile, width: int, height: int) -> PhotoSizePayload:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "width": width,
        "height": height,
        "file_size": len(stored.data),
    }


def _image_size(data: bytes) -> tuple[int, int]:
    if not data.startswith(IMAGE_MAGIC):
        raise BadRequest("IMAGE_PROCESS_FAILED")
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except OSError:
        raise BadRequest("IMAGE_PROCESS_FAILED") from None


def _replace_entities(message: MessagePayload, text: str) -> None:
    message.pop("entities", None)
    if found := payloads.entities(text):
        message["entities"] = found


def _edited(message: MessagePayload, markup: dict[str, Any] | None) -> MessagePayload:
    message.pop("reply_markup", None)
    if markup is not None:
        message["reply_markup"] = markup
    message["edit_date"] = payloads.DATE + 60
    return message


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
