"""The store's half for group printing: requests, ledgers, invites, linked identities.

:class:`GroupTables` is mixed into :class:`~storage.sqlite.SqliteStore`; it holds
no state of its own and uses the store's one connection. Codes (invites, connect
codes) are kept only as SHA-256 hashes: the tables never hold a usable value.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from storage.connection import Database, change, fetch_all, fetch_one, fetch_returned
from storage.records import FINISHED_JOB_STATES, GroupRequest, Invite, Notice, Share
from storage.rows import db_now, from_db_time, share_from_row, to_db_time

REQUEST_STATUSES = frozenset(
    {"new", "pending", "waiting", "approved", "denied", "expired"}
)
_REQUEST_FIELDS = frozenset(
    {"status", "reason", "reserved_pages", "expires_at", "release_at", "notices"}
)
_FINISHED = "(" + ", ".join(f"'{s}'" for s in FINISHED_JOB_STATES) + ")"
# Completed jobs count what Epson printed; unfinished ones their reservation.
_PAGES = (
    "SUM(CASE WHEN j.state = 'completed' THEN j.total_pages"
    f" WHEN j.state NOT IN {_FINISHED} THEN r.reserved_pages ELSE 0 END)"
)


def code_hash(code: str) -> bytes:
    """The stored form of an invite or connect code (case and spaces ignored)."""
    return hashlib.sha256("".join(code.split()).upper().encode()).digest()


class GroupTables:
    """Group requests, page ledgers, invites, connect codes and identity links."""

    _database: Database

    # Shares beyond storage/sqlite.py

    async def load_printer_shares(self, printer_id: int) -> list[Share]:
        """Return every share of a printer, in any group, oldest first."""
        return await self._database.load_all(
            "SELECT * FROM shares WHERE printer_id = ? ORDER BY id",
            (printer_id,),
            share_from_row,
        )

    async def save_printer_policy(
        self, printer_id: int, policy: dict[str, object]
    ) -> None:
        """Give every share of a printer the same policy (one policy per printer)."""
        await self._database.write(
            "UPDATE shares SET policy = ? WHERE printer_id = ?",
            (json.dumps(policy, sort_keys=True), printer_id),
        )

    async def set_default_share(self, group_id: int, share_id: int) -> None:
        """Make one share the group's default printer and no other."""
        async with self._database.transaction() as db:
            await change(
                db, "UPDATE shares SET is_default = 0 WHERE group_id = ?", (group_id,)
            )
            await change(
                db,
                "UPDATE shares SET is_default = 1 WHERE id = ? AND group_id = ?",
                (share_id, group_id),
            )

    # Group requests

    async def add_group_request(
        self, job_id: int, group_id: int, printer_id: int
    ) -> GroupRequest:
        """Record that a job was asked in a group; a second add returns the first."""
        async with self._database.transaction() as db:
            await change(
                db,
                "INSERT INTO group_requests (job_id, group_id, printer_id, status,"
                " created_at) VALUES (?, ?, ?, 'new', ?) ON CONFLICT DO NOTHING",
                (job_id, group_id, printer_id, db_now()),
            )
            row = await fetch_one(
                db, "SELECT * FROM group_requests WHERE job_id = ?", (job_id,)
            )
        assert row is not None
        return _request_from_row(row)

    async def load_group_request(self, job_id: int) -> GroupRequest | None:
        """Return the group request a job prints, if it was asked in a group."""
        return await self._database.load_one(
            "SELECT * FROM group_requests WHERE job_id = ?",
            (job_id,),
            _request_from_row,
        )

    async def update_group_request(self, job_id: int, **fields: Any) -> GroupRequest:
        """Change a group request's columns (status, reason, times, notices).

        Raises:
            TypeError: An unknown field or status.
        """
        columns = _encode_request_fields(fields)
        assignments = ", ".join(f"{name} = ?" for name in columns)
        async with self._database.transaction() as db:
            row = await fetch_returned(
                db,
                f"UPDATE group_requests SET {assignments} WHERE job_id = ?"  # noqa: S608
                " RETURNING *",
                (*columns.values(), job_id),
            )
        return _request_from_row(row)

    async def decide_group_request(
        self,
        job_id: int,
        *,
        expected: Sequence[str],
        status: str,
        decided_by: int | None = None,
    ) -> bool:
        """Move a request to ``status`` only if it is in one of ``expected``.

        Returns:
            Whether this caller made the decision; a second press of Approve, or
            an approval racing the expiry, finds the request decided and loses.
        """
        _check_status(status)
        changed = await self._database.write(
            "UPDATE group_requests SET status = ?, decided_by = ? WHERE job_id = ?"
            " AND status IN (SELECT value FROM json_each(?))",
            (status, decided_by, job_id, json.dumps(list(expected))),
        )
        return changed == 1

    async def load_due_group_requests(self, now: datetime) -> list[GroupRequest]:
        """Return pending requests expired by ``now`` and waiting ones due by it."""
        stamp = to_db_time(now)
        return await self._database.load_all(
            "SELECT * FROM group_requests WHERE (status = 'pending' AND expires_at"
            " <= ?) OR (status = 'waiting' AND release_at <= ?) ORDER BY job_id",
            (stamp, stamp),
            _request_from_row,
        )

    async def load_group_requests(
        self, group_id: int, limit: int = 10
    ) -> list[GroupRequest]:
        """Return a group's latest requests, newest first."""
        return await self._database.load_all(
            "SELECT * FROM group_requests WHERE group_id = ?"
            " ORDER BY job_id DESC LIMIT ?",
            (group_id, limit),
            _request_from_row,
        )

    async def count_printer_pages(
        self,
        printer_id: int,
        since: datetime,
        identity_ids: Sequence[int] | None = None,
    ) -> int:
        """Pages asked in groups on a printer since a time, for quotas.

        Completed jobs count Epson's ``totalPages``; unfinished ones their
        reservation; canceled, failed and expired jobs nothing.

        Args:
            printer_id: The shared printer.
            since: The start of the quota period.
            identity_ids: Count only these requesters (one person); all if None.
        """
        usage = await self.load_printer_usage(printer_id, since)
        wanted = usage if identity_ids is None else dict.fromkeys(identity_ids, 0)
        return sum(usage.get(identity, 0) for identity in wanted)

    async def load_printer_usage(
        self, printer_id: int, since: datetime
    ) -> dict[int, int]:
        """Pages per requester on a printer since a time (see count_printer_pages)."""
        usage = await self._database.load_all(
            f"SELECT j.identity_id AS who, {_PAGES} AS pages"  # noqa: S608
            " FROM group_requests r JOIN jobs j ON j.id = r.job_id"
            " WHERE r.printer_id = ? AND r.created_at >= ? GROUP BY j.identity_id",
            (printer_id, to_db_time(since)),
            lambda row: (int(row["who"]), int(row["pages"] or 0)),
        )
        return dict(usage)

    # Invites

    async def save_invite(
        self, code: str, printer_id: int, created_by: int, expires_at: datetime
    ) -> Invite:
        """Record an invite code for a printer (only its hash is stored)."""
        async with self._database.transaction() as db:
            row = await fetch_returned(
                db,
                "INSERT INTO invites (code_hash, printer_id, created_by, expires_at)"
                " VALUES (?, ?, ?, ?) RETURNING *",
                (code_hash(code), printer_id, created_by, to_db_time(expires_at)),
            )
        return _invite_from_row(row)

    async def redeem_invite(
        self, code: str, group_id: int, now: datetime
    ) -> Invite | None:
        """Use an invite once, for a group; None if unknown, used, revoked or old."""
        async with self._database.transaction() as db:
            row = await fetch_one(
                db,
                "UPDATE invites SET used_by_group = ? WHERE code_hash = ?"
                " AND used_by_group IS NULL AND revoked = 0 AND expires_at > ?"
                " RETURNING *",
                (group_id, code_hash(code), to_db_time(now)),
            )
        return None if row is None else _invite_from_row(row)

    async def revoke_invites(self, printer_ids: Sequence[int]) -> int:
        """Revoke every unused invite of these printers; return how many."""
        return await self._database.write(
            "UPDATE invites SET revoked = 1 WHERE used_by_group IS NULL AND revoked = 0"
            " AND printer_id IN (SELECT value FROM json_each(?))",
            (json.dumps(list(printer_ids)),),
        )

    # Identities of one person

    async def save_connect_code(
        self, code: str, identity_id: int, expires_at: datetime
    ) -> None:
        """Record a one-time connect code, replacing the identity's earlier ones."""
        async with self._database.transaction() as db:
            await change(
                db, "DELETE FROM connect_codes WHERE identity_id = ?", (identity_id,)
            )
            await change(
                db,
                "INSERT INTO connect_codes (code_hash, identity_id, expires_at)"
                " VALUES (?, ?, ?)",
                (code_hash(code), identity_id, to_db_time(expires_at)),
            )

    async def consume_connect_code(self, code: str, now: datetime) -> int | None:
        """Use a connect code once; return the identity that made it, if valid."""
        async with self._database.transaction() as db:
            row = await fetch_one(
                db,
                "DELETE FROM connect_codes WHERE code_hash = ? RETURNING *",
                (code_hash(code),),
            )
        if row is None or from_db_time(row["expires_at"]) <= now:
            return None
        return int(row["identity_id"])

    async def link_identities(self, first: int, second: int) -> None:
        """Make two identities (and everyone linked to either) one person."""
        async with self._database.transaction() as db:
            people = [await _person_of(db, first), await _person_of(db, second)]
            person = min(people)
            members = {first, second}
            for old in people:
                rows = await fetch_all(
                    db,
                    "SELECT identity_id FROM identity_links WHERE person_id = ?",
                    (old,),
                )
                members.update(int(row["identity_id"]) for row in rows)
            for member in members:
                await change(
                    db,
                    "INSERT INTO identity_links (identity_id, person_id) VALUES (?, ?)"
                    " ON CONFLICT (identity_id) DO UPDATE"
                    " SET person_id = excluded.person_id",
                    (member, person),
                )

    async def load_linked_identities(self, identity_id: int) -> list[int]:
        """Return every identity of the same person, this one included, by id."""
        linked = await self._database.load_all(
            "SELECT identity_id FROM identity_links WHERE person_id = COALESCE("
            "(SELECT person_id FROM identity_links WHERE identity_id = ?1), ?1)",
            (identity_id,),
            lambda row: int(row["identity_id"]),
        )
        return sorted({identity_id, *linked})


async def _person_of(db: aiosqlite.Connection, identity_id: int) -> int:
    row = await fetch_one(
        db, "SELECT person_id FROM identity_links WHERE identity_id = ?", (identity_id,)
    )
    return identity_id if row is None else int(row["person_id"])


def _check_status(status: str) -> None:
    if status not in REQUEST_STATUSES:
        raise TypeError(
            f"unknown request status {status!r}; use one of {sorted(REQUEST_STATUSES)}"
        )


def _encode_request_fields(fields: dict[str, Any]) -> dict[str, object]:
    unknown = sorted(set(fields) - _REQUEST_FIELDS)
    if unknown or not fields:
        raise TypeError(
            f"update_group_request cannot set {', '.join(unknown) or 'nothing'}; "
            f"settable fields: {', '.join(sorted(_REQUEST_FIELDS))}"
        )
    columns: dict[str, object] = {}
    for name, value in fields.items():
        if name == "status":
            _check_status(value)
        if name in ("expires_at", "release_at") and value is not None:
            value = to_db_time(value)
        if name == "notices":
            value = json.dumps([_notice_to_list(notice) for notice in value])
        columns[name] = value
    return columns


def _notice_to_list(notice: Notice) -> list[str]:
    return [notice.platform, notice.chat_id, notice.user_id, notice.ref]


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def _request_from_row(row: sqlite3.Row) -> GroupRequest:
    return GroupRequest(
        job_id=row["job_id"],
        group_id=row["group_id"],
        printer_id=row["printer_id"],
        status=row["status"],
        reason=row["reason"],
        reserved_pages=row["reserved_pages"],
        expires_at=_optional_time(row["expires_at"]),
        release_at=_optional_time(row["release_at"]),
        decided_by=row["decided_by"],
        notices=tuple(Notice(*item) for item in json.loads(row["notices"])),
        created_at=from_db_time(row["created_at"]),
    )


def _invite_from_row(row: sqlite3.Row) -> Invite:
    return Invite(
        id=row["id"],
        printer_id=row["printer_id"],
        created_by=row["created_by"],
        expires_at=from_db_time(row["expires_at"]),
        revoked=bool(row["revoked"]),
        used_by_group=row["used_by_group"],
    )
