"""Keeps the jobs of one printer reaching Epson in the order they were asked for.

Preparing a file takes as long as it takes (a photo is quicker than a long Office
document), but two people sending to one printer expect their pages in the order
they sent them. A job may make its first call to Epson only when every earlier
job of the same printer has made its print call, failed, or been put on hold.
"""

from __future__ import annotations

import asyncio
import bisect


class PrinterQueue:
    """The jobs of each printer that have not yet reached Epson, oldest first."""

    def __init__(self) -> None:
        self._waiting: dict[int, list[int]] = {}
        self._changed = asyncio.Condition()

    def enter(self, printer_id: int, job_id: int) -> None:
        """Take a place for ``job_id``, ordered by job number (request order)."""
        jobs = self._waiting.setdefault(printer_id, [])
        if job_id not in jobs:
            bisect.insort(jobs, job_id)

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
        async with self._changed:
            self._changed.notify_all()
