"""Gathering the messages of a Telegram album into one request.

Telegram delivers an album (a media group) as one message per file, with no sign
of which is last. The collector waits ``wait`` seconds after the latest part of
each group, then hands the whole album on once. Until the album has been handed
on, the collector names its parts' update ids as held, so that they are not
confirmed to Telegram.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from adapters.telegram_intake import Intake

logger = logging.getLogger(__name__)


@dataclass
class _Album:
    first: Intake
    parts: list[Intake] = field(default_factory=list)
    update_ids: list[int] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None

    def merged(self) -> Intake:
        """One intake: the first part's origin, the first caption, every file."""
        text = next((part.text for part in self.parts if part.text), "")
        return dataclasses.replace(
            self.first,
            text=text,
            attachments=tuple(a for part in self.parts for a in part.attachments),
            mention=any(part.mention for part in self.parts),
        )


class AlbumCollector:
    """Collects album parts by group and releases each album once it is complete.

    Args:
        wait: Seconds of quiet after the latest part before the album is released.
        on_album: Called with the merged album; its errors are its own to handle.
    """

    def __init__(
        self, wait: float, on_album: Callable[[Intake], Coroutine[Any, Any, None]]
    ) -> None:
        self._wait = wait
        self._on_album = on_album
        self._albums: dict[str, _Album] = {}
        self._releasing: dict[asyncio.Task[None], list[int]] = {}

    def add(self, group: str, update_id: int, part: Intake) -> None:
        """Add one message of the album ``group`` and restart its quiet period.

        Args:
            group: The chat and media group the part belongs to.
            update_id: The Telegram update that carried the part.
            part: The part as read.
        """
        album = self._albums.setdefault(group, _Album(part))
        album.parts.append(part)
        album.update_ids.append(update_id)
        if album.timer is not None:
            album.timer.cancel()
        loop = asyncio.get_running_loop()
        album.timer = loop.call_later(self._wait, self._release, group)

    def _release(self, group: str) -> None:
        album = self._albums.pop(group)
        logger.debug("Album %s is complete with %s parts", group, len(album.parts))
        task = asyncio.create_task(self._on_album(album.merged()))
        self._releasing[task] = album.update_ids
        task.add_done_callback(self._releasing.pop)

    def held(self) -> set[int]:
        """The update ids of the parts of albums not yet handed on in full."""
        gathering = [album.update_ids for album in self._albums.values()]
        return {i for ids in [*gathering, *self._releasing.values()] for i in ids}

    async def close(self) -> None:
        """Release the albums still gathering, and wait for every release."""
        for group, album in list(self._albums.items()):
            if album.timer is not None:
                album.timer.cancel()
            self._release(group)
        if self._releasing:
            await asyncio.gather(*self._releasing, return_exceptions=True)
