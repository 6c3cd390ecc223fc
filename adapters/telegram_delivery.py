"""Showing the core's messages in Telegram chats: send, edit in place, keyboards.

A message reference is ``"{chat_id}:{message_id}"``. The outbox remembers what
each recent message shows, so a status that did not change costs no request, and
it treats Telegram's "message is not modified" as the success it is. A photo
(an approval card with its preview) is edited by its caption and buttons.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden

from adapters.telegram_pacing import SendPace
from bot.catalogue import render
from bot.core.chat import Button, ChatTarget, OutgoingMessage

logger = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
REMEMBERED = 2000
BUTTONS_PER_ROW = 2
LONG_ACTION_PREFIX = "~"
# Telegram's answer to editMessageText on a photo or a document.
NO_TEXT = "there is no text in the message to edit"

T = TypeVar("T")


@dataclass(frozen=True)
class _Shown:
    text: str
    buttons: tuple[Button, ...]
    is_photo: bool = False


def message_ref(chat_id: int | str, message_id: int) -> str:
    """The reference of a shown message, as handed to the core."""
    return f"{chat_id}:{message_id}"


def parse_ref(ref: str) -> tuple[int, int]:
    """Split a reference made by :func:`message_ref`.

    Raises:
        ValueError: ``ref`` was not made by this adapter.
    """
    chat_id, _, message_id = ref.rpartition(":")
    return int(chat_id), int(message_id)


class TelegramOutbox:
    """Sends and edits messages for the core, skipping edits that change nothing.

    Args:
        bot: The bot to send with.
        language_of: The catalogue language of a user id, for the bot's own notice.
    """

    def __init__(self, bot: Bot, language_of: Callable[[str], str]) -> None:
        self._bot = bot
        self._language_of = language_of
        self._pace = SendPace()
        self._shown: OrderedDict[str, _Shown] = OrderedDict()
        self._long_actions: OrderedDict[str, str] = OrderedDict()

    async def deliver(
        self, target: ChatTarget, message: OutgoingMessage, replace: str | None
    ) -> str:
        """Show ``message``; edit ``replace`` in place when it can be edited.

        A private message asked from a group goes to the user's private chat.

        Returns:
            The reference of the message that shows it now.
        """
        if message.private and target.chat_id != target.user_id:
            return await self._deliver_privately(target, message, replace)
        if replace is not None and await self._edit(replace, message):
            return replace
        return await self._send(int(target.chat_id), message)

    def close(self) -> None:
        """Stop pacing; sends still waiting for a turn are cancelled."""
        self._pace.close()

    def resolve_action(self, data: str) -> str | None:
        """The button action behind callback data; ``None`` if no longer known."""
        if data.startswith(LONG_ACTION_PREFIX):
            return self._long_actions.get(data)
        return data

    async def _deliver_privately(
        self, target: ChatTarget, message: OutgoingMessage, replace: str | None
    ) -> str:
        private = dataclasses.replace(target, chat_id=target.user_id)
        if replace is not None and not replace.startswith(f"{target.user_id}:"):
            replace = None
        try:
            return await self.deliver(private, message, replace)
        except Forbidden:
            # The user never opened a private chat with the bot: ask them to.
            logger.info("User %s has no private chat with the bot", target.user_id)
            language = self._language_of(target.user_id)
            notice = render(
                "telegram.open_private_chat", language, bot=self._bot.username
            )
            return await self._send(int(target.chat_id), OutgoingMessage(notice))

    async def _edit(self, ref: str, message: OutgoingMessage) -> bool:
        if message.image is not None:
            return False
        shown = self._shown.get(ref)
        wanted = _as_shown(message, is_photo=shown is not None and shown.is_photo)
        if shown == wanted:
            return True
        try:
            await self._pace.turn(urgent=message.event is None)
            await self._request_edit(ref, wanted)
        except BadRequest as exc:
            reason = str(exc).lower()
            if NO_TEXT in reason and not wanted.is_photo:
                # A photo forgotten since a restart (an approval card): its
                # caption is what can be edited.
                self._remember(ref, _Shown("", (), is_photo=True))
                return await self._edit(ref, message)
            if "not modified" not in reason:
                logger.warning(
                    "Message %s cannot be edited (%s); sending anew", ref, exc
                )
                return False
        self._remember(ref, wanted)
        return True

    async def _request_edit(self, ref: str, wanted: _Shown) -> None:
        chat_id, message_id = parse_ref(ref)
        keyboard = self._keyboard(wanted.buttons)
        if wanted.is_photo:
            await self._bot.edit_message_caption(
                chat_id=chat_id,
                message_id=message_id,
                caption=wanted.text,
                reply_markup=keyboard,
            )
            return
        await self._bot.edit_message_text(
            wanted.text, chat_id=chat_id, message_id=message_id, reply_markup=keyboard
        )

    async def _send(self, chat_id: int, message: OutgoingMessage) -> str:
        # Status updates wait behind answers to what a person just did.
        await self._pace.turn(urgent=message.event is None)
        keyboard = self._keyboard(message.buttons)
        sent: Message
        if message.image is not None:
            caption = _clip(message.text, MAX_CAPTION)
            sent = await self._bot.send_photo(
                chat_id, message.image, caption=caption, reply_markup=keyboard
            )
            shown = _Shown(caption, message.buttons, is_photo=True)
        else:
            text = _clip(message.text, MAX_TEXT)
            sent = await self._bot.send_message(chat_id, text, reply_markup=keyboard)
            shown = _Shown(text, message.buttons)
        ref = message_ref(chat_id, sent.message_id)
        self._remember(ref, shown)
        return ref

    def _keyboard(self, buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        row: list[InlineKeyboardButton] = []
        rows: list[list[InlineKeyboardButton]] = [row]
        for button in buttons:
            if len(row) == BUTTONS_PER_ROW:
                row = []
                rows.append(row)
            row.append(self._button(button))
        return InlineKeyboardMarkup(rows)

    def _button(self, button: Button) -> InlineKeyboardButton:
        if button.url is not None:
            return InlineKeyboardButton(button.label, url=button.url)
        return InlineKeyboardButton(
            button.label, callback_data=self._callback_data(button.action or "")
        )

    def _callback_data(self, action: str) -> str:
        if len(action.encode()) <= MAX_CALLBACK_DATA:
            return action
        # Telegram carries at most 64 bytes; longer actions travel as a digest.
        digest = hashlib.sha256(action.encode()).hexdigest()[:40]
        data = LONG_ACTION_PREFIX + digest
        _bounded_put(self._long_actions, data, action)
        return data

    def _remember(self, ref: str, shown: _Shown) -> None:
        _bounded_put(self._shown, ref, shown)


def _bounded_put(cache: OrderedDict[str, T], key: str, value: T) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > REMEMBERED:
        cache.popitem(last=False)


def _as_shown(message: OutgoingMessage, *, is_photo: bool) -> _Shown:
    limit = MAX_CAPTION if is_photo else MAX_TEXT
    return _Shown(_clip(message.text, limit), message.buttons, is_photo=is_photo)


def _clip(text: str, limit: int) -> str:
    # Telegram counts UTF-16 code units; one unit per character is close enough
    # with this margin for the astral characters an emoji adds.
    margin = limit - 64
    return text if len(text) <= margin else text[: margin - 1] + "…"
