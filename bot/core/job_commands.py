"""Commands about jobs already requested: status, jobs, cancel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.chat import OutgoingMessage
from bot.core.commands import CancelCommand, JobsCommand, StatusCommand
from bot.core.context import Request
from bot.core.jobs import FINAL_STATES
from bot.errors import ChatprintError
from storage.records import JobRecord

if TYPE_CHECKING:
    from bot.core.service import PrintService

RECENT_JOBS = 10


class JobUnknown(ChatprintError):
    """No job of this user has that number."""

    default_key = "job.unknown"


async def handle_status(
    service: PrintService, request: Request, command: StatusCommand
) -> list[OutgoingMessage]:
    """Say where one job stands (the latest one if no number is given)."""
    job = await find_job(service, request, command.job, unfinished=False)
    return [request.reply("jobs.status", private=True, line=job_line(request, job))]


async def handle_jobs(
    service: PrintService, request: Request, command: JobsCommand
) -> list[OutgoingMessage]:
    """List the user's recent jobs, newest first."""
    jobs = await service.store.load_recent_jobs(request.identity.id, limit=RECENT_JOBS)
    if not jobs:
        return [request.reply("jobs.none", private=True)]
    lines = "\n".join(job_line(request, job) for job in jobs)
    return [request.reply("jobs.list", private=True, jobs=lines)]


async def handle_cancel(
    service: PrintService, request: Request, command: CancelCommand
) -> list[OutgoingMessage]:
    """Cancel a job while Epson still allows it."""
    job = await find_job(service, request, command.job, unfinished=True)
    outcome = await service.runner.cancel(job)
    await service.store.audit(request.identity.id, "cancel", f"job {job.id}")
    return [request.reply(outcome, private=True, job=job.id, file=job.file_name)]


async def find_job(
    service: PrintService, request: Request, number: str, *, unfinished: bool
) -> JobRecord:
    """The user's job numbered ``number``, or their latest (unfinished) one.

    Another user's job is reported exactly like a job that does not exist.

    Raises:
        JobUnknown: No such job of this user.
    """
    number = number.strip().lstrip("#")
    if number:
        job = await service.store.load_job(int(number)) if number.isdigit() else None
        if job is None or job.identity_id != request.identity.id:
            raise JobUnknown(f"no job {number!r} for this user", job=number)
        return job
    for job in await service.store.load_recent_jobs(request.identity.id, limit=50):
        if not unfinished or job.state not in FINAL_STATES:
            return job
    raise JobUnknown("no job to act on", key="jobs.none")


def job_line(request: Request, job: JobRecord) -> str:
    """One line about ``job`` for lists and status replies."""
    return request.text(
        f"jobs.state.{_shown_state(job)}",
        job=job.id,
        file=job.file_name,
        pages=job.total_pages or job.pages,
        status=job.epson_status or "",
    )


def _shown_state(job: JobRecord) -> str:
    # A scheduled print is watched from shortly before its time (see
    # schedule_watch.py); until that time comes it is still only scheduled.
    due = job.scheduled_for
    if job.state == "printing" and due is not None and due > datetime.now(UTC):
        return "scheduled"
    return job.state
