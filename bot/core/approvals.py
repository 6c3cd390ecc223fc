"""Hold and release of group requests: the gate before Epson, approvals, expiry.

Every job asked in a group on a shared printer passes :meth:`Approvals.admit`
once it is prepared (converted, pages counted) and before anything is sent to
Epson. The gate checks the page limits and quotas, reserves the pages, and then
lets the job on, holds it for an approver (state ``held``, request ``pending``),
or parks it until the allowed hours begin (request ``waiting``). Decisions are
compare-and-set in the store, so a double press, or a press racing the expiry,
decides once. Everything lives in the store: held jobs and their buttons survive
a restart, and the sweep that expires and releases them starts again with the
service.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot.catalogue import render
from bot.convert import preview_path, render_preview
from bot.core.chat import Button, ChatTarget, OutgoingMessage
from bot.core.context import Request
from bot.core.events import Phase, StatusEvent
from bot.core.policy import Policy
from bot.core.quotas import check_quotas
from bot.core.sharing import NotAllowed, may_manage, person_of
from bot.core.status import status_text
from bot.errors import ChatprintError
from bot.options import PrintOptions
from bot.schedule_time import local_text
from storage.records import GroupRequest, Identity, JobRecord, Notice, Printer

if TYPE_CHECKING:
    from bot.core.service import PrintService

logger = logging.getLogger(__name__)

SWEEP_EVERY = 30.0
APPROVE = "approve"
DENY = "deny"
OPEN = ("pending", "waiting")


class RequestRefused(ChatprintError):
    """The shared printer's policy refuses this request."""

    default_key = "group.refused.max_pages"


class RequestUnknown(ChatprintError):
    """A button about a request that does not exist (any more)."""

    default_key = "group.request_unknown"


class Approvals:
    """The gate, the approval buttons and the expiry sweep of group requests.

    Args:
        service: The core, for the store, the runner and the adapters.
        clock: The current time (tests move it).
        sweep_every: Seconds between two expiry sweeps.
    """

    def __init__(
        self,
        service: PrintService,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sweep_every: float = SWEEP_EVERY,
    ) -> None:
        self._service = service
        self._store = service.store
        self.clock = clock
        self._sweep_every = sweep_every
        self._locks: dict[int, asyncio.Lock] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start sweeping expired and due requests in the background."""
        self._task = asyncio.create_task(self._sweep_forever(), name="approvals")

    async def close(self) -> None:
        """Stop the sweep; held requests wait in the store for the next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    # The gate

    async def admit(self, job: JobRecord) -> JobRecord:
        """Decide whether a prepared job may go on to Epson.

        Returns:
            The job, still ``prepared`` when it may go on, ``held`` when it waits.

        Raises:
            RequestRefused, QuotaReached: The policy refuses it; the job fails.
        """
        request = await self._store.load_group_request(job.id)
        if request is None or request.status == "approved":
            return job
        if request.status in OPEN:
            return await self._store.update_job(job.id, state="held")
        if request.status != "new":
            raise RequestRefused("request was decided", key="group.refused.decided")
        lock = self._locks.setdefault(request.printer_id, asyncio.Lock())
        async with lock:
            return await self._evaluate(job, request)

    async def _evaluate(self, job: JobRecord, request: GroupRequest) -> JobRecord:
        printer, policy = await self._printer_policy(request)
        requester = await self._store.load_identity(job.identity_id)
        manager = requester is not None and await may_manage(
            self._service, requester, printer, policy
        )
        total = max(job.pages, 1) * max(job.copies, 1)
        now = self.clock()
        if not manager:
            await self._check_limits(job, request, policy, total, now)
        await self._store.update_group_request(job.id, reserved_pages=total)
        if not manager and not policy.within_hours(now):
            return await self._wait_for_hours(job, policy, now)
        if not manager and policy.auto_pages is not None and total > policy.auto_pages:
            return await self._hold(job, printer, policy, requester, now)
        if not await self._store.decide_group_request(
            job.id, expected=("new",), status="approved"
        ):
            # Denied by the owner while it was being prepared.
            raise RequestRefused("request was decided", key="group.refused.decided")
        return job

    async def _check_limits(
        self,
        job: JobRecord,
        request: GroupRequest,
        policy: Policy,
        total: int,
        now: datetime,
    ) -> None:
        if policy.max_pages and job.pages > policy.max_pages:
            raise RequestRefused(
                "too many pages", limit=policy.max_pages, pages=job.pages
            )
        if not policy.within_hours(now) and policy.outside == "refuse":
            raise RequestRefused(
                "outside the allowed hours",
                key="group.refused.hours",
                hours=policy.hours_text(),
                zone=policy.timezone,
            )
        person = await person_of(self._service, job.identity_id)
        # A request released from waiting already holds its reservation.
        adding = total - request.reserved_pages
        await check_quotas(self._store, policy, request.printer_id, person, adding, now)

    async def _wait_for_hours(
        self, job: JobRecord, policy: Policy, now: datetime
    ) -> JobRecord:
        opening = policy.next_opening(now)
        await self._store.update_group_request(
            job.id, status="waiting", reason="group.wait_hours", release_at=opening
        )
        job = await self._store.update_job(
            job.id, state="held", detail="waits for the allowed hours"
        )
        when = local_text(opening, policy.timezone)
        await self.tell_requester(job, "group.waiting", when=when)
        return job

    async def _hold(
        self,
        job: JobRecord,
        printer: Printer,
        policy: Policy,
        requester: Identity | None,
        now: datetime,
    ) -> JobRecord:
        expires = now + timedelta(minutes=policy.expire_minutes)
        await self._store.update_group_request(
            job.id, status="pending", reason="group.wait_approval", expires_at=expires
        )
        job = await self._store.update_job(
            job.id, state="held", detail="waits for approval"
        )
        logger.info("Job %s held for approval until %s", job.id, expires)
        preview = await _preview(job)
        name = requester.display_name if requester else "?"
        notices = await self._notify(job, printer, policy, name, preview, expires)
        await self._store.update_group_request(job.id, notices=notices)
        await self.tell_requester(job, "group.held", pages=job.pages)
        return job

    # Approval messages

    async def _notify(
        self,
        job: JobRecord,
        printer: Printer,
        policy: Policy,
        name: str,
        preview: Path | None,
        expires: datetime,
    ) -> tuple[Notice, ...]:
        notices = []
        for target, private, language in await self._approver_targets(
            job, printer, policy
        ):
            message = OutgoingMessage(
                _approval_text(job, printer, policy, name, expires, language),
                buttons=_approval_buttons(job.id, language),
                private=private,
                image=preview,
            )
            ref = await self._deliver(target, message)
            if ref is not None:
                notices.append(
                    Notice(target.platform, target.chat_id, target.user_id, ref)
                )
        return tuple(notices)

    async def _approver_targets(
        self, job: JobRecord, printer: Printer, policy: Policy
    ) -> list[tuple[ChatTarget, bool, str]]:
        owner = await self._owner_on(printer, job.platform)
        if policy.approvals == "group":
            user_id = owner.user_id if owner else ""
            target = ChatTarget(job.platform, job.chat_id, user_id)
            return [(target, False, job.language)]
        targets = []
        if owner is not None:
            targets.append(
                (_direct(owner.platform, owner.user_id), True, owner.language)
            )
        for approver in policy.approvers:
            platform, _, user_id = approver.partition(":")
            identity = await self._store.find_identity(platform, user_id)
            language = identity.language if identity else job.language
            targets.append((_direct(platform, user_id), True, language))
        return targets

    async def _owner_on(self, printer: Printer, platform: str) -> Identity | None:
        """The owner's identity on ``platform`` if linked there, else their own."""
        owner = await self._store.load_identity(printer.owner_id)
        for identity_id in await person_of(self._service, printer.owner_id):
            identity = await self._store.load_identity(identity_id)
            if identity is not None and identity.platform == platform:
                return identity
        return owner

    async def _close_notices(self, request: GroupRequest, key: str, name: str) -> None:
        job = await self._store.load_job(request.job_id)
        file = job.file_name if job else ""
        for notice in request.notices:
            target = ChatTarget(notice.platform, notice.chat_id, notice.user_id)
            private = notice.chat_id == notice.user_id
            text = render(key, job.language if job else "en", file=file, name=name)
            message = OutgoingMessage(text, private=private)
            await self._deliver(target, message, replace=notice.ref)

    # Decisions

    async def decide(
        self, request: Request, job_id: int, *, approve: bool
    ) -> list[OutgoingMessage]:
        """Approve or deny a held request, for the owner or an approver.

        Raises:
            RequestUnknown: No such group request.
            NotAllowed: The presser is neither the owner nor an approver.
        """
        job = await self._store.load_job(job_id)
        group_request = await self._store.load_group_request(job_id)
        if job is None or group_request is None:
            raise RequestUnknown(f"no group request {job_id}", job=job_id)
        printer, policy = await self._printer_policy(group_request)
        if not await may_manage(self._service, request.identity, printer, policy):
            raise NotAllowed(f"identity {request.identity.id} may not decide")
        status = "approved" if approve else "denied"
        expected = OPEN if approve else (*OPEN, "new")
        won = await self._store.decide_group_request(
            job_id, expected=expected, status=status, decided_by=request.identity.id
        )
        if not won or job.is_finished:
            return [request.reply("group.already_decided", private=True, job=job_id)]
        action = APPROVE if approve else DENY
        await self._store.audit(request.identity.id, action, f"job {job_id}")
        name = request.origin.sender.display_name
        if approve:
            await self._release(job, f"approved by identity {request.identity.id}")
        else:
            await self._service.runner.cancel(job)
        key = "group.approved" if approve else "group.denied"
        await self._close_notices(group_request, f"{key}_notice", name)
        await self.tell_requester(job, key, name=name)
        return []

    async def _release(self, job: JobRecord, detail: str) -> None:
        await self._store.update_job(job.id, state="prepared", detail=detail)
        # The task that held the job may still be sending its notices.
        self._service.runner.start_after(job.id)

    # The sweep

    async def sweep(self, now: datetime | None = None) -> int:
        """Expire pending requests past their time; release waiting ones now due.

        Returns:
            How many requests were expired or released.
        """
        moment = now or self.clock()
        done = 0
        for request in await self._store.load_due_group_requests(moment):
            if request.status == "pending":
                done += await self._expire(request)
            else:
                done += await self._wake(request)
        return done

    async def _expire(self, request: GroupRequest) -> int:
        if not await self._store.decide_group_request(
            request.job_id, expected=("pending",), status="expired"
        ):
            return 0
        job = await self._store.load_job(request.job_id)
        if job is not None and not job.is_finished:
            logger.info("Job %s expired without a decision", job.id)
            await self._service.runner.cancel(job)
            await self._close_notices(request, "group.expired_notice", "")
            await self.tell_requester(job, "group.expired")
        return 1

    async def _wake(self, request: GroupRequest) -> int:
        if not await self._store.decide_group_request(
            request.job_id, expected=("waiting",), status="new"
        ):
            return 0
        job = await self._store.load_job(request.job_id)
        if job is not None and job.state == "held":
            await self._release(job, "allowed hours began")
        return 1

    async def notify_unannounced(self) -> int:
        """Show approvers the held requests a crash kept them from seeing.

        Returns:
            How many requests were announced again.
        """
        count = 0
        for job in await self._store.load_unfinished_jobs():
            request = await self._store.load_group_request(job.id)
            if job.state != "held" or request is None or request.notices:
                continue
            if request.status != "pending" or request.expires_at is None:
                continue
            printer, policy = await self._printer_policy(request)
            requester = await self._store.load_identity(job.identity_id)
            name = requester.display_name if requester else "?"
            preview = await _preview(job)
            notices = await self._notify(
                job, printer, policy, name, preview, request.expires_at
            )
            await self._store.update_group_request(job.id, notices=notices)
            count += 1
        return count

    async def _sweep_forever(self) -> None:
        try:
            await self.notify_unannounced()
        except Exception:
            logger.exception("Held requests could not be announced again")
        while True:
            try:
                await self.sweep()
            except Exception:
                logger.exception("Sweep of group requests failed")
            await asyncio.sleep(self._sweep_every)

    # Telling people

    async def tell_requester(self, job: JobRecord, key: str, **params: object) -> None:
        """Show the requester what became of their request, in the job's chat.

        A message of its own, not an edit of the job's status message: status
        events are delivered beside the job and could overwrite it.
        """
        identity = await self._store.load_identity(job.identity_id)
        if identity is None:
            return
        text = render(key, job.language, file=job.file_name, job=job.id, **params)
        target = ChatTarget(job.platform, job.chat_id, identity.user_id)
        await self._deliver(target, OutgoingMessage(text))

    async def alert_owner(self, job: JobRecord, event: StatusEvent) -> None:
        """Tell a printer's owner privately that a job on it paused.

        The owner's own private jobs already show the pause where they asked.
        """
        if event.phase is not Phase.PAUSED or job.printer_id is None:
            return
        printer = await self._store.load_printer(job.printer_id)
        owner = await self._store.load_identity(printer.owner_id) if printer else None
        if owner is None:
            return
        if job.platform == owner.platform and job.chat_id == owner.user_id:
            return
        requester = await self._store.load_identity(job.identity_id)
        text = render(
            "group.owner_alert",
            owner.language,
            name=requester.display_name if requester else "?",
            status=status_text(event, owner.language),
        )
        message = OutgoingMessage(text, private=True)
        await self._deliver(_direct(owner.platform, owner.user_id), message)

    async def _deliver(
        self, target: ChatTarget, message: OutgoingMessage, replace: str | None = None
    ) -> str | None:
        adapter = self._service.adapters.get(target.platform)
        if adapter is None:
            logger.warning("No %s adapter to show a group message", target.platform)
            return None
        try:
            return await adapter.deliver(target, message, replace=replace)
        except Exception:
            logger.exception("Group message to %s could not be shown", target.platform)
            return None

    async def _printer_policy(self, request: GroupRequest) -> tuple[Printer, Policy]:
        printer = await self._store.load_printer(request.printer_id)
        if printer is None:
            raise RequestUnknown("printer is gone", key="printer.not_found")
        shares = await self._store.load_printer_shares(printer.id)
        # Unshared since: the owner may still decide, approvers no longer.
        policy = Policy.from_dict(shares[0].policy) if shares else Policy()
        if not any(s.group_id == request.group_id for s in shares):
            policy = Policy()
        return printer, policy


def _direct(platform: str, user_id: str) -> ChatTarget:
    return ChatTarget(platform, user_id, user_id)


def _approval_text(
    job: JobRecord,
    printer: Printer,
    policy: Policy,
    name: str,
    expires: datetime,
    language: str,
) -> str:
    options = PrintOptions.from_dict(job.options).describe()
    return render(
        "group.approval",
        language,
        name=name,
        file=job.file_name,
        printer=printer.name,
        pages=job.pages,
        copies=job.copies,
        settings=options or render("group.default_settings", language),
        expires=local_text(expires, policy.timezone),
    )


def _approval_buttons(job_id: int, language: str) -> tuple[Button, ...]:
    return (
        Button(render("button.approve", language), action=f"{APPROVE}:{job_id}"),
        Button(render("button.deny", language), action=f"{DENY}:{job_id}"),
    )


async def _preview(job: JobRecord) -> Path | None:
    if job.spool_path is None:
        return None
    source = Path(job.spool_path)
    try:
        return await asyncio.to_thread(render_preview, source, preview_path(source))
    except ChatprintError as exc:
        logger.info("Job %s has no preview (%s)", job.id, exc.key)
        return None
