"""The Bot API methods the fake Telegram server carries out, and the state they share.

Each method takes decoded parameters and returns the ``result`` of Telegram's
envelope, or raises :class:`BadRequest` (400) or :class:`ApiError` (other codes)
with Telegram's own description.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import io
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from tests.fakes import telegram_payloads as payloads
from tests.fakes.telegram_params import (
    BadRequest,
    Upload,
    check_commands,
    check_reply_markup,
    check_secret_token,
    check_text,
)
from tests.fakes.telegram_payloads import (
    ChatPayload,
    FilePayload,
    MessagePayload,
    PhotoSizePayload,
    UpdatePayload,
    UserPayload,
)

MAX_DOWNLOAD = 20 * 1024 * 1024
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
NO_CAPTION = "there is no caption in the message to edit"
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
CANNOT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use "
    "deleteWebhook to delete the webhook first"
)
IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


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


class ApiError(Exception):
    """An error envelope other than 400 (403 Forbidden, 409 Conflict)."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


@dataclass
class BotState:
    """What the fake Telegram server knows: chats, messages, files, updates."""

    chats: dict[int, ChatPayload] = field(default_factory=dict)
    stored: dict[tuple[int, int], MessagePayload] = field(default_factory=dict)
    from_bot: set[tuple[int, int]] = field(default_factory=set)
    files: dict[str, StoredFile] = field(default_factory=dict)
    queue: list[UpdatePayload] = field(default_factory=list)
    queries: dict[str, bool] = field(default_factory=dict)
    users: set[int] = field(default_factory=set)
    last_message_ids: dict[int, int] = field(default_factory=dict)
    webhook: Webhook | None = None
    commands: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_file(
        self, data: bytes, name: str, *, folder: str = "documents"
    ) -> StoredFile:
        """Store a file the bot may fetch."""
        number = next(self.counter)
        suffix = name.rpartition(".")[2] if "." in name else "bin"
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:05d}fake",
            unique_id=f"AgAD{number:05d}",
            data=data,
            name=name,
            path=f"{folder}/file_{number}.{suffix}",
        )
        self.files[stored.file_id] = stored
        return stored

    def quoted(self, chat_id: int, message_id: int) -> MessagePayload:
        """A copy of a stored message as quoted in a reply (without its own reply)."""
        original = self.stored.get((chat_id, message_id))
        if original is None:
            raise BadRequest("message to be replied not found")
        quoted = copy.deepcopy(original)
        quoted.pop("reply_to_message", None)
        return quoted

    def store(self, message: MessagePayload, *, from_bot: bool) -> None:
        """Keep ``message`` as its chat shows it."""
        key = (message["chat"]["id"], message["message_id"])
        self.stored[key] = message
        if from_bot:
            self.from_bot.add(key)

    def known(self, chat: ChatPayload) -> ChatPayload:
        """Make ``chat`` one the bot may send to."""
        self.chats[chat["id"]] = chat
        return chat

    def next_message_id(self, chat_id: int) -> int:
        """The id of the next message in a chat: never reused, even after a deletion."""
        last = self.last_message_ids.get(chat_id, 0) + 1
        self.last_message_ids[chat_id] = last
        return last

    def next_update_id(self) -> int:
        """The id of the next update."""
        return 500_000 + next(self.counter)


class BotApi:
    """The methods of one bot, carried out over a :class:`BotState`.

    Args:
        state: The platform's state, shared with the server's test controls.
        bot: The bot's own user.
    """

    def __init__(self, state: BotState, bot: UserPayload) -> None:
        self._state = state
        self._bot = bot
        self._arrival = asyncio.Event()
        self.closing = False
        self.polls_waiting = 0
        self.handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getUpdates": self._get_updates,
            "getFile": self._get_file,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "deleteMessage": self._delete_message,
        }

    async def _get_me(self, params: dict[str, Any]) -> Any:
        return {**self._bot, "can_join_groups": True, "supports_inline_queries": False}

    async def _delete_webhook(self, params: dict[str, Any]) -> Any:
        self._state.webhook = None
        if params.get("drop_pending_updates"):
            self._state.queue.clear()
        return True

    async def _set_webhook(self, params: dict[str, Any]) -> Any:
        url = params["url"]
        if not url.startswith(("https://", "http://")):
            raise BadRequest("bad webhook: An HTTPS URL must be provided for webhook")
        check_secret_token(params.get("secret_token"))
        self._state.webhook = Webhook(url, params.get("secret_token"))
        return True

    async def _get_updates(self, params: dict[str, Any]) -> Any:
        if self._state.webhook is not None:
            raise ApiError(409, WEBHOOK_CONFLICT)
        offset = params.get("offset", 0)
        if offset > 0:
            queue = [u for u in self._state.queue if u["update_id"] >= offset]
            self._state.queue = queue
        if not self._state.queue and not self.closing:
            await self._wait_for_update(params.get("timeout", 0))
        wanted = params.get("allowed_updates") or None
        ready = [u for u in self._state.queue if wanted is None or _kind(u) in wanted]
        return ready[: params.get("limit", 100)]

    async def _wait_for_update(self, seconds: float) -> None:
        if seconds <= 0:
            return
        self.polls_waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrival.wait(), seconds)
        finally:
            self.polls_waiting -= 1

    def wake_polls(self) -> None:
        """Answer every long poll waiting now."""
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
            self._state.next_message_id(chat["id"]),
            chat,
            self._bot,
            text=params["text"],
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
        message["photo"] = [photo_size(stored, width, height)]
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

    async def _edit_message_caption(self, params: dict[str, Any]) -> Any:
        message = self._editable(params)
        if "photo" not in message and "document" not in message:
            raise BadRequest(NO_CAPTION)
        caption = params.get("caption", "")
        check_text(caption, caption=True)
        markup = self._markup(params)
        unchanged = message.get("caption", "") == caption
        if unchanged and message.get("reply_markup") == markup:
            raise BadRequest(NOT_MODIFIED)
        _replace_caption(message, caption)
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
        self._state.answers[query_id] = params
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> Any:
        language = params.get("language_code") or ""
        check_commands(params["commands"], language)
        self._state.commands[language] = params["commands"]
        return True

    async def _delete_message(self, params: dict[str, Any]) -> Any:
        chat = self._chat(params["chat_id"])
        key = (chat["id"], params["message_id"])
        if key not in self._state.stored:
            raise BadRequest("message to delete not found")
        del self._state.stored[key]
        return True

    # -- method helpers ----------------------------------------------------

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
        message_id = self._state.next_message_id(chat["id"])
        return payloads.message(message_id, chat, self._bot, caption=caption)

    def _input_file(self, value: Upload | str, default_name: str) -> StoredFile:
        if isinstance(value, Upload):
            return self._state.add_file(value.data, value.name or default_name)
        if value not in self._state.files:
            raise BadRequest("wrong file identifier/HTTP URL specified")
        return self._state.files[value]

    def _sent(self, message: MessagePayload, params: dict[str, Any]) -> MessagePayload:
        markup = self._markup(params)
        if markup is not None:
            message["reply_markup"] = markup
        reply = params.get("reply_parameters")
        if isinstance(reply, dict) and "message_id" in reply:
            message["reply_to_message"] = self._state.quoted(
                message["chat"]["id"], reply["message_id"]
            )
        self._state.store(message, from_bot=True)
        return message


def _kind(update: UpdatePayload) -> str:
    return next(key for key in update if key != "update_id")


def photo_size(stored: StoredFile, width: int, height: int) -> PhotoSizePayload:
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


def _replace_caption(message: MessagePayload, caption: str) -> None:
    # An empty caption removes it, as Telegram does.
    message.pop("caption", None)
    message.pop("caption_entities", None)
    if caption:
        message["caption"] = caption
    if found := payloads.entities(caption):
        message["caption_entities"] = found


def _edited(message: MessagePayload, markup: dict[str, Any] | None) -> MessagePayload:
    message.pop("reply_markup", None)
    if markup is not None:
        message["reply_markup"] = markup
    message["edit_date"] = payloads.DATE + 60
    return message
