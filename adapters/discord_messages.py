"""How an OutgoingMessage looks on Discord: text, buttons, picture, message refs.

A message ref is what :meth:`DiscordAdapter.deliver` returns and later gets back
as ``replace``: ``interaction:<interaction id>`` for the response of an
interaction the adapter still holds in memory, ``channel:<channel>:<message>``
for a message the bot posted. Neither holds a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import discord

from bot.core.chat import Button, OutgoingMessage

MAX_CONTENT = 2000
MAX_LABEL = 80
MAX_BUTTONS = 25
_ELLIPSIS = "…"


class ButtonRows(discord.ui.View):
    """Buttons drawn under a message, whose presses reach ``on_interaction``.

    The view is never stored by discord.py (it is not dispatchable): presses are
    turned into commands for the core in one place, and nothing accumulates in
    memory per sent message.
    """

    def __init__(self, buttons: tuple[Button, ...]) -> None:
        super().__init__(timeout=None)
        for button in buttons[:MAX_BUTTONS]:
            self.add_item(_item(button))

    def is_dispatchable(self) -> bool:
        return False


def _item(button: Button) -> discord.ui.Button[ButtonRows]:
    label = _shorten(button.label, MAX_LABEL)
    if button.url is not None:
        return discord.ui.Button(label=label, url=button.url)
    if not button.action:
        raise ValueError("a Button needs an action or a url")
    return discord.ui.Button(label=label, custom_id=button.action)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def message_fields(message: OutgoingMessage, *, edit: bool = False) -> dict[str, Any]:
    """Keyword arguments for discord.py's send and edit calls.

    The text is plain: markdown characters are escaped and nobody is pinged. An
    edit without buttons clears those the message had.
    """
    fields: dict[str, Any] = {
        "content": _shorten(discord.utils.escape_markdown(message.text), MAX_CONTENT),
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if message.buttons:
        fields["view"] = ButtonRows(message.buttons)
    elif edit:
        fields["view"] = None
    return fields


def picture(message: OutgoingMessage) -> list[discord.File]:
    """The message's image as a discord.py file list (empty without one)."""
    if message.image is None:
        return []
    return [discord.File(message.image, filename=message.image.name)]


@dataclass(frozen=True)
class ChannelRef:
    """A message the bot posted in a channel or DM."""

    channel_id: int
    message_id: int

    def __str__(self) -> str:
        return f"channel:{self.channel_id}:{self.message_id}"


def interaction_ref(interaction_id: int) -> str:
    """The ref of an interaction's own response."""
    return f"interaction:{interaction_id}"


def parse_interaction_ref(ref: str | None) -> int | None:
    """The interaction id in an ``interaction:`` ref, else ``None``."""
    kind, _, rest = (ref or "").partition(":")
    return int(rest) if kind == "interaction" and rest.isdigit() else None


def parse_channel_ref(ref: str | None) -> ChannelRef | None:
    """The channel and message of a ``channel:`` ref, else ``None``."""
    parts = (ref or "").split(":")
    if len(parts) != 3 or parts[0] != "channel":
        return None
    if not (parts[1].isdigit() and parts[2].isdigit()):
        return None
    return ChannelRef(int(parts[1]), int(parts[2]))
