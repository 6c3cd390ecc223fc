"""The records the store hands out: frozen dataclasses with UTC-aware datetimes.

Secrets inside them (tokens, the upload URI) are :class:`Secret` values, so a record
can be logged or printed without leaking anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.secret import Secret

PLATFORMS = frozenset({"telegram", "discord", "console"})
# Job states after which nothing more happens to a job; every other state is active.
FINISHED_JOB_STATES = ("completed", "canceled", "failed", "expired")
INITIAL_JOB_STATE = "received"
AUDIT_ACTIONS = frozenset(
    {
        "link",
        "unlink",
        "print",
        "cancel",
        "forget",
        "reprint",
        "share",
        "unshare",
        "approve",
        "deny",
        "connect",
    }
)


class LinkState(StrEnum):
    """Whether a printer's tokens still work."""

    ACTIVE = "active"
    BROKEN = "broken"


@dataclass(frozen=True)
class Identity:
    """A chat user on one platform."""

    id: int
    platform: str
    user_id: str
    display_name: str
    language: str
    created_at: datetime


@dataclass(frozen=True)
class TokenPair:
    """The OAuth tokens of one printer link and when each stops working."""

    access_token: Secret
    access_expires_at: datetime
    refresh_token: Secret
    refresh_expires_at: datetime


@dataclass(frozen=True)
class Printer:
    """A printer linked by its owner; ``token_version`` grows with each token write."""

    id: int
    owner_id: int
    name: str
    product_name: str
    serial_number: str
    is_default: bool
    state: LinkState
    tokens: TokenPair
    token_version: int
    linked_at: datetime


@dataclass(frozen=True)
class SourceFile:
    """A file a job prints, as the chat platform can hand it over again.

    Args:
        name: The file name, already cleaned by the core.
        ref: A durable platform reference (Telegram file_id, Discord URL).
        size: The size the platform declared, if it did.
        is_photo: Sent as a photo, so printed in photo mode.
    """

    name: str
    ref: str
    size: int | None
    is_photo: bool


@dataclass(frozen=True)
class NewJob:
    """What the core knows about a print request when it first records it.

    ``request_key`` identifies the request (chat, message) so that a re-delivered
    message finds the job already recorded instead of printing twice.
    """

    request_key: str
    identity_id: int
    printer_id: int | None
    chat_id: str
    platform: str
    file_name: str
    spool_path: str | None
    print_mode: str
    options: dict[str, str]
    language: str
    scheduled_for: datetime | None = None
    state: str = INITIAL_JOB_STATE
    sources: tuple[SourceFile, ...] = ()
    status_ref: str | None = None


@dataclass(frozen=True)
class JobRecord:
    """A print job as stored; ``state`` is a name owned by the core."""

    id: int
    request_key: str
    identity_id: int
    printer_id: int | None
    chat_id: str
    platform: str
    state: str
    file_name: str
    spool_path: str | None
    print_mode: str
    options: dict[str, str]
    settings: dict[str, object]
    pages: int
    copies: int
    epson_job_id: str | None
    upload_uri: Secret | None
    epson_status: str | None
    total_pages: int
    error_key: str | None
    status_ref: str | None
    language: str
    scheduled_for: datetime | None
    created_at: datetime
    updated_at: datetime
    sources: tuple[SourceFile, ...] = ()

    @property
    def is_finished(self) -> bool:
        """Whether the job reached a state after which nothing more happens."""
        return self.state in FINISHED_JOB_STATES


@dataclass(frozen=True)
class JobEvent:
    """One entry of a job's state history."""

    job_id: int
    state: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class AuditEntry:
    """A line of the audit log; ``identity_id`` is None once anonymised."""

    id: int
    identity_id: int | None
    action: str
    detail: str
    at: datetime


@dataclass(frozen=True)
class Group:
    """A group chat where members may print on shared printers."""

    id: int
    platform: str
    chat_id: str
    title: str
    created_at: datetime


@dataclass(frozen=True)
class Share:
    """A printer shared into a group, with the owner's policy for its use."""

    id: int
    group_id: int
    printer_id: int
    is_default: bool
    policy: dict[str, object]
    created_at: datetime


@dataclass(frozen=True)
class Notice:
    """A message the core showed about a group request, to edit it later."""

    platform: str
    chat_id: str
    user_id: str
    ref: str


@dataclass(frozen=True)
class GroupRequest:
    """A print request made in a group on a shared printer, and its approval.

    Args:
        job_id: The job it prints as.
        group_id: The group it was asked in.
        printer_id: The shared printer, whose ledger counts its pages.
        status: ``new`` (not decided yet), ``pending`` (waits for an approver),
            ``waiting`` (waits for the allowed hours), ``approved``, ``denied`` or
            ``expired``.
        reason: Why it waits, a catalogue key.
        reserved_pages: Pages counted against quotas until Epson reports them.
        expires_at: When a pending request expires.
        release_at: When a waiting request may print.
        decided_by: The identity that approved or denied it.
        notices: The approval messages shown to approvers.
    """

    job_id: int
    group_id: int
    printer_id: int
    status: str
    reason: str
    reserved_pages: int
    expires_at: datetime | None
    release_at: datetime | None
    decided_by: int | None
    notices: tuple[Notice, ...]
    created_at: datetime


@dataclass(frozen=True)
class Invite:
    """A code that shares a printer into the group where it is redeemed."""

    id: int
    printer_id: int
    created_by: int
    expires_at: datetime
    revoked: bool
    used_by_group: int | None
