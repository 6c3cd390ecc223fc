"""Keeps the jobs of one printer reaching Epson in the order they were asked for.

Preparing a file takes as long as it takes (a photo is quicker than a long Office
document), but two people sending to one printer expect their pages in the order
they sent them. A job may make its first call to Epson only when every earlier
job of the same printer has made its print call, failed, or been put on hold.

Reading the status of jobs already at the printer can wait a moment while others
are still on their way there (see :meth:`PrinterQueue.quiet`).
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib


class PrinterQueue:
    """The jobs of each printer that have not yet reached Epson, oldest first."""

    def __init__(self) -> None:
        self._waiting: dict[int, list[int]] = {}
        self._changed = asyncio.Condition()
        self._empty = asyncio.Event()
        self._empty.set()

    def enter(self, printer_id: int, job_id: int) -> None:
        """Take a place for ``job_id``, ordered by job number (request order)."""
        jobs = self._waiting.setdefault(printer_id, [])
        if job_id not in jobs:
            bisect.insort(jobs, job_id)
        self._empty.clear()

    async def turn(self, printer_id: int, job_id: int) -> None:
        """Wait until every earlier job of the printer has left the queue."""
        async with self._changed:
            await self._changed.wait_for(
                lambda: self._waiting.get(printer_id, [job_id])[0] >= job_id
            )

    async def leave(self, printer_id: int, job_id: int) -> None:
        """Give up the place (the print call was made, or the job stopped)."""
        jobs = self._waiting.get(printer_id)
        if jobs is None or job_id not in jobs:
            return
        jobs.remove(job_id)
        if not jobs:
            del self._waiting[printer_id]
            if not self._waiting:
                self._empty.set()
        async with self._changed:
            self._changed.notify_all()

    async def quiet(self, within: float) -> None:
        """Wait until no job of any printer is on its way to Epson, at most
        ``within`` seconds.

        Work that only reports on jobs already printing waits here, so that in a
        rush every new request reaches its printer first.
        """
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                await self._empty.wait()
