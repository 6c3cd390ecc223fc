"""The store interface the core depends on; ``storage/sqlite.py`` implements it.

Every method is a coroutine. Writes are atomic: each method either happens whole or
not at all. Datetimes given to the store must be timezone-aware; datetimes returned
are in UTC. Errors are :class:`StoreError` subclasses (see ``storage/errors.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from storage.cipher import TokenCipher
from storage.errors import StaleTokens, StoreError
from storage.records import (
    AuditEntry,
    Group,
    GroupRequest,
    Identity,
    Invite,
    JobEvent,
    JobRecord,
    NewJob,
    Printer,
    Share,
    TokenPair,
)

__all__ = ["EVENT_RETENTION", "StaleTokens", "Store", "StoreError"]

# How long a claimed platform event is remembered; platforms re-deliver within minutes.
EVENT_RETENTION = timedelta(days=7)


class Store(Protocol):
    """Persistence for identities, printers, jobs and the bookkeeping around them."""

    # Identities

    async def upsert_identity(
        self, platform: str, user_id: str, display_name: str, language: str
    ) -> Identity:
        """Create the identity, or update its display name and language."""
        ...

    async def find_identity(self, platform: str, user_id: str) -> Identity | None:
        """Return the identity of a platform user, if known."""
        ...

    async def load_identity(self, identity_id: int) -> Identity | None:
        """Return the identity with this id, if any."""
        ...

    async def save_language(self, identity_id: int, language: str) -> None:
        """Set the language an identity is spoken to in."""
        ...

    # Printers

    async def save_printer(
        self,
        owner_id: int,
        *,
        product_name: str,
        serial_number: str,
        tokens: TokenPair,
        name: str | None = None,
    ) -> Printer:
        """Link a printer, or relink it (same owner and serial) with new tokens.

        The owner's first printer becomes the default. The name defaults to the
        product name and is made unique among the owner's printers.
        """
        ...

    async def load_printers(self, owner_id: int) -> list[Printer]:
        """Return the owner's printers in the order they were linked."""
        ...

    async def load_printer(
        self, printer_id: int, *, fresh: bool = False
    ) -> Printer | None:
        """Return the printer with this id, if any.

        Args:
            fresh: Read the database itself, not a copy kept from an earlier
                read: for the tokens just before a refresh, which another
                process may have rotated meanwhile.
        """
        ...

    async def load_default_printer(self, owner_id: int) -> Printer | None:
        """Return the owner's default printer, if they have any printer."""
        ...

    async def set_default_printer(self, owner_id: int, printer_id: int) -> None:
        """Make one of the owner's printers the default.

        Raises:
            PrinterNotFound: The printer is not the owner's.
        """
        ...

    async def rename_printer(self, owner_id: int, printer_id: int, name: str) -> None:
        """Rename one of the owner's printers.

        Raises:
            PrinterNotFound: The printer is not the owner's.
            PrinterNameTaken: Another of the owner's printers has that name.
        """
        ...

    async def update_tokens(
        self, printer_id: int, tokens: TokenPair, *, expected_version: int
    ) -> Printer:
        """Replace the tokens if ``token_version`` is still ``expected_version``.

        Raises:
            StaleTokens: Another writer replaced the tokens first; reload them.
            PrinterNotFound: The printer no longer exists.
        """
        ...

    async def mark_printer_broken(self, printer_id: int) -> None:
        """Record that the printer's link no longer works."""
        ...

    async def delete_printer(self, printer_id: int) -> None:
        """Delete a printer and its tokens; the next printer becomes the default."""
        ...

    # Jobs

    async def add_job(self, job: NewJob) -> JobRecord:
        """Record a job; a second add with the same request key returns the first."""
        ...

    async def update_job(
        self, job_id: int, *, state: str | None = None, detail: str = "", **fields: Any
    ) -> JobRecord:
        """Change a job's columns; a change of state also adds a :class:`JobEvent`."""
        ...

    async def load_job(self, job_id: int) -> JobRecord | None:
        """Return the job with this id, if any."""
        ...

    async def find_job_by_request(self, request_key: str) -> JobRecord | None:
        """Return the job recorded for a request, if any."""
        ...

    async def find_job_by_epson_id(self, epson_job_id: str) -> JobRecord | None:
        """Return the job Epson knows by this id, if any."""
        ...

    async def load_unfinished_jobs(self) -> list[JobRecord]:
        """Return every job not yet completed, canceled, failed or expired."""
        ...

    async def load_recent_jobs(
        self, identity_id: int, limit: int = 10
    ) -> list[JobRecord]:
        """Return an identity's latest jobs, newest first."""
        ...

    async def load_job_events(self, job_id: int) -> list[JobEvent]:
        """Return a job's state history, oldest first."""
        ...

    async def count_active_jobs(self, printer_id: int) -> int:
        """Return how many unfinished jobs target the printer."""
        ...

    # Platform events and OAuth state

    async def claim_event(self, platform: str, event_id: str) -> bool:
        """Return True the first time an event is seen, False on re-delivery."""
        ...

    async def prune_events(
        self, older_than: datetime | timedelta = EVENT_RETENTION
    ) -> int:
        """Forget event claims older than a time or age, and expired nonces."""
        ...

    async def consume_nonce(self, nonce: str, expires_at: datetime) -> bool:
        """Return True once per unexpired nonce, False on replay or after expiry."""
        ...

    # Defaults and audit

    async def save_defaults(self, identity_id: int, options: dict[str, str]) -> None:
        """Replace an identity's default print options."""
        ...

    async def load_defaults(self, identity_id: int) -> dict[str, str]:
        """Return an identity's default print options (empty if none)."""
        ...

    async def audit(
        self, identity_id: int | None, action: str, detail: str = ""
    ) -> None:
        """Append an entry to the audit log; ``detail`` must hold no secret."""
        ...

    async def load_audit(self, identity_id: int) -> list[AuditEntry]:
        """Return an identity's audit entries, oldest first."""
        ...

    async def forget_identity(self, identity_id: int) -> None:
        """Delete an identity and everything stored about it."""
        ...

    # Groups

    async def upsert_group(self, platform: str, chat_id: str, title: str) -> Group:
        """Create a group, or update its title."""
        ...

    async def find_group(self, platform: str, chat_id: str) -> Group | None:
        """Return the group of a platform chat, if known."""
        ...

    async def add_share(
        self, group_id: int, printer_id: int, policy: dict[str, object]
    ) -> Share:
        """Share a printer into a group, or update the policy of that share."""
        ...

    async def load_shares(self, group_id: int) -> list[Share]:
        """Return the printers shared into a group, oldest first."""
        ...

    async def delete_share(self, share_id: int) -> None:
        """Stop sharing a printer into a group."""
        ...

    # Group printing (storage/group_store.py)

    async def load_printer_shares(self, printer_id: int) -> list[Share]:
        """Return every share of a printer, in any group, oldest first."""
        ...

    async def save_printer_policy(
        self, printer_id: int, policy: dict[str, object]
    ) -> None:
        """Give every share of a printer the same policy."""
        ...

    async def set_default_share(self, group_id: int, share_id: int) -> None:
        """Make one share the group's default printer and no other."""
        ...

    async def add_group_request(
        self, job_id: int, group_id: int, printer_id: int
    ) -> GroupRequest:
        """Record that a job was asked in a group; a second add returns the first."""
        ...

    async def load_group_request(self, job_id: int) -> GroupRequest | None:
        """Return the group request a job prints, if it was asked in a group."""
        ...

    async def update_group_request(self, job_id: int, **fields: Any) -> GroupRequest:
        """Change a group request's status, reason, reservation, times or notices."""
        ...

    async def decide_group_request(
        self,
        job_id: int,
        *,
        expected: Sequence[str],
        status: str,
        decided_by: int | None = None,
    ) -> bool:
        """Move a request to ``status`` only from ``expected``; True if this won."""
        ...

    async def load_due_group_requests(self, now: datetime) -> list[GroupRequest]:
        """Return pending requests expired by ``now`` and waiting ones due by it."""
        ...

    async def load_group_requests(
        self, group_id: int, limit: int = 10
    ) -> list[GroupRequest]:
        """Return a group's latest requests, newest first."""
        ...

    async def count_printer_pages(
        self,
        printer_id: int,
        since: datetime,
        identity_ids: Sequence[int] | None = None,
    ) -> int:
        """Pages asked in groups on a printer since a time (printed or reserved)."""
        ...

    async def load_printer_usage(
        self, printer_id: int, since: datetime
    ) -> dict[int, int]:
        """Pages per requester on a printer since a time."""
        ...

    async def save_invite(
        self, code: str, printer_id: int, created_by: int, expires_at: datetime
    ) -> Invite:
        """Record an invite code for a printer (only its hash is stored)."""
        ...

    async def redeem_invite(
        self, code: str, group_id: int, now: datetime
    ) -> Invite | None:
        """Use an invite once, for a group; None if unknown, used, revoked or old."""
        ...

    async def revoke_invites(self, printer_ids: Sequence[int]) -> int:
        """Revoke every unused invite of these printers; return how many."""
        ...

    async def save_connect_code(
        self, code: str, identity_id: int, expires_at: datetime
    ) -> None:
        """Record a one-time connect code (only its hash is stored)."""
        ...

    async def consume_connect_code(self, code: str, now: datetime) -> int | None:
        """Use a connect code once; return the identity that made it, if valid."""
        ...

    async def link_identities(self, first: int, second: int) -> None:
        """Make two identities (and everyone linked to either) one person."""
        ...

    async def load_linked_identities(self, identity_id: int) -> list[int]:
        """Return every identity of the same person, this one included."""
        ...

    # Maintenance

    async def rotate_key(self, new_cipher: TokenCipher) -> int:
        """Re-encrypt every stored secret with ``new_cipher``; return how many."""
        ...

    async def ping(self) -> None:
        """Run a trivial query; raises StoreError when the database is unusable."""
        ...

    async def integrity_check(self) -> str:
        """Return ``"ok"``, or what the database found wrong."""
        ...

    async def close(self) -> None:
        """Close the store; it cannot be used afterwards."""
        ...
