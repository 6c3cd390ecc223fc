"""A fake chat platform for core tests: a room that records what the bot shows.

It plays the part Telegram or Discord play for the core: it hands over files from
local paths and keeps the text of every message as the user would see it now.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.chat import Attachment, ChatTarget, Origin, OutgoingMessage, Sender

CHUNK = 64 * 1024


@dataclass
class Shown:
    """One message as the user sees it now (edits replace ``message``)."""

    ref: str
    target: ChatTarget
    message: OutgoingMessage
    edits: int = 0


@dataclass
class ChatRoom:
    """Implements the adapter interface for the core, recording every message."""

    platform: str = "console"
    shown: dict[str, Shown] = field(default_factory=dict)
    history: list[OutgoingMessage] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    async def deliver(
        self,
        target: ChatTarget,
        message: OutgoingMessage,
        *,
        replace: str | None = None,
    ) -> str | None:
        ref = replace if replace in self.shown else f"m{next(self._ids)}"
        if replace in self.shown:
            self.shown[ref].message = message
            self.shown[ref].edits += 1
        else:
            self.shown[ref] = Shown(ref, target, message)
        self.history.append(message)
        self._changed.set()
        return ref

    def open_attachment(self, ref: str) -> AsyncIterator[bytes]:
        return _stream(Path(ref))

    def origin(
        self, user: str = "alice", *, event: str | None = None, language: str = "en"
    ) -> Origin:
        """A new chat event from ``user`` (a fresh event id unless given)."""
        event_id = event or f"{self.platform}:{next(self._ids)}"
        sender = Sender(self.platform, user, user.title(), language)
        return Origin(event_id, sender, ChatTarget(self.platform, f"chat-{user}", user))

    def texts(self) -> list[str]:
        """Every message text shown so far, edits included, in order."""
        return [m.text for m in self.history]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0
    ) -> None:
        """Wait until ``predicate()`` holds after some message changed."""
        async with asyncio.timeout(timeout):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()

    async def wait_for_text(self, fragment: str, timeout: float = 10.0) -> str:
        """Wait for a message containing ``fragment``; return its whole text."""
        await self.wait_for(lambda: any(fragment in t for t in self.texts()), timeout)
        return next(t for t in self.texts() if fragment in t)


def attachment(
    path: Path, *, is_photo: bool = False, name: str | None = None
) -> Attachment:
    """An attachment that streams ``path`` as a chat platform would."""
    return Attachment(
        name=name or path.name,
        size=path.stat().st_size,
        ref=str(path),
        open=lambda: _stream(path),
        is_photo=is_photo,
    )


async def _stream(path: Path) -> AsyncIterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            yield chunk
