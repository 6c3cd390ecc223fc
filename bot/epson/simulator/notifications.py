"""Job status callbacks: the application's setting and the POSTs Epson would send."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
from yarl import URL

from bot.epson.simulator.jobs import SimJob
from bot.epson.simulator.shapes import CallbackWire, NotificationWire

logger = logging.getLogger(__name__)

CALLBACK_TIME = "%Y/%m/%d %H:%M:%S"


def callback_body(job: SimJob) -> CallbackWire:
    """Return what Epson POSTs about ``job``'s current status."""
    return {
        "Param": {
            "Type": job.kind,
            "JobId": job.job_id,
            "JobStatus": job.status,
            "UpdateDate": job.updated_at.strftime(CALLBACK_TIME),
        }
    }


class Notifier:
    """Keeps the notification setting and sends callbacks, best effort.

    A failed callback is logged and dropped: Epson documents no retries.

    Args:
        timeout: seconds to wait for the receiver before giving up.
    """

    def __init__(self, timeout: float) -> None:
        self.setting: NotificationWire = {"notification": False, "callbackUri": ""}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def configure(self, notification: bool, callback_uri: str) -> None:
        """Store the setting ``POST /printing/settings/notification`` sent."""
        self.setting = {"notification": notification, "callbackUri": callback_uri}
        logger.info("Notifications turned %s", "on" if notification else "off")

    def notify(self, job: SimJob) -> None:
        """Send ``job``'s status to the callback URI in the background."""
        if not self.setting["notification"] or not self.setting["callbackUri"]:
            return
        body = callback_body(job)
        task = asyncio.create_task(self._send(self.setting["callbackUri"], body))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Cancel callbacks still in flight and close the HTTP session."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()

    async def _send(self, uri: str, body: CallbackWire) -> None:
        job_id, status = body["Param"]["JobId"], body["Param"]["JobStatus"]
        try:
            async with self._client().post(uri, json=body) as response:
                await response.read()
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # The URI may carry a receiver's secret in its query: log the host only.
            logger.warning(
                "Callback for job %s (%s) to %s failed: %s",
                job_id,
                status,
                URL(uri).host,
                type(exc).__name__,
            )
            return
        logger.debug(
            "Callback for job %s (%s) answered %s", job_id, status, response.status
        )

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session
