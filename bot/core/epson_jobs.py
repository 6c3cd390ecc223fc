"""What the job runner asks of Epson for one recorded job, with a fresh token.

Nothing here records a step or tells a user: the runner does both around each
call (see ``jobs.py``), in the order that keeps a crash from losing a request
or printing it twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from bot.core.tokens import PrinterGone, TokenKeeper
from bot.epson.client import EpsonClient
from bot.epson.errors import JobLimitExceeded, JobNotFound, ScheduleNotFound
from bot.epson.models import JobInfo, PrintMode, PrintSettings
from bot.secret import Secret
from storage.records import JobRecord

logger = logging.getLogger(__name__)


class EpsonJobs:
    """Creates, uploads, prints, reads and cancels the Epson side of jobs.

    Args:
        client: Epson Connect.
        tokens: Device tokens, refreshed as needed.
        retry_first: First wait while the printer's queue at Epson is full.
        retry_max: The longest such wait.
    """

    def __init__(
        self,
        client: EpsonClient,
        tokens: TokenKeeper,
        *,
        retry_first: float,
        retry_max: float,
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._retry_first = retry_first
        self._retry_max = retry_max

    async def create_with_file(self, job: JobRecord) -> str:
        """Create the Epson job and upload its file; return Epson's job id."""
        settings, name, mode = _job_request(job)
        created = await self._tokens.call(
            printer_of(job),
            lambda t: self._client.create_job(
                t, job_name=name, mode=mode, settings=settings
            ),
        )
        await self._upload(created.upload_uri, job)
        return created.job_id

    async def reserve(self, job: JobRecord, when: datetime) -> str:
        """Create, upload and reserve a schedule; return its scheduleJobId."""
        settings, name, mode = _job_request(job)
        printer = printer_of(job)
        created = await self._tokens.call(
            printer,
            lambda t: self._client.create_schedule(
                t, job_name=name, mode=mode, print_at=when, settings=settings
            ),
        )
        await self._upload(created.upload_uri, job)
        await self._tokens.call(
            printer, lambda t: self._client.reserve_schedule(t, created.job_id)
        )
        return created.job_id

    async def start_print(self, job: JobRecord) -> None:
        """Ask Epson to print; wait while the printer's queue there is full."""
        assert job.epson_job_id is not None
        epson_id = job.epson_job_id
        delay = self._retry_first
        while True:
            try:
                await self._tokens.call(
                    printer_of(job), lambda t: self._client.start_print(t, epson_id)
                )
                return
            except JobLimitExceeded:
                logger.warning(
                    "Job %s: printer queue full; retrying in %.1fs", job.id, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._retry_max)

    async def fetch_info(self, job: JobRecord) -> JobInfo | None:
        """Epson's status of the job, or None when Epson no longer knows it."""
        assert job.epson_job_id is not None
        epson_id = job.epson_job_id
        # A scheduled job is known to Epson by its scheduleJobId only.
        fetch: Callable[..., Awaitable[JobInfo]] = self._client.fetch_job
        if job.scheduled_for is not None:
            fetch = self._client.fetch_schedule
        try:
            return await self._tokens.call(
                printer_of(job), lambda t: fetch(t, epson_id)
            )
        except (JobNotFound, ScheduleNotFound):
            return None

    async def cancel(self, job: JobRecord) -> None:
        """Cancel a job Epson has not started printing.

        Raises:
            OperationNotAllowed: Epson has started it.
        """
        assert job.epson_job_id is not None
        epson_id = job.epson_job_id
        await self._tokens.call(
            printer_of(job), lambda t: self._client.cancel_job(t, epson_id)
        )

    async def upload_again(self, job: JobRecord) -> None:
        """Upload the file of a job recorded as created by an older version."""
        assert job.upload_uri is not None
        await self._upload(job.upload_uri, job)

    async def _upload(self, upload_uri: Secret, job: JobRecord) -> None:
        path = Path(job.spool_path or "")
        await self._client.upload(upload_uri, path, extension=path.suffix[1:])


def printer_of(job: JobRecord) -> int:
    """The id of the job's printer.

    Raises:
        PrinterGone: The printer was unlinked.
    """
    if job.printer_id is None:
        raise PrinterGone(f"job {job.id} has no printer")
    return job.printer_id


def _job_request(job: JobRecord) -> tuple[PrintSettings, str, PrintMode]:
    settings = PrintSettings.from_wire(job.settings)  # type: ignore[arg-type]
    return settings, f"#{job.id} {job.file_name}"[:256], PrintMode(job.print_mode)
