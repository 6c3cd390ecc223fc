"""Rendering status events and keeping one status message per job up to date."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping

from bot.catalogue import has_key, render
from bot.core.adapter import ChatAdapter
from bot.core.chat import Button, ChatTarget, OutgoingMessage
from bot.core.events import Phase, StatusEvent
from storage.records import JobRecord
from storage.store import Store

logger = logging.getLogger(__name__)

# A job's first message waits this long for the job to settle (reach the printer,
# be held, fail): a job that settles sooner shows one message, not four edits.
SETTLE_WAIT = 0.3
# Phases a job normally passes through within moments.
PASSING = frozenset({Phase.ACCEPTED, Phase.CONVERTING, Phase.UPLOADING})


def status_text(event: StatusEvent, language: str) -> str:
    """The sentence for ``event`` in ``language``."""
    key = f"job.{event.phase}"
    if event.phase is Phase.PAUSED:
        key = f"job.paused.{event.reason}"
    elif event.phase is Phase.EXPIRED and has_key(f"job.expired_{event.reason}"):
        key = f"job.expired_{event.reason}"  # where the plain sentence would mislead
    params: dict[str, object] = {
        "job": event.job_id,
        "file": event.file_name,
        "printer": event.printer,
        "pages": event.pages,
        **event.params,
    }
    if event.phase is Phase.FAILED and "reason" not in event.params:
        params["reason"] = render(event.reason or "error.unexpected", language)
    return render(key, language, **params)


def status_message(event: StatusEvent, language: str) -> OutgoingMessage:
    """The whole message for ``event``, with a Cancel button while it can help."""
    buttons: tuple[Button, ...] = ()
    if event.cancellable:
        label = render("button.cancel", language)
        buttons = (Button(label, action=f"cancel:{event.job_id}"),)
    return OutgoingMessage(status_text(event, language), buttons=buttons, event=event)


class StatusReporter:
    """Sends each job's status to its chat, editing one message in place.

    Delivery runs beside the job, one queue per job: a chat that is slow to answer
    delays only its own messages, never the print call. When a job moves faster
    than its chat answers, the chat shows the latest event and skips the ones in
    between (each would only have replaced the last); observers see every event.
    A job's first message waits up to ``SETTLE_WAIT`` while the job is only
    passing through (accepted, converting, uploading), so a print that reaches
    the printer at once is answered by its "printing" message directly.

    Args:
        store: Where each job's status message reference is kept, so the same
            message is edited again after a restart.
        adapters: The running chat adapters by platform name.
    """

    def __init__(self, store: Store, adapters: Mapping[str, ChatAdapter]) -> None:
        self._store = store
        self._adapters = adapters
        # Told of every event after the job's chat, e.g. to alert a printer owner.
        self.observers: list[Callable[[JobRecord, StatusEvent], Awaitable[None]]] = []
        self._queued: dict[int, list[tuple[JobRecord, StatusEvent]]] = {}
        self._senders: dict[int, asyncio.Task[None]] = {}
        self._refs: dict[int, str] = {}
        self._settled: dict[int, asyncio.Event] = {}

    async def publish(self, job: JobRecord, event: StatusEvent) -> None:
        """Queue ``event`` for the job's chat and return at once; the chat is told
        beside the job, and a delivery failure never stops the job."""
        self._queued.setdefault(job.id, []).append((job, event))
        if event.phase not in PASSING:
            self._settled.setdefault(job.id, asyncio.Event()).set()
        if job.id not in self._senders:
            first = job.status_ref is None and job.id not in self._refs
            self._senders[job.id] = asyncio.create_task(
                self._send(job.id, first=first), name=f"status-{job.id}"
            )

    async def flush(self, job_id: int | None = None) -> None:
        """Wait until the queued events of ``job_id`` (or of every job) are
        delivered or given up on; cancelling the wait cancels no delivery."""
        while senders := [
            task
            for key, task in self._senders.items()
            if job_id is None or key == job_id
        ]:
            await asyncio.wait(senders)

    async def close(self) -> None:
        """Stop delivering; events still queued are dropped."""
        senders = list(self._senders.values())
        for sender in senders:
            sender.cancel()
        await asyncio.gather(*senders, return_exceptions=True)

    async def _send(self, job_id: int, *, first: bool) -> None:
        try:
            if first:
                await self._settle(job_id)
            while queued := self._queued.pop(job_id, None):
                await self._show(*queued[-1])
                for job, event in queued:
                    await self._observe(job, event)
        finally:
            self._senders.pop(job_id, None)
            self._settled.pop(job_id, None)

    async def _settle(self, job_id: int) -> None:
        settled = self._settled.setdefault(job_id, asyncio.Event())
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SETTLE_WAIT):
                await settled.wait()

    async def _observe(self, job: JobRecord, event: StatusEvent) -> None:
        for observer in self.observers:
            try:
                await observer(job, event)
            except Exception:
                logger.exception("Job %s observer failed on %s", job.id, event.phase)

    async def _show(self, job: JobRecord, event: StatusEvent) -> None:
        adapter = self._adapters.get(job.platform)
        identity = await self._store.load_identity(job.identity_id)
        if adapter is None or identity is None:
            logger.warning("Job %s has no chat to report %s to", job.id, event.phase)
            return
        target = ChatTarget(job.platform, job.chat_id, identity.user_id)
        message = status_message(event, job.language)
        shown = self._refs.pop(job.id, job.status_ref)
        try:
            ref = await adapter.deliver(target, message, replace=shown)
        except Exception:
            logger.exception(
                "Job %s status %s could not be delivered", job.id, event.phase
            )
            ref = shown
        if ref is not None and not event.phase.is_final:
            self._refs[job.id] = ref
        if ref is not None and ref != shown:
            await self._store.update_job(job.id, status_ref=ref)
