"""Fetching a Telegram file by its file_id: getFile, then a streamed download."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator

import aiohttp
from telegram import Bot
from telegram.error import BadRequest, TelegramError

from bot.convert.errors import FileTooLarge, IntakeError

logger = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
# The Bot API hands out files up to 20 MB; getFile refuses larger ones.
BOT_API_DOWNLOAD_LIMIT = 20_000_000
# getFile answers asked ahead and not yet used; the oldest are dropped beyond.
EARLY_LOCATES = 1024
# getFile calls in flight at once. Past a few dozen, python-telegram-bot's HTTP
# pool spends more time handing connections around than the calls take.
LOCATES_AT_ONCE = 16


class FileUnavailable(IntakeError):
    """Telegram would not give the file (expired file_id, network failure)."""


class TelegramFiles:
    """Streams files from the Bot API's file server, chunk by chunk.

    The download URL holds the bot token, so no error raised here carries the
    URL or an exception that might print it.

    Args:
        bot: The bot whose token and file base URL are used.
        session: The HTTP session for downloads.
        chunk_size: Bytes per chunk handed on.
    """

    def __init__(
        self, bot: Bot, session: aiohttp.ClientSession, chunk_size: int = CHUNK_SIZE
    ) -> None:
        self._bot = bot
        self._session = session
        self._chunk_size = chunk_size
        self._early: OrderedDict[str, asyncio.Task[str]] = OrderedDict()
        self._locating = asyncio.Semaphore(LOCATES_AT_ONCE)

    def locate_early(self, file_id: str) -> None:
        """Ask Telegram where the file is now, while the request is being recorded;
        :meth:`stream` then starts from the answer instead of asking."""
        if file_id in self._early:
            return
        task = asyncio.create_task(self._locate(file_id), name="telegram-getfile")
        # A request refused before its file was wanted never reads the outcome.
        task.add_done_callback(_outcome_read)
        self._early[file_id] = task
        while len(self._early) > EARLY_LOCATES:
            self._early.popitem(last=False)[1].cancel()

    async def stream(self, file_id: str) -> AsyncIterator[bytes]:
        """Yield the file's bytes in chunks, never holding the whole file.

        Raises:
            FileTooLarge: Over the Bot API's download limit.
            FileUnavailable: Telegram refused or the download broke off.
        """
        early = self._early.pop(file_id, None)
        if early is None or early.cancelled():
            url = await self._locate(file_id)
        else:
            url = await early
        async for chunk in self._download(url):
            yield chunk

    def close(self) -> None:
        """Drop the answers asked ahead."""
        for task in self._early.values():
            task.cancel()
        self._early.clear()

    async def _locate(self, file_id: str) -> str:
        try:
            async with self._locating:
                located = await self._bot.get_file(file_id)
        except BadRequest as exc:
            if "too big" in str(exc).lower():
                raise FileTooLarge(str(exc), limit=BOT_API_DOWNLOAD_LIMIT) from exc
            raise FileUnavailable(f"getFile refused the file: {exc}") from exc
        except TelegramError as exc:
            raise FileUnavailable(f"getFile failed: {exc}") from exc
        if not located.file_path:
            raise FileUnavailable("getFile gave no file path")
        return located.file_path

    async def _download(self, url: str) -> AsyncIterator[bytes]:
        # Chained aiohttp errors may quote the URL, hence the token: cut the chain.
        try:
            async with self._session.get(url) as response:
                if response.status != 200:
                    raise FileUnavailable(f"file download answered {response.status}")
                async for chunk in response.content.iter_chunked(self._chunk_size):
                    yield chunk
        except aiohttp.ClientError as exc:
            failure = type(exc).__name__
            raise FileUnavailable(f"file download failed: {failure}") from None


def _outcome_read(task: asyncio.Task[str]) -> None:
    if not task.cancelled():
        with contextlib.suppress(Exception):
            task.result()
