"""Jobs waiting for their printer to be linked again, and where each resumes.

A link breaks when Epson refuses the refresh token (revoked at Epson, unused for
30 days, or a crash that lost a rotated token). Nothing the bot does can mend it:
only the owner's next sign-in can. So a job whose link broke does not fail: it
waits in the state ``relink``, its user (and the printer's owner, if another
person) is told once what to do, and when the printer is linked again it goes on
from the step it had reached. A job still waiting after :data:`LINK_WAIT` expires.

The step a job had reached is read back from its state history (the event just
before it moved to ``relink``), so the store needs no extra column.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.catalogue import render
from bot.core.adapter import ChatAdapter
from bot.core.chat import ChatTarget, OutgoingMessage
from storage.records import JobRecord, LinkState, Printer
from storage.store import Store

logger = logging.getLogger(__name__)

RELINK = "relink"
# How long a job waits for its printer to be linked again before it expires.
LINK_WAIT = timedelta(hours=24)
# The job was created at Epson with the old link but never asked to print: it is
# created again with the new token (the old one never prints, so nothing doubles).
_CREATE_AGAIN = frozenset({"created", "uploaded"})
_RESUMABLE = frozenset({"received", "prepared", "print_requested", "printing"})
_PRINT_ASKED = frozenset({"print_requested", "printing"})


@dataclass(frozen=True)
class Resumption:
    """Where a waiting job goes on once its printer is linked again."""

    state: str
    fields: Mapping[str, Any]


class LinkWaits:
    """Moves jobs into and out of ``relink``, telling users once on the way in.

    Args:
        store: Jobs, their history, printers and identities.
        adapters: The running chat adapters by platform name.
    """

    def __init__(self, store: Store, adapters: Mapping[str, ChatAdapter]) -> None:
        self._store = store
        self._adapters = adapters
        self._told: set[tuple[int, int]] = set()
        self._moving = asyncio.Lock()

    async def hold(self, job: JobRecord) -> JobRecord:
        """Tell the user (first: a crash then tells again rather than never),
        then record that ``job`` waits for its printer."""
        await self._tell(job)
        return await self._store.update_job(
            job.id, state=RELINK, detail=f"link broken in state {job.state}"
        )

    async def release(self, job_id: int) -> bool:
        """Move a waiting job back to the step it had reached.

        Returns:
            Whether it moved (False when it was not waiting, e.g. moved already).
        """
        async with self._moving:
            job = await self._store.load_job(job_id)
            if job is None or job.state != RELINK:
                return False
            resumption = await self._resumption(job)
            await self._store.update_job(
                job.id,
                state=resumption.state,
                detail="printer linked again",
                **resumption.fields,
            )
        logger.info("Job %s goes on from state %s", job_id, resumption.state)
        return True

    async def waiting(
        self, printer_id: int | None = None, *, linked: bool = False
    ) -> list[JobRecord]:
        """The jobs waiting for ``printer_id`` (or any printer); with ``linked``,
        only those whose printer is linked again already."""
        jobs = [
            job
            for job in await self._store.load_unfinished_jobs()
            if job.state == RELINK and printer_id in (None, job.printer_id)
        ]
        return [job for job in jobs if not linked or await self.linked(job)]

    async def overdue(self, now: datetime) -> list[JobRecord]:
        """The jobs that have waited :data:`LINK_WAIT` or longer by ``now``."""
        return [
            job
            for job in await self.waiting()
            if now - await self._waiting_since(job) >= LINK_WAIT
        ]

    async def reached_printer(self, job: JobRecord) -> bool:
        """Whether the waiting job's print call may have reached Epson before
        its link broke (so it may have printed)."""
        return await self._state_before(job) in _PRINT_ASKED

    async def linked(self, job: JobRecord) -> bool:
        """Whether the job's printer has a working link now."""
        printer = await self._store.load_printer(job.printer_id or 0)
        return printer is not None and printer.state is LinkState.ACTIVE

    def forget(self, printer_id: int) -> None:
        """The printer is linked again: a later break is told anew."""
        self._told = {told for told in self._told if told[0] != printer_id}

    async def _tell(self, job: JobRecord) -> None:
        # The job's user and the printer's owner (who alone can link it again),
        # each once until it is linked again: their other jobs waiting on it are
        # covered by the same message.
        printer = await self._store.load_printer(job.printer_id or 0)
        if printer is None:
            return
        for identity_id in dict.fromkeys((job.identity_id, printer.owner_id)):
            if (printer.id, identity_id) in self._told:
                continue
            self._told.add((printer.id, identity_id))
            try:
                await self._deliver(job, printer, identity_id)
            except Exception:
                logger.exception("Job %s: the broken link could not be told", job.id)

    async def _waiting_since(self, job: JobRecord) -> datetime:
        events = await self._store.load_job_events(job.id)
        moved = [event.at for event in events if event.state == RELINK]
        return max(moved, default=datetime.now(UTC))

    async def _resumption(self, job: JobRecord) -> Resumption:
        before = await self._state_before(job)
        if before in _CREATE_AGAIN:
            return Resumption("prepared", {"epson_job_id": None, "upload_uri": None})
        if before in _RESUMABLE:
            return Resumption(before, {})
        raise RuntimeError(f"job {job.id} cannot resume from state {before!r}")

    async def _state_before(self, job: JobRecord) -> str:
        events = await self._store.load_job_events(job.id)
        last = max(
            (i for i, event in enumerate(events) if event.state == RELINK), default=0
        )
        # A job added and broken before its first recorded step was received.
        return events[last - 1].state if last > 0 else "received"

    async def _deliver(
        self, job: JobRecord, printer: Printer, identity_id: int
    ) -> None:
        identity = await self._store.load_identity(identity_id)
        adapter = self._adapters.get(identity.platform) if identity else None
        if identity is None or adapter is None:
            logger.warning("Job %s: no chat to tell of its broken link", job.id)
            return
        owner = identity_id == printer.owner_id
        language = job.language if identity_id == job.identity_id else identity.language
        text = render(
            "link.lost" if owner else "link.lost_shared",
            language,
            printer=printer.name,
            file=job.file_name,
        )
        # In private: the person who must sign in again, not a whole group.
        target = ChatTarget(identity.platform, identity.user_id, identity.user_id)
        await adapter.deliver(target, OutgoingMessage(text, private=True))
        logger.info(
            "Identity %s told that printer %s needs linking again",
            identity_id,
            printer.id,
        )
