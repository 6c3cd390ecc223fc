"""The floor: a print bot reduced to the network steps no print bot can skip.

Run as ``python -m bench.floor`` with its settings as JSON on stdin. It long-polls
Telegram, and for each document it fetches the file's path, downloads the file to
disk, creates the Epson job, uploads the file and starts the print, with aiohttp
and nothing else: no store, no conversion, no message to the user. What chatprint
adds on top of this is what the benchmarks measure.
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

POLL_SECONDS = 10
CHUNK = 64 * 1024


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
        self._bot_url = f"{settings['telegram']}/bot{settings['token']}"
        self._file_url = f"{settings['telegram']}/file/bot{settings['token']}"
        self._api = settings["api"]
        self._headers = {
            "x-api-key": settings["api_key"],
            "Authorization": f"Bearer {settings['device_token']}",
        }
        self._session = session
        self._spool = spool
        self._tasks: set[asyncio.Task[None]] = set()

    async def run(self) -> None:
        """Poll and print until cancelled."""
        offset = 0
        while True:
            updates = await self._telegram(
                "getUpdates",
                {"offset": offset, "timeout": POLL_SECONDS, "allowed_updates": []},
            )
            for update in updates:
                offset = update["update_id"] + 1
                task = asyncio.create_task(self._print(update["message"]))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def _print(self, message: dict[str, Any]) -> None:
        document = message["document"]
        path = self._spool / document["file_unique_id"]
        located = await self._telegram("getFile", {"file_id": document["file_id"]})
        await self._download(located["file_path"], path)
        created = await self._api_call(
            "/printing/jobs",
            {"jobName": f"floor {document['file_name']}", "printMode": "document"},
        )
        await self._upload(created["uploadUri"], path)
        await self._api_call(f"/printing/jobs/{created['jobId']}/print", None)
        path.unlink()

    async def _telegram(self, method: str, body: dict[str, Any]) -> Any:
        url = f"{self._bot_url}/{method}"
        async with self._session.post(url, json=body) as response:
            return (await response.json())["result"]

    async def _download(self, file_path: str, path: Path) -> None:
        async with self._session.get(f"{self._file_url}/{file_path}") as response:
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
        url = f"{upload_uri}&File=1.pdf"
        with path.open("rb") as handle:
            headers = {"Content-Type": "application/pdf"}
            async with self._session.post(url, data=handle, headers=headers) as answer:
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
