"""The print engine: moves sent jobs through pending, processing and completed.

Each sent job runs in its own task. A printer prints one job at a time, waits
while it is offline, and stays paused (media empty, jam, ...) until the person
at the printer resumes it. Jobs expire ``job_expiry`` seconds after creation.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from bot.epson.simulator.errors import Refused
from bot.epson.simulator.jobs import CANCELLABLE, FINAL, PAUSED, WAITING, SimJob
from bot.epson.simulator.notifications import Notifier
from bot.epson.simulator.output import write_output
from bot.epson.simulator.printers import SimPrinter
from bot.epson.simulator.records import PrintRecord
from bot.epson.simulator.settings import SimulatorSettings

logger = logging.getLogger(__name__)


class PrintEngine:
    """Runs jobs on the simulated printers.

    Args:
        settings: timings, limits and the output folder.
        printers: the printers, by serial number.
        notifier: sends status callbacks.
        prints: list every job reaching ``processing`` is appended to.
    """

    def __init__(
        self,
        settings: SimulatorSettings,
        printers: dict[str, SimPrinter],
        notifier: Notifier,
        prints: list[PrintRecord],
    ) -> None:
        self._settings = settings
        self._printers = printers
        self._notifier = notifier
        self._prints = prints
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._online: dict[str, asyncio.Event] = {}
        self._resumed: dict[str, asyncio.Event] = {}
        self._pauses: dict[str, str] = {}
        self._expiries: list[asyncio.TimerHandle] = []

    def start(self, job: SimJob) -> None:
        """Send ``job`` to its printer: it becomes ``pending`` and runs on its own."""
        job.move("pending")
        task = asyncio.create_task(self._run(job), name=f"sim-job-{job.job_id}")
        self._tasks[job.job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job.job_id, None))

    def waiting(self, jobs: list[SimJob]) -> int:
        """Return how many of ``jobs`` wait for or sit on the printer."""
        return sum(1 for job in jobs if job.status in WAITING)

    def cancel(self, job: SimJob) -> None:
        """Cancel a job that has not started printing.

        Raises:
            Refused: 403 ``operation_not_allowed`` once it is printing or final.
        """
        if job.status not in CANCELLABLE:
            raise Refused(403, "operation_not_allowed")
        self._stop(job)
        self._end(job, "canceled")

    def expire_later(self, job: SimJob) -> None:
        """Arrange for ``job`` to expire ``job_expiry`` seconds from now."""
        loop = asyncio.get_running_loop()
        handle = loop.call_later(self._settings.job_expiry, self._expire, job)
        self._expiries.append(handle)

    def request_pause(self, serial: str, status: str) -> None:
        """Make the next job reaching ``processing`` on ``serial`` pause."""
        if status not in PAUSED:
            raise ValueError(f"pause status must be one of {sorted(PAUSED)}")
        self._pauses[serial] = status

    def resume(self, serial: str) -> None:
        """Clear the pause on ``serial``, as the person at the printer would."""
        self._event(self._resumed, serial).set()

    def wake(self, serial: str) -> None:
        """Tell waiting jobs that ``serial`` may have come back online."""
        if self._printers[serial].connected:
            self._event(self._online, serial).set()

    async def close(self) -> None:
        """Stop every job task and expiry timer."""
        for handle in self._expiries:
            handle.cancel()
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, job: SimJob) -> None:
        try:
            await self._print(job)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("Job %s failed inside the simulator", job.job_id)
            self._end(job, "error_occurred")

    async def _print(self, job: SimJob) -> None:
        await self._step()
        async with self._lock(job.serial):
            await self._until_online(job.serial)
            self._begin(job)
            await self._pause_if_asked(job)
            await self._step()
            self._end(job, "completed")

    def _begin(self, job: SimJob) -> None:
        job.move("processing")
        job.started_at = job.updated_at
        printer = self._printers[job.serial]
        path = None
        if self._settings.output_dir is not None:
            path = write_output(self._settings.output_dir, job, printer.product_name)
        self._prints.append(_record(job, path))

    async def _pause_if_asked(self, job: SimJob) -> None:
        status = self._pauses.pop(job.serial, None)
        if status is None:
            return
        resumed = self._event(self._resumed, job.serial)
        resumed.clear()
        job.move(status)
        self._notifier.notify(job)
        logger.info("Printer %s paused job %s: %s", job.serial, job.job_id, status)
        await resumed.wait()
        job.move("processing")

    async def _until_online(self, serial: str) -> None:
        online = self._event(self._online, serial)
        while not self._printers[serial].connected:
            online.clear()
            await online.wait()

    async def _step(self) -> None:
        await asyncio.sleep(self._settings.step_seconds)

    def _end(self, job: SimJob, status: str) -> None:
        job.move(status)
        self._notifier.notify(job)

    def _stop(self, job: SimJob) -> None:
        task = self._tasks.pop(job.job_id, None)
        if task is not None:
            task.cancel()

    def _expire(self, job: SimJob) -> None:
        # Epson deletes a job at expiry: its file goes, a final status stays.
        job.data = None
        if job.status in FINAL:
            return
        self._stop(job)
        self._end(job, "expired")
        logger.info("Job %s expired", job.job_id)

    def _lock(self, serial: str) -> asyncio.Lock:
        return self._locks.setdefault(serial, asyncio.Lock())

    def _event(self, events: dict[str, asyncio.Event], serial: str) -> asyncio.Event:
        return events.setdefault(serial, asyncio.Event())


def _record(job: SimJob, path: Path | None) -> PrintRecord:
    return PrintRecord(
        job_id=job.job_id,
        serial=job.serial,
        job_name=job.job_name,
        print_mode=job.print_mode,
        settings=job.settings.copy(),
        pages=job.pages,
        total_pages=job.pages * job.settings["copies"],
        file=path,
        kind=job.kind,
        printed_at=job.started_at,
    )
