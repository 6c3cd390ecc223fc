"""The floor: a print bot reduced to the network steps no print bot can skip.

Run as ``python -m bench.floor`` with its settings as JSON on stdin. It long-polls
Telegram, and for each document it fetches the file's path, downloads the file to
disk, creates the Epson job, uploads the file and starts the print, with the
libraries chatprint uses for each step (python-telegram-bot on chatprint's
aiohttp backend for the Bot API calls, aiohttp for the download and for Epson)
and nothing else: no store, no conversion, no message to the user. What
chatprint adds on top of this is what the benchmarks measure.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

import aiohttp
from telegram import Bot, Message

from adapters.telegram_http import AiohttpRequest

POLL_SECONDS = 10
CHUNK = 64 * 1024
# getFile calls at once, bounded as chatprint bounds them (adapters/telegram_files):
# unbounded, the library's HTTP pool thrashes and the floor would not be a floor.
LOCATES_AT_ONCE = 16


class Floor:
    """One floor client.

    Args:
        settings: ``telegram`` (base URL), ``token``, ``api`` (Epson API base),
            ``api_key`` and ``device_token``.
        session: The HTTP session for every call.
        spool: Where downloads are kept until uploaded.
    """

    def __init__(
        self, settings: dict[str, str], session: aiohttp.ClientSession, spool: Path
    ) -> None:
        self._bot = Bot(
            settings["token"],
            base_url=f"{settings['telegram']}/bot",
            base_file_url=f"{settings['telegram']}/file/bot",
            request=AiohttpRequest(),
            get_updates_request=AiohttpRequest(connections=1),
        )
        self._api = settings["api"]
        self._headers = {
            "x-api-key": settings["api_key"],
            "Authorization": f"Bearer {settings['device_token']}",
        }
        self._session = session
        self._spool = spool
        self._tasks: set[asyncio.Task[None]] = set()
        self._locating = asyncio.Semaphore(LOCATES_AT_ONCE)

    async def run(self) -> None:
        """Poll and print until cancelled."""
        async with self._bot:
            offset = 0
            while True:
                updates = await self._bot.get_updates(
                    offset=offset, timeout=POLL_SECONDS, allowed_updates=[]
                )
                for update in updates:
                    offset = update.update_id + 1
                    assert update.message is not None
                    task = asyncio.create_task(self._print(update.message))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)

    async def _print(self, message: Message) -> None:
        document = message.document
        assert document is not None
        path = self._spool / document.file_unique_id
        async with self._locating:
            located = await self._bot.get_file(document.file_id)
        assert located.file_path is not None
        await self._download(located.file_path, path)
        created = await self._api_call(
            "/printing/jobs",
            {"jobName": f"floor {document.file_name}", "printMode": "document"},
        )
        await self._upload(created["uploadUri"], path)
        await self._api_call(f"/printing/jobs/{created['jobId']}/print", None)
        path.unlink()

    async def _download(self, url: str, path: Path) -> None:
        # python-telegram-bot hands out the whole download URL, as chatprint uses.
        async with self._session.get(url) as response:
            response.raise_for_status()
            with path.open("wb") as handle:
                async for chunk in response.content.iter_chunked(CHUNK):
                    handle.write(chunk)

    async def _api_call(self, path: str, body: dict[str, str] | None) -> Any:
        url = f"{self._api}{path}"
        async with self._session.post(url, json=body, headers=self._headers) as answer:
            answer.raise_for_status()
            return await answer.json() if answer.status == 201 else None

    async def _upload(self, upload_uri: str, path: Path) -> None:
        # Sent as chatprint sends a small file: read whole, one body.
        url = f"{upload_uri}&File=1.pdf"
        headers = {"Content-Type": "application/pdf"}
        body = path.read_bytes()  # noqa: ASYNC240 (as chatprint reads a small file)
        async with self._session.post(url, data=body, headers=headers) as answer:
            answer.raise_for_status()


async def main() -> None:
    """Read the settings from stdin and run until SIGTERM."""
    settings = json.loads(sys.stdin.read())
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    with tempfile.TemporaryDirectory(prefix="floor-") as spool:
        async with aiohttp.ClientSession() as session:
            floor = asyncio.create_task(Floor(settings, session, Path(spool)).run())
            await stop.wait()
            floor.cancel()
            await asyncio.gather(floor, return_exceptions=True)


if __name__ == "__main__":
    asyncio.run(main())
