"""Print requests in a group on a shared printer: admission, history, cancel.

The print path in ``printing.py`` asks :func:`admit_request` before recording a
group job (who may print, pause, copies, hours, an exhausted quota), and
records it with :func:`record_group_job`. The page limits and the approval are
decided later, by the gate in ``approvals.py``, once the pages are counted.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.approvals import RequestRefused, RequestUnknown
from bot.core.chat import OutgoingMessage
from bot.core.commands import CancelCommand, JobsCommand
from bot.core.context import Request
from bot.core.job_commands import JobUnknown, handle_cancel, handle_jobs
from bot.core.quotas import check_quotas
from bot.core.sharing import (
    NotAllowed,
    SharedPrinter,
    load_shared,
    may_manage,
    member_keys,
    person_of,
)
from bot.options import PrintOptions
from storage.records import JobRecord, NewJob

if TYPE_CHECKING:
    from bot.core.service import PrintService

logger = logging.getLogger(__name__)

RECENT_REQUESTS = 10


async def admit_request(
    service: PrintService,
    request: Request,
    shared: SharedPrinter,
    options: PrintOptions,
) -> PrintOptions:
    """Check a request against the policy before anything is fetched.

    Returns:
        The options with the policy's forced settings (mono, duplex) over them.

    Raises:
        RequestRefused: Not allowed, paused, too many copies, outside the hours.
        QuotaReached: A quota is used up; the message says when it resets.
    """
    policy = shared.policy
    if not await may_manage(service, request.identity, shared.printer, policy):
        await _check_member(service, request, shared)
        _check_copies(shared, options)
        now = datetime.now(UTC)
        if not policy.within_hours(now) and policy.outside == "refuse":
            raise RequestRefused(
                "outside the allowed hours",
                key="group.refused.hours",
                hours=policy.hours_text(),
                zone=policy.timezone,
            )
        person = await person_of(service, request.identity.id)
        await check_quotas(service.store, policy, shared.printer.id, person, 0, now)
    return policy.force(options)


async def _check_member(
    service: PrintService, request: Request, shared: SharedPrinter
) -> None:
    policy = shared.policy
    if policy.paused:
        raise RequestRefused("printer paused", key="group.refused.paused")
    keys = await member_keys(service, request.identity)
    roles = request.origin.roles
    if not any(policy.allows(key, roles) for key in keys):
        key = "group.refused.role" if policy.who == "role" else "group.refused.member"
        raise RequestRefused("not allowed by the policy", key=key)


def _check_copies(shared: SharedPrinter, options: PrintOptions) -> None:
    limit = shared.policy.max_copies
    if limit and (options.copies or 1) > limit:
        raise RequestRefused(
            "too many copies", key="group.refused.max_copies", limit=limit
        )


async def record_group_job(
    service: PrintService, shared: SharedPrinter, new: NewJob
) -> JobRecord:
    """Record a job and its group request together, safe against a crash.

    The job is first recorded idle (``draft``): a crash before its request row
    exists leaves a job that never runs, never one that prints unapproved.
    """
    state = new.state
    job = await service.store.add_job(_idle(new))
    await service.store.add_group_request(job.id, shared.group.id, shared.printer.id)
    if job.state == "draft" and state != "draft":
        job = await service.store.update_job(job.id, state=state)
    return job


def _idle(new: NewJob) -> NewJob:
    return dataclasses.replace(new, state="draft")


async def handle_group_jobs(
    service: PrintService, request: Request, command: JobsCommand
) -> list[OutgoingMessage]:
    """In a group with a shared printer: who asked what, pages and outcome."""
    shared = await load_shared(service, request.origin)
    if not shared:
        return await handle_jobs(service, request, command)
    lines = []
    for group_request in await service.store.load_group_requests(
        shared[0].group.id, limit=RECENT_REQUESTS
    ):
        job = await service.store.load_job(group_request.job_id)
        if job is not None:
            lines.append(await _history_line(service, request, job))
    if not lines:
        return [request.reply("jobs.none")]
    return [request.reply("group.jobs", jobs="\n".join(lines))]


async def _history_line(service: PrintService, request: Request, job: JobRecord) -> str:
    identity = await service.store.load_identity(job.identity_id)
    return request.text(
        "group.jobs_line",
        job=job.id,
        file=job.file_name,
        name=identity.display_name if identity else "?",
        pages=job.total_pages or job.pages,
        outcome=request.text(f"group.outcome.{_outcome(job.state)}"),
    )


def _outcome(state: str) -> str:
    if state in ("completed", "canceled", "failed", "expired", "held", "draft"):
        return state
    return "active"


async def handle_group_cancel(
    service: PrintService, request: Request, command: CancelCommand
) -> list[OutgoingMessage]:
    """Cancel one's own job; the owner and approvers also deny pending ones."""
    try:
        return await handle_cancel(service, request, command)
    except JobUnknown as unknown:
        number = command.job.strip().lstrip("#")
        if not (request.origin.is_group and number.isdigit()):
            raise
        refusal = unknown
    try:
        answers = await service.approvals.decide(request, int(number), approve=False)
    except (NotAllowed, RequestUnknown):
        # Another member's job is reported exactly like one that does not exist.
        raise refusal from None
    return answers or [request.reply("group.canceled_by_owner", job=number)]
