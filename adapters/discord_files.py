"""Fetching Discord attachments: at once when they arrive, or again by URL.

Discord signs attachment URLs and lets them expire, so an attachment small enough
to print is read into memory while the interaction is fresh. Only URLs on
Discord's CDN (or the configured API host, for a local fake or proxy) are ever
fetched: a stored ref cannot send the bot anywhere else.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from types import TracebackType

import aiohttp
import discord
import yarl

from bot.convert.errors import IntakeError
from bot.convert.intake import MAX_UPLOAD_BYTES
from bot.core.chat import Attachment

logger = logging.getLogger(__name__)

CDN_ORIGINS = ("https://cdn.discordapp.com", "https://media.discordapp.net")
CHUNK_BYTES = 64 * 1024
_TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=10)


class AttachmentUnavailable(IntakeError):
    """Discord would not hand over an attachment (expired, deleted or refused)."""


class AttachmentFetcher:
    """Downloads attachments over one HTTP session; an async context manager.

    Args:
        extra_origins: Origins allowed besides Discord's CDN
            (``http://127.0.0.1:5000``).
        limit: Attachments up to this size are read at once.
    """

    def __init__(
        self, extra_origins: Iterable[str] = (), *, limit: int = MAX_UPLOAD_BYTES
    ) -> None:
        self._origins = {*CDN_ORIGINS, *(_origin(o) for o in extra_origins)}
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> AttachmentFetcher:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def open(self) -> None:
        """Open the HTTP session (again, after :meth:`close`)."""
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=_TIMEOUT)

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def fetch_all(
        self, attachments: Iterable[discord.Attachment]
    ) -> tuple[Attachment, ...]:
        """Read every attachment that is small enough now; the rest stay by URL."""
        return tuple(await asyncio.gather(*(self._fetch(a) for a in attachments)))

    async def stream(self, url: str) -> AsyncIterator[bytes]:
        """Stream the file at ``url`` in chunks.

        Raises:
            AttachmentUnavailable: The URL is not Discord's, or the download failed.
        """
        if _origin(url) not in self._origins:
            raise AttachmentUnavailable("attachment URL is not on Discord's CDN")
        session = self._require_session()
        try:
            async with session.get(url) as response:
                if response.status != 200:
                    raise AttachmentUnavailable(
                        f"attachment download answered HTTP {response.status}"
                    )
                async for chunk in response.content.iter_chunked(CHUNK_BYTES):
                    yield chunk
        except aiohttp.ClientError as exc:
            raise AttachmentUnavailable("attachment download failed") from exc

    async def _fetch(self, attachment: discord.Attachment) -> Attachment:
        url = attachment.url
        data = await self._read_small(attachment)

        def open_now() -> AsyncIterator[bytes]:
            if data is None:
                return self.stream(url)
            return _replay(data)

        return Attachment(
            name=attachment.filename,
            size=attachment.size,
            ref=url,
            open=open_now,
            content_type=attachment.content_type,
        )

    async def _read_small(self, attachment: discord.Attachment) -> bytes | None:
        """The attachment's bytes, or ``None`` if too large or unreadable now."""
        if attachment.size > self._limit:
            return None
        received = bytearray()
        try:
            async for chunk in self.stream(attachment.url):
                received += chunk
                if len(received) > self._limit:
                    # Larger than declared: the core's own cap refuses it later.
                    return None
        except AttachmentUnavailable as exc:
            logger.warning("Attachment %s was not read at once: %s", attachment.id, exc)
            return None
        return bytes(received)

    def _require_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("use AttachmentFetcher inside 'async with'")
        return self._session


async def _replay(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), CHUNK_BYTES):
        yield data[start : start + CHUNK_BYTES]


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of ``url``; empty for anything but absolute URLs."""
    try:
        return str(yarl.URL(url).origin())
    except ValueError:
        return ""
