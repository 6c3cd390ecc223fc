"""Who sent a command, where answers go, and what the core sends back to a chat."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.events import StatusEvent

PLATFORMS = ("telegram", "discord", "console")


@dataclass(frozen=True)
class Sender:
    """The chat user behind a command, as the platform names them."""

    platform: str
    user_id: str
    display_name: str
    language: str = "en"


@dataclass(frozen=True)
class ChatTarget:
    """Where messages go: a chat on a platform, and the user for private notices.

    A direct message to a user is ``ChatTarget(platform, chat_id=user_id,
    user_id=user_id)`` with ``OutgoingMessage(private=True)``: Telegram's private
    chat id equals the user id, and Discord's adapter sends a private message
    outside an interaction to the user's DMs.
    """

    platform: str
    chat_id: str
    user_id: str


@dataclass(frozen=True)
class Origin:
    """The chat event a command came from.

    Args:
        event_id: Unique per platform event (Telegram update id, Discord interaction
            id): a re-delivered event carries the same id and is ignored.
        sender: Who asked.
        target: Where answers and status messages go.
        is_group: True in group chats and Discord servers.
        chat_title: The group's title, for group chats.
        status_ref: Where the adapter wants the first status message of a job to go
            (for example a deferred Discord interaction); ``None`` sends a new one.
        server_id: The Discord server (guild) of a group event, so a printer can
            be shared with the whole server; empty elsewhere.
        roles: The sender's Discord role ids in that server, for policies that
            let one role print; empty elsewhere.
    """

    event_id: str
    sender: Sender
    target: ChatTarget
    is_group: bool = False
    chat_title: str = ""
    status_ref: str | None = None
    server_id: str = ""
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attachment:
    """A file in a chat message, fetched only from the platform's own file location.

    Args:
        name: The file name the sender gave (cleaned by the core before any use).
        size: The size the platform declares, if it does.
        ref: A durable platform reference (Telegram file_id, Discord attachment URL)
            that the adapter can fetch again after a restart.
        open: Streams the file's bytes.
        is_photo: Sent as a photo (Telegram compressed photo): prints in photo mode.
        content_type: The type the platform claims; informative only, never trusted.
    """

    name: str
    size: int | None
    ref: str
    open: Callable[[], AsyncIterator[bytes]] = field(repr=False, compare=False)
    is_photo: bool = False
    content_type: str | None = None


@dataclass(frozen=True)
class Button:
    """A button under a message: either a callback ``action`` or a ``url`` to open."""

    label: str
    action: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """Text the core has already rendered in the user's language, for one chat.

    Args:
        text: The sentence(s) to show, plain text (adapters may escape it).
        buttons: Rows are not modelled: adapters lay buttons out as they see fit.
        private: Only the asking user should see it (Discord: ephemeral).
        image: A picture to attach (a preview of a page).
        event: The status event this message renders, for adapters that show
            progress in their own way (the console); ``None`` for plain replies.
        refusal: The catalogue key of the error when the message refuses what
            was asked; ``None`` otherwise.
    """

    text: str
    buttons: tuple[Button, ...] = ()
    private: bool = False
    image: Path | None = None
    event: StatusEvent | None = None
    refusal: str | None = None
