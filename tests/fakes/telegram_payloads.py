"""Telegram Bot API wire shapes, and builders for what the fake server sends."""

from __future__ import annotations

import re
from typing import Any, NotRequired, TypedDict

COMMAND_OR_MENTION = re.compile(
    r"(?<![\w/@])(?:/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?|@[A-Za-z0-9_]{3,32})"
)
DATE = 1_767_000_000


class UserPayload(TypedDict):
    """A Telegram ``User``."""

    id: int
    is_bot: bool
    first_name: str
    username: NotRequired[str]
    language_code: NotRequired[str]


class ChatPayload(TypedDict):
    """A Telegram ``Chat`` (private, group or supergroup)."""

    id: int
    type: str
    title: NotRequired[str]
    first_name: NotRequired[str]
    username: NotRequired[str]


class EntityPayload(TypedDict):
    """A Telegram ``MessageEntity``; offsets count UTF-16 code units."""

    type: str
    offset: int
    length: int
    user: NotRequired[UserPayload]


class DocumentPayload(TypedDict):
    """A Telegram ``Document``."""

    file_id: str
    file_unique_id: str
    file_name: str
    mime_type: NotRequired[str]
    file_size: int


class PhotoSizePayload(TypedDict):
    """One size of a Telegram photo."""

    file_id: str
    file_unique_id: str
    width: int
    height: int
    file_size: int


class FilePayload(TypedDict):
    """A Telegram ``File``, as getFile answers; ``file_path`` is relative."""

    file_id: str
    file_unique_id: str
    file_size: int
    file_path: str


# Functional form: the sender's key is "from", a Python keyword.
MessagePayload = TypedDict(
    "MessagePayload",
    {
        "message_id": int,
        "date": int,
        "chat": ChatPayload,
        "from": NotRequired[UserPayload],
        "text": NotRequired[str],
        "entities": NotRequired[list[EntityPayload]],
        "caption": NotRequired[str],
        "caption_entities": NotRequired[list[EntityPayload]],
        "document": NotRequired[DocumentPayload],
        "photo": NotRequired[list[PhotoSizePayload]],
        "media_group_id": NotRequired[str],
        "reply_to_message": NotRequired["MessagePayload"],
        "reply_markup": NotRequired[dict[str, Any]],
        "edit_date": NotRequired[int],
    },
)
CallbackQueryPayload = TypedDict(
    "CallbackQueryPayload",
    {
        "id": str,
        "from": UserPayload,
        "chat_instance": str,
        "data": str,
        "message": MessagePayload,
    },
)


class UpdatePayload(TypedDict):
    """A Telegram ``Update``: an id and exactly one kind."""

    update_id: int
    message: NotRequired[MessagePayload]
    callback_query: NotRequired[CallbackQueryPayload]


def user(
    user_id: int,
    first_name: str = "Ada",
    *,
    language_code: str | None = "en",
    username: str | None = None,
    is_bot: bool = False,
) -> UserPayload:
    """A Telegram user; ``language_code`` as the client reports it (``zh-hans``)."""
    payload: UserPayload = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
    if language_code is not None:
        payload["language_code"] = language_code
    if username is not None:
        payload["username"] = username
    return payload


def private_chat(sender: UserPayload) -> ChatPayload:
    """The private chat between ``sender`` and the bot (same id as the user)."""
    return {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}


def group_chat(chat_id: int, title: str = "Office") -> ChatPayload:
    """A supergroup; its id is negative as on Telegram."""
    return {"id": chat_id, "type": "supergroup", "title": title}


def entities(text: str) -> list[EntityPayload]:
    """The ``bot_command`` and ``mention`` entities Telegram marks in ``text``."""
    found: list[EntityPayload] = []
    for match in COMMAND_OR_MENTION.finditer(text):
        kind = "bot_command" if match.group().startswith("/") else "mention"
        offset = utf16_length(text[: match.start()])
        found.append(
            {"type": kind, "offset": offset, "length": utf16_length(match.group())}
        )
    return found


def text_mention(text: str, name: str, person: UserPayload) -> EntityPayload:
    """A ``text_mention`` of ``person`` on the first ``name`` in ``text``.

    Telegram marks a mention this way when the person has no username.
    """
    start = text.index(name)
    return {
        "type": "text_mention",
        "offset": utf16_length(text[:start]),
        "length": utf16_length(name),
        "user": person,
    }


def utf16_length(text: str) -> int:
    """The length of ``text`` in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def message(
    message_id: int,
    chat: ChatPayload,
    sender: UserPayload,
    *,
    text: str | None = None,
    caption: str | None = None,
) -> MessagePayload:
    """A message with text, or the skeleton of a media message with a caption."""
    payload: MessagePayload = {
        "message_id": message_id,
        "date": DATE,
        "chat": chat,
        "from": sender,
    }
    if text is not None:
        payload["text"] = text
        if found := entities(text):
            payload["entities"] = found
    if caption is not None:
        payload["caption"] = caption
        if found := entities(caption):
            payload["caption_entities"] = found
    return payload


def callback_query(
    query_id: str, sender: UserPayload, shown: MessagePayload, data: str
) -> CallbackQueryPayload:
    """A press on a button under the bot's message ``shown``."""
    return {
        "id": query_id,
        "from": sender,
        "chat_instance": f"ci{shown['chat']['id']}",
        "data": data,
        "message": shown,
    }
