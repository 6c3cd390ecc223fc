"""Running print jobs step by step, so a crash at any moment loses nothing and
prints nothing twice.

Each step is recorded in the store before the next begins. The one step Epson
cannot undo, the print call, is preceded by the state ``print_requested``: after a
restart such a job's status is read first, and the print call is repeated only if
Epson still shows the job as ``preparing`` (the first call never took effect).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import random
import shutil
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterator,
    Mapping,
    Sequence,
)
from datetime import UTC, datetime
from pathlib import Path

from bot.catalogue import render_error
from bot.convert import (
    PRINTABLE_EXTENSIONS,
    clean_filename,
    preview_path,
    receive,
)
from bot.core.adapter import ChatAdapter
from bot.core.chat import Attachment
from bot.core.epson_jobs import EpsonJobs, printer_of
from bot.core.events import Phase, StatusEvent
from bot.core.link_waits import RELINK, LinkWaits
from bot.core.preparation import Preparer, Received
from bot.core.printer_queue import PrinterQueue
from bot.core.schedule_watch import ScheduleWatch
from bot.core.status import StatusReporter
from bot.core.tokens import LinkBroken, PrinterGone, TokenKeeper
from bot.epson.client import EpsonClient
from bot.epson.errors import (
    EpsonUnavailable,
    OperationNotAllowed,
    UploadConflict,
    UploadKeyNotFound,
)
from bot.epson.models import JobInfo, JobStatus
from bot.errors import ChatprintError
from bot.options import PrintOptions
from storage.records import JobRecord, SourceFile
from storage.store import Store

logger = logging.getLogger(__name__)

FINAL_STATES = frozenset({"completed", "canceled", "failed", "expired"})
# Jobs in these states wait for a person (settings card, approval, a new sign-in
# at Epson) or for Epson's scheduler; the runner does not drive them.
IDLE_STATES = frozenset({"draft", "held", "scheduled", RELINK})
ACTIVE_AT_EPSON = frozenset({"created", "uploaded", "print_requested", "printing"})
RETRY_LIMIT = 12
RETRY_FIRST = 0.5
RETRY_MAX = 60.0
POLL_JITTER = 0.2
# On a clean stop, a job telling its user the outcome may finish for this long.
FINISH_GRACE = 5.0
# A status read of a printing job waits at most this long for the jobs still on
# their way to Epson (see PrinterQueue.quiet).
STATUS_READ_YIELD = 2.0

_FINAL_BY_STATUS = {
    JobStatus.COMPLETED: ("completed", Phase.COMPLETED),
    JobStatus.CANCELED: ("canceled", Phase.CANCELED),
    JobStatus.ERROR_OCCURRED: ("failed", Phase.FAILED),
    JobStatus.EXPIRED: ("expired", Phase.EXPIRED),
}
# States in which a job waits for its turn at the printer (see printer_queue.py).
_BEFORE_EPSON = frozenset({"received", "prepared", "created", "uploaded"})
# States of a scheduled job that Epson holds (see schedule_watch.py).
_SCHEDULE_AT_EPSON = frozenset({"scheduled", "printing"})
_CANCELLABLE = frozenset(
    {
        Phase.ACCEPTED,
        Phase.CONVERTING,
        Phase.UPLOADING,
        Phase.WAITING,
        Phase.SCHEDULED,
        Phase.HELD,
    }
)


class JobRunner:
    """Drives every unfinished job from its recorded state to a final one.

    Args:
        store: Jobs and printers.
        client: Epson Connect.
        tokens: Device tokens, refreshed as needed.
        preparer: Conversion and settings.
        reporter: Status messages.
        adapters: Chat adapters by platform, to fetch attachments after a restart.
        spool_dir: A private folder for files in flight (see :meth:`_clean`).
        poll_interval: First wait between status reads; doubles while unchanged.
        poll_max: The longest wait between status reads.
        gate: Asked about every prepared job before anything goes to Epson; it
            returns the job still ``prepared`` to go on, or moved to an idle
            state (``held``) to stop here (see ``approvals.py``).
    """

    def __init__(
        self,
        *,
        store: Store,
        client: EpsonClient,
        tokens: TokenKeeper,
        preparer: Preparer,
        reporter: StatusReporter,
        adapters: Mapping[str, ChatAdapter],
        spool_dir: Path,
        poll_interval: float,
        poll_max: float,
        gate: Callable[[JobRecord], Awaitable[JobRecord]] | None = None,
    ) -> None:
        self._store = store
        self._gate = gate
        self._queue = PrinterQueue()
        self._epson = EpsonJobs(
            client, tokens, retry_first=poll_interval, retry_max=poll_max
        )
        self._preparer = preparer
        self._reporter = reporter
        self._adapters = adapters
        self._spool = spool_dir
        self._poll_interval = poll_interval
        self._poll_max = poll_max
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._wakeups: dict[int, asyncio.Event] = {}
        self._finishing: set[int] = set()
        # The printer name of each job being driven, for its status messages.
        self._printer_names: dict[int, str] = {}
        self._links = LinkWaits(store, adapters)
        self.schedules = ScheduleWatch(
            store, client, tokens, lambda job: self.start_job(job.id, recorded=job)
        )

    def start_job(
        self,
        job_id: int,
        attachments: Sequence[Attachment] = (),
        *,
        recorded: JobRecord | None = None,
    ) -> None:
        """Drive job ``job_id`` in the background from its recorded state.

        Args:
            recorded: The job as just recorded, which spares reading it again.
        """
        if job_id in self._tasks:
            return
        run = self._run(job_id, attachments, recorded)
        task = asyncio.create_task(run, name=f"job-{job_id}")
        self._tasks[job_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(job_id, None))

    async def resume(self) -> int:
        """Restart every unfinished job after a start; return how many."""
        # A crash between a new link and its jobs going on left them waiting.
        for job in await self._links.waiting(linked=True):
            await self._release(job.id)
        jobs = [
            job
            for job in await self._store.load_unfinished_jobs()
            if job.state not in IDLE_STATES
        ]
        for job in jobs:
            logger.info("Resuming job %s from state %s", job.id, job.state)
            self.start_job(job.id)
        self.schedules.start()
        return len(jobs)

    async def resume_printer(self, printer_id: int) -> int:
        """Go on with the jobs that waited for ``printer_id`` to be linked again.

        Each goes on from the step it had reached (see ``link_waits.py``).

        Returns:
            How many jobs went on.
        """
        self._links.forget(printer_id)
        waiting = await self._links.waiting(printer_id)
        for job in waiting:
            await self._release(job.id)
        return len(waiting)

    async def expire_link_waits(self, now: datetime | None = None) -> int:
        """End the jobs that waited too long for their printer; return how many."""
        overdue = await self._links.overdue(now or datetime.now(UTC))
        for job in overdue:
            logger.info("Job %s expired waiting for its printer link", job.id)
            # Asked to print before the break, it may have printed: say so.
            asked = await self._links.reached_printer(job)
            reason = "unwatched" if asked else ""
            await self._finish(job, "expired", Phase.EXPIRED, reason=reason)
        return len(overdue)

    def wake(self, job_id: int) -> None:
        """Read job ``job_id``'s status now (an Epson notification arrived)."""
        event = self._wakeups.get(job_id)
        if event is not None:
            event.set()
        else:
            self.schedules.wake(job_id)

    async def wait_idle(self) -> None:
        """Wait until no job is being driven and its chat is told (the demo exits)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks.values()), return_exceptions=True)
        await self._reporter.flush()

    async def close(self) -> None:
        """Stop driving jobs; they resume from their recorded state next start."""
        await self.schedules.close()
        finishing = [self._tasks[i] for i in self._finishing if i in self._tasks]
        if finishing:
            await asyncio.wait(finishing, timeout=FINISH_GRACE)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def cancel(self, job: JobRecord) -> str:
        """Cancel ``job`` if Epson still allows it; return the outcome's message key."""
        if job.state in FINAL_STATES:
            return "job.already_final"
        async with self.schedules.holding(job):
            return await self._cancel(job)

    async def _cancel(self, job: JobRecord) -> str:
        await self._stop_task(job.id)
        fresh = await self._store.load_job(job.id) or job
        if fresh.scheduled_for is not None and fresh.state in _SCHEDULE_AT_EPSON:
            if not await self.schedules.delete(fresh):
                return "job.cancel_too_late"
        elif fresh.epson_job_id and fresh.state in ACTIVE_AT_EPSON:
            try:
                await self._epson.cancel(fresh)
            except OperationNotAllowed:
                self.start_job(fresh.id)
                return "job.cancel_too_late"
        await self._finish(fresh, "canceled", Phase.CANCELED)
        return "job.canceled_by_user"

    async def _stop_task(self, job_id: int) -> None:
        task = self._tasks.pop(job_id, None)
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(
        self,
        job_id: int,
        attachments: Sequence[Attachment],
        recorded: JobRecord | None,
    ) -> None:
        job = recorded or await self._store.load_job(job_id)
        if job is None:
            return
        if job.state in _BEFORE_EPSON and job.printer_id is not None:
            self._queue.enter(job.printer_id, job.id)
        try:
            await self._drive(job, attachments)
        except LinkBroken:
            await self._wait_for_link(job_id)
        except ChatprintError as exc:
            await self._fail(job_id, exc)
        except Exception:
            logger.exception("Job %s failed unexpectedly", job_id)
            await self._fail(job_id, ChatprintError("unexpected failure"))
        finally:
            self._printer_names.pop(job.id, None)
            if job.printer_id is not None:
                await self._queue.leave(job.printer_id, job.id)

    async def _wait_for_link(self, job_id: int) -> None:
        job = await self._store.load_job(job_id)
        if job is None or job.state in FINAL_STATES | IDLE_STATES:
            return
        logger.warning("Job %s waits in state %s for a new link", job.id, job.state)
        job = await self._links.hold(job)
        await self._emit(job, Phase.HELD)
        # The printer may have been linked again while this job was moving over.
        if await self._links.linked(job):
            await self._release(job.id)

    async def _release(self, job_id: int) -> None:
        if await self._links.release(job_id):
            self.start_after(job_id)

    def start_after(self, job_id: int) -> None:
        """Start driving the job once its current task (if any) has ended.

        For a job let go by a person (an approval, a new link) while the task
        that stopped it may still be finishing its last steps. A task cancelled
        meanwhile (a stop, a /cancel) starts nothing: the job's recorded state
        is picked up by the next start, if still unfinished.
        """
        task = self._tasks.get(job_id)
        if task is None:
            self.start_job(job_id)
        else:
            task.add_done_callback(
                lambda ended: None if ended.cancelled() else self.start_job(job_id)
            )

    async def _drive(self, job: JobRecord, attachments: Sequence[Attachment]) -> None:
        failures = 0
        while job.state not in FINAL_STATES | IDLE_STATES:
            try:
                job = await self._step(job, attachments)
                failures = 0
                if job.state not in _BEFORE_EPSON and job.printer_id is not None:
                    await self._queue.leave(job.printer_id, job.id)
            except EpsonUnavailable:
                failures += 1
                if failures > RETRY_LIMIT:
                    raise
                delay = min(RETRY_FIRST * 2 ** (failures - 1), RETRY_MAX)
                logger.warning(
                    "Job %s: Epson unavailable in state %s; retrying in %.1fs",
                    job.id,
                    job.state,
                    delay,
                )
                await asyncio.sleep(delay)
                job = await self._store.load_job(job.id) or job

    async def _step(
        self, job: JobRecord, attachments: Sequence[Attachment]
    ) -> JobRecord:
        if job.state == "received":
            return await self._prepare(job, attachments)
        if job.state == "prepared":
            if self._gate is not None:
                job = await self._gate(job)
                if job.state == "held":
                    await self._emit(job, Phase.HELD)
                if job.state != "prepared":
                    return job
            await self._queue.turn(printer_of(job), job.id)
            return await self._create(job)
        if job.state == "created":
            return await self._upload(job)
        if job.state == "uploaded":
            return await self._print(job)
        if job.state == "print_requested":
            return await self._confirm_print(job)
        if job.state == "printing":
            return await self._watch(job)
        raise RuntimeError(f"job {job.id} is in unknown state {job.state!r}")

    async def _prepare(
        self, job: JobRecord, attachments: Sequence[Attachment]
    ) -> JobRecord:
        printer = await self._store.load_printer(printer_of(job))
        if printer is None:
            raise PrinterGone(f"job {job.id} printer is gone")
        self._printer_names[job.id] = printer.name
        await self._emit(job, Phase.CONVERTING)
        files = await self._fetch(job, attachments)
        options = PrintOptions.from_dict(job.options)
        prepared = await self._preparer.prepare(
            files, printer, options, self._work_dir(job.id)
        )
        # The upload names the file by its extension: give it one.
        spool = prepared.printable.path.replace(
            self._printable_path(job.id, prepared.printable.extension)
        )
        return await self._store.update_job(
            job.id,
            state="prepared",
            spool_path=str(spool),
            pages=prepared.printable.page_count,
            copies=prepared.settings.copies,
            print_mode=prepared.mode.value,
            settings=dict(prepared.settings.to_wire()),
        )

    async def _fetch(
        self, job: JobRecord, attachments: Sequence[Attachment]
    ) -> list[Received]:
        received = []
        for index, source in enumerate(job.sources):
            dest = self._source_path(job.id, index)
            dest.unlink(missing_ok=True)
            stream = self._stream(job, source, attachments, index)
            await receive(stream, dest, declared_size=source.size)
            received.append(
                Received(dest, clean_filename(source.name), source.is_photo)
            )
        return received

    def _stream(
        self,
        job: JobRecord,
        source: SourceFile,
        attachments: Sequence[Attachment],
        index: int,
    ) -> AsyncIterator[bytes]:
        if index < len(attachments):
            return attachments[index].open()
        adapter = self._adapters.get(job.platform)
        if adapter is None:
            raise ChatprintError(f"no {job.platform} adapter to fetch from")
        return adapter.open_attachment(source.ref)

    async def _create(self, job: JobRecord) -> JobRecord:
        await self._emit(job, Phase.UPLOADING)
        if job.scheduled_for is not None:
            return await self._schedule(job, job.scheduled_for)
        epson_id = await self._epson.create_with_file(job)
        # Created and uploaded are recorded together with the intent to print: a
        # crash before this leaves at most an unprinted job at Epson, which
        # expires there, and the job is created again from ``prepared``.
        job = await self._store.update_job(
            job.id, state="print_requested", epson_job_id=epson_id
        )
        return await self._start_print(job)

    async def _schedule(self, job: JobRecord, when: datetime) -> JobRecord:
        # Create, upload and reserve in one step: an unreserved schedule left by a
        # crash never prints, so repeating the step cannot print twice.
        schedule_id = await self._epson.reserve(job, when)
        job = await self._store.update_job(
            job.id, state="scheduled", epson_job_id=schedule_id
        )
        self._clean(job)
        stamp = when.strftime("%Y-%m-%d %H:%M UTC")
        await self._emit(job, Phase.SCHEDULED, params={"when": stamp})
        return job

    async def _upload(self, job: JobRecord) -> JobRecord:
        if job.spool_path is None or job.upload_uri is None:
            raise RuntimeError(f"job {job.id} has no file or upload address")
        try:
            await self._epson.upload_again(job)
        except UploadConflict:
            logger.info("Job %s file was already uploaded before a restart", job.id)
        except UploadKeyNotFound:
            logger.warning("Job %s upload key expired; creating the job again", job.id)
            return await self._store.update_job(
                job.id, state="prepared", epson_job_id=None, upload_uri=None
            )
        return await self._store.update_job(job.id, state="uploaded")

    async def _print(self, job: JobRecord) -> JobRecord:
        job = await self._store.update_job(job.id, state="print_requested")
        return await self._start_print(job)

    async def _confirm_print(self, job: JobRecord) -> JobRecord:
        info = await self._epson.fetch_info(job)
        if info is not None and info.status is JobStatus.PREPARING:
            return await self._start_print(job)
        logger.info("Job %s print call had reached Epson before a restart", job.id)
        return await self._store.update_job(job.id, state="printing")

    async def _start_print(self, job: JobRecord) -> JobRecord:
        await self._epson.start_print(job)
        # Queued together, the two writes share one commit.
        job, _ = await asyncio.gather(
            self._store.update_job(
                job.id, state="printing", epson_status=JobStatus.PENDING.value
            ),
            self._store.audit(job.identity_id, "print", f"job {job.id}"),
        )
        await self._emit(job, Phase.WAITING)
        return job

    async def _watch(self, job: JobRecord) -> JobRecord:
        wakeup = self._wakeups.setdefault(job.id, asyncio.Event())
        interval = self._poll_interval
        try:
            while job.state == "printing":
                await self._queue.quiet(STATUS_READ_YIELD)
                info = await self._epson.fetch_info(job)
                if info is None:
                    return await self._finish(job, "expired", Phase.EXPIRED)
                # A final status already recorded means a crash came before the
                # user was told: finish again.
                if info.status.value != job.epson_status or info.status.is_final:
                    job = await self._record_status(job, info)
                    interval = self._poll_interval
                else:
                    interval = min(interval * 2, self._poll_max)
                if job.state != "printing":
                    return job
                wakeup.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wakeup.wait(), _jittered(interval))
            return job
        finally:
            self._wakeups.pop(job.id, None)

    async def _record_status(self, job: JobRecord, info: JobInfo) -> JobRecord:
        logger.info("Job %s moved from %s to %s", job.id, job.epson_status, info.status)
        final = _FINAL_BY_STATUS.get(info.status)
        if final is not None:
            state, phase = final
            # Recorded with the final state, after the user is told: a crash in
            # between reads the same final status again after the restart.
            job = dataclasses.replace(
                job, epson_status=info.status.value, total_pages=info.total_pages
            )
            reason = "epson.job_error" if phase is Phase.FAILED else ""
            return await self._finish(job, state, phase, reason=reason)
        job = await self._store.update_job(job.id, epson_status=info.status.value)
        if info.status.is_paused:
            await self._emit(job, Phase.PAUSED, reason=info.status.value)
        elif info.status is JobStatus.PROCESSING:
            await self._emit(job, Phase.PRINTING)
        else:
            await self._emit(job, Phase.WAITING)
        return job

    async def _finish(
        self, job: JobRecord, state: str, phase: Phase, *, reason: str = ""
    ) -> JobRecord:
        # Tell first, record second: a crash in between tells the user again after
        # the restart, where the other order would leave them never told.
        with self._ending(job.id):
            self._clean(job)
            await self._tell(job, phase, reason=reason, pages=job.total_pages)
            return await self._store.update_job(
                job.id,
                state=state,
                error_key=reason or None,
                epson_status=job.epson_status,
                total_pages=job.total_pages,
            )

    async def _fail(self, job_id: int, error: ChatprintError) -> None:
        job = await self._store.load_job(job_id)
        if job is None or job.state in FINAL_STATES:
            return
        logger.warning("Job %s failed: %s", job_id, error.key)
        text = render_error(error, job.language)
        with self._ending(job_id):
            self._clean(job)
            await self._tell(
                job, Phase.FAILED, reason=error.key, params={"reason": text}
            )
            await self._store.update_job(
                job_id, state="failed", error_key=error.key, detail=str(error)
            )

    async def _tell(
        self,
        job: JobRecord,
        phase: Phase,
        *,
        reason: str = "",
        pages: int = 0,
        params: dict[str, str] | None = None,
    ) -> None:
        """Show a final ``phase`` and wait until the chat has it."""
        await self._emit(job, phase, reason=reason, pages=pages, params=params)
        await self._reporter.flush(job.id)

    @contextlib.contextmanager
    def _ending(self, job_id: int) -> Iterator[None]:
        """Mark the last steps of a job, which a clean stop lets finish."""
        self._finishing.add(job_id)
        try:
            yield
        finally:
            self._finishing.discard(job_id)

    async def _emit(
        self,
        job: JobRecord,
        phase: Phase,
        *,
        reason: str = "",
        pages: int = 0,
        params: dict[str, str] | None = None,
    ) -> None:
        event = StatusEvent(
            job_id=job.id,
            phase=phase,
            file_name=job.file_name,
            printer=await self._printer_name(job),
            reason=reason,
            pages=pages or job.pages,
            cancellable=phase in _CANCELLABLE,
            params=params or {},
        )
        await self._reporter.publish(job, event)

    async def _printer_name(self, job: JobRecord) -> str:
        name = self._printer_names.get(job.id)
        if name is None:
            printer = await self._store.load_printer(job.printer_id or 0)
            name = printer.name if printer else ""
        return name

    # A job's files lie in the spool folder itself, named by its id: the file as
    # received, then the printable file; a folder of its own is made only by a
    # conversion that writes files. Making and removing a folder per job cost
    # more than everything else done with its files.

    def _source_path(self, job_id: int, index: int) -> Path:
        return self._spool / f"{job_id}.source-{index}"

    def _printable_path(self, job_id: int, extension: str) -> Path:
        return self._spool / f"{job_id}.{extension}"

    def _work_dir(self, job_id: int) -> Path:
        return self._spool / str(job_id)

    def _clean(self, job: JobRecord) -> None:
        """Remove every file of ``job`` from the spool folder."""
        for index in range(max(len(job.sources), 1)):
            self._source_path(job.id, index).unlink(missing_ok=True)
        for extension in PRINTABLE_EXTENSIONS:
            self._printable_path(job.id, extension).unlink(missing_ok=True)
        preview_path(self._printable_path(job.id, "pdf")).unlink(missing_ok=True)
        shutil.rmtree(self._work_dir(job.id), ignore_errors=True)


def _jittered(interval: float) -> float:
    # Jobs queued together would otherwise poll Epson together for ever after.
    return interval * random.uniform(1 - POLL_JITTER, 1 + POLL_JITTER)  # noqa: S311
