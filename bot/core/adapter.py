"""The narrow interface between the core and a chat platform adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from bot.core.chat import ChatTarget, OutgoingMessage
from bot.core.commands import Command


class ChatAdapter(Protocol):
    """What the core needs from a chat platform.

    An adapter turns platform events into :class:`Command` objects for
    :meth:`CommandHandler.handle`, and shows what the core sends back. It holds no
    business rule and writes no user-visible sentence of its own.
    """

    platform: str

    async def deliver(
        self,
        target: ChatTarget,
        message: OutgoingMessage,
        *,
        replace: str | None = None,
    ) -> str | None:
        """Show ``message`` in the chat, replacing the message ``replace`` if given.

        Returns:
            A reference to the shown message for a later ``replace`` (the adapter may
            send a new message where editing is impossible and return its reference),
            or ``None`` if the platform gives none.
        """
        ...

    def open_attachment(self, ref: str) -> AsyncIterator[bytes]:
        """Stream an attachment again from its durable reference (after a restart)."""
        ...


@runtime_checkable
class ChatLinks(Protocol):
    """An adapter that can link a web page back to a chat (optional)."""

    def chat_url(self, target: ChatTarget) -> str | None:
        """A URL that opens ``target``'s chat, or ``None`` if there is none."""
        ...


class CommandHandler(Protocol):
    """The core as adapters see it."""

    async def handle(self, command: Command) -> list[OutgoingMessage]:
        """Carry out ``command``; return the immediate answers for the asking chat.

        Status messages about jobs arrive later through ``ChatAdapter.deliver``.
        A re-delivered event (same ``origin.event_id``) returns no answer.
        """
        ...
