"""Scheduled print jobs, handed to the runner's status watch as their time comes.

A scheduled job rests in the idle state ``scheduled`` while Epson holds it. One
task sweeps the store and sleeps until the next job's time, never longer than
``SWEEP_EVERY``: a job due within ``LEAD`` moves to ``printing`` with the Epson
status ``reserved``, and from then on the runner reads its status exactly as it
does for an immediate job, until it is final. One sweeping task, rather than one
sleeping task per job, keeps the runner's tasks to jobs that are really moving
(``wait_idle`` and ``close`` stay as they are), and the store stays the only
record: the first sweep after a start hands over every job whose time came while
the bot was down. An Epson notification about a scheduled job hands it over at
once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from bot.core.tokens import PrinterGone, TokenKeeper
from bot.epson.client import EpsonClient
from bot.epson.errors import CommandNotAllowed, ScheduleNotFound
from bot.epson.models import JobStatus
from storage.records import JobRecord
from storage.store import Store

logger = logging.getLogger(__name__)

SCHEDULED = "scheduled"
# Statuses are read from a little before the job's time: Epson starts it "at"
# that time by its own clock, which ours need not match to the second.
LEAD = 60.0
# Epson refuses a time less than 15 minutes ahead, so a job scheduled while the
# sweep sleeps is still seen well before its time.
SWEEP_EVERY = 300.0
_EARLIEST = datetime.min.replace(tzinfo=UTC)


class ScheduleWatch:
    """Hands each scheduled job to the runner once its time is near.

    Args:
        store: Jobs.
        client: Epson Connect, to delete a schedule that is canceled.
        tokens: Device tokens.
        start: Drives a job from its recorded state (``JobRunner.start_job``).
        lead: Seconds before its time a job is handed over.
        sweep_every: The longest sleep between two sweeps, in seconds.
    """

    def __init__(
        self,
        store: Store,
        client: EpsonClient,
        tokens: TokenKeeper,
        start: Callable[[JobRecord], None],
        *,
        lead: float = LEAD,
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self._store = store
        self._client = client
        self._tokens = tokens
        self._start = start
        self._lead = timedelta(seconds=lead)
        self._sweep_every = sweep_every
        self._woken: set[int] = set()
        self._nudge = asyncio.Event()
        # Held by a hand-over and by a cancel, so that a job is never handed over
        # while it is being canceled.
        self._lock = asyncio.Lock()
        self._next_sweep = _EARLIEST
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sweeping in the background; the first sweep runs at once."""
        if self._task is None:
            self._task = asyncio.create_task(self._sweep_forever(), name="schedules")

    async def close(self) -> None:
        """Stop sweeping; the scheduled jobs stay recorded for the next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def wake(self, job_id: int) -> None:
        """Hand job ``job_id`` over now if it is scheduled (Epson notified us)."""
        self._woken.add(job_id)
        self._nudge.set()

    async def sweep(self, now: datetime | None = None) -> int:
        """Hand over every scheduled job due by ``now``.

        Args:
            now: The time to judge by; the current time when omitted. A later
                time hands over the jobs that would be due then.

        Returns:
            How many jobs were handed over.
        """
        moment = now or datetime.now(UTC)
        async with self._lock:
            waiting = await self._load_scheduled()
            due = [job for job in waiting if self._due_at(job) <= moment]
            for job in due:
                await self.hand_over(job)
        later = [self._due_at(job) for job in waiting if self._due_at(job) > moment]
        ceiling = datetime.now(UTC) + timedelta(seconds=self._sweep_every)
        self._next_sweep = min([*later, ceiling])
        return len(due)

    @contextlib.asynccontextmanager
    async def holding(self, job: JobRecord) -> AsyncIterator[None]:
        """Hand no job over while ``job`` is being canceled, if it is scheduled.

        A cancel of an immediate job holds nothing, so cancels do not queue.
        """
        if job.scheduled_for is None:
            yield
            return
        async with self._lock:
            yield

    async def hand_over(self, job: JobRecord) -> None:
        """Move ``job`` from ``scheduled`` to ``printing`` and have it driven.

        Callers other than the watch itself hold :meth:`holding` (a cancel).
        """
        logger.info("Scheduled job %s is due; its status is read from now", job.id)
        job = await self._store.update_job(
            job.id,
            state="printing",
            epson_status=JobStatus.RESERVED.value,
            detail="schedule due",
        )
        self._start(job)

    async def delete(self, job: JobRecord) -> bool:
        """Delete ``job``'s schedule at Epson, for a cancel.

        Returns:
            False when Epson will no longer delete it (its time has come); the
            job is then watched to its end again.
        """
        if job.printer_id is None or job.epson_job_id is None:
            raise PrinterGone(f"job {job.id} has no printer or schedule at Epson")
        schedule_id = job.epson_job_id
        try:
            await self._tokens.call(
                job.printer_id, lambda t: self._client.delete_schedule(t, schedule_id)
            )
        except ScheduleNotFound:
            logger.info("Job %s schedule was already gone at Epson", job.id)
        except CommandNotAllowed:
            logger.info("Job %s schedule is due and can no longer be deleted", job.id)
            await self._watch_again(job)
            return False
        return True

    async def _watch_again(self, job: JobRecord) -> None:
        if job.state == SCHEDULED:
            await self.hand_over(job)
        else:
            self._start(job)

    async def _sweep_forever(self) -> None:
        while True:
            self._nudge.clear()
            try:
                await self._hand_over_woken()
                if datetime.now(UTC) >= self._next_sweep:
                    await self.sweep()
                delay = (self._next_sweep - datetime.now(UTC)).total_seconds()
            except Exception:
                logger.exception("Sweep of scheduled jobs failed")
                delay = self._sweep_every
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._nudge.wait(), max(delay, 0.0))

    async def _hand_over_woken(self) -> None:
        # Only the jobs named are read: most notifications are about immediate
        # jobs, and a whole sweep for each would read every unfinished job.
        woken, self._woken = self._woken, set()
        async with self._lock:
            for job_id in sorted(woken):
                job = await self._store.load_job(job_id)
                if job is not None and job.state == SCHEDULED:
                    await self.hand_over(job)

    async def _load_scheduled(self) -> list[JobRecord]:
        jobs = await self._store.load_unfinished_jobs()
        return [job for job in jobs if job.state == SCHEDULED]

    def _due_at(self, job: JobRecord) -> datetime:
        if job.scheduled_for is None:
            return _EARLIEST
        return job.scheduled_for - self._lead
