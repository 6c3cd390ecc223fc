"""Mentions of people in Telegram messages, written as the user ids the core reads.

The core names group members by user id (``@4242``). Telegram marks a person
without a username as a ``text_mention`` that carries the user, and a person
with one as a plain ``@username`` ``mention``; bots cannot look a username up,
so only usernames of people the bot has seen are turned into ids. A username
left as typed is refused by the core, which tells the owner what works.
"""

from __future__ import annotations

from collections import OrderedDict

from telegram import Message, MessageEntity, User

REMEMBERED = 10_000
_UNIT = 2  # bytes per UTF-16 code unit, the unit of entity offsets
_ENCODING = "utf-16-le"


class MemberDirectory:
    """The user ids behind recently seen usernames, bounded like any cache.

    Args:
        limit: How many usernames to keep; the least recently seen go first.
    """

    def __init__(self, limit: int = REMEMBERED) -> None:
        self._limit = limit
        self._ids: OrderedDict[str, int] = OrderedDict()

    def remember(self, user: User) -> None:
        """Note the username of a person who wrote or pressed a button."""
        if user.is_bot or not user.username:
            return
        key = user.username.casefold()
        self._ids[key] = user.id
        self._ids.move_to_end(key)
        while len(self._ids) > self._limit:
            self._ids.popitem(last=False)

    def get_id(self, username: str) -> int | None:
        """The user id of ``username`` (without ``@``), if seen."""
        return self._ids.get(username.casefold())


def with_member_ids(message: Message, directory: MemberDirectory) -> str:
    """The text or caption of ``message`` with each known person as ``@<user id>``.

    The author of the message it replies to counts as seen: in privacy mode the
    bot never receives a member's plain messages, but an owner can name them in
    a reply to one. Mentions of bots and of unknown usernames stay as typed.
    """
    _remember_replied(message, directory)
    text = message.text or message.caption or ""
    entities = message.entities if message.text else message.caption_entities
    encoded = text.encode(_ENCODING)
    pieces: list[str] = []
    done = 0
    for entity in sorted(entities, key=lambda found: found.offset):
        start = entity.offset * _UNIT
        end = start + entity.length * _UNIT
        user_id = _mentioned_id(entity, encoded[start:end], directory)
        if user_id is None or start < done:
            continue
        pieces += [encoded[done:start].decode(_ENCODING), f"@{user_id}"]
        done = end
    pieces.append(encoded[done:].decode(_ENCODING))
    return "".join(pieces)


def _remember_replied(message: Message, directory: MemberDirectory) -> None:
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None:
        directory.remember(replied.from_user)


def _mentioned_id(
    entity: MessageEntity, marked: bytes, directory: MemberDirectory
) -> int | None:
    if entity.type == MessageEntity.TEXT_MENTION and entity.user is not None:
        return None if entity.user.is_bot else entity.user.id
    if entity.type == MessageEntity.MENTION:
        return directory.get_id(marked.decode(_ENCODING).removeprefix("@"))
    return None
