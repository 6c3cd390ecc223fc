"""The SQLite store: the :class:`~storage.store.Store` on one database file.

Each public method holds the connection for one operation; writes run in one
``BEGIN IMMEDIATE`` transaction each. The SQL for printers and jobs lives in
``printer_sql.py`` and ``job_sql.py``; the row mapping in ``rows.py``; group
requests, invites and linked identities in ``group_store.py``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, NoReturn, Self

import aiosqlite

from storage import job_sql, printer_sql, rows
from storage.cipher import TokenCipher
from storage.connection import (
    Database,
    change,
    connect,
    fetch_one,
    fetch_returned,
)
from storage.errors import JobNotFound, StaleTokens, StoreError
from storage.group_store import GroupTables
from storage.keys import check_key, reencrypt_all
from storage.migrations import apply_migrations
from storage.records import (
    AUDIT_ACTIONS,
    PLATFORMS,
    AuditEntry,
    Group,
    Identity,
    JobEvent,
    JobRecord,
    NewJob,
    Printer,
    Share,
    TokenPair,
)
from storage.store import EVENT_RETENTION

logger = logging.getLogger(__name__)

_INSERT_AUDIT = (
    "INSERT INTO audit_log (identity_id, action, detail, at) VALUES (?, ?, ?, ?)"
)


async def open_store(path: Path, cipher: TokenCipher) -> SqliteStore:
    """Open (creating if needed) the database at ``path`` and bring it up to date.

    The connection runs in WAL mode with foreign keys on and a busy timeout.

    Args:
        path: The database file; missing parent directories are created.
        cipher: Encrypts the secrets; must hold the key the database was written with.

    Returns:
        The open store; close it, or use it as ``async with``.

    Raises:
        SchemaTooNew: The database was written by a newer chatprint.
        CipherError: ``cipher`` holds another key than the database was written with.
        StoreError: The file cannot be opened as a database.
    """
    database = await connect(path)
    try:
        async with database.connection() as db:
            version = await apply_migrations(db)
        async with database.transaction() as db:
            await check_key(db, cipher)
    except BaseException:
        await database.close()
        raise
    logger.info("Store opened at %s (schema version %s)", path, version)
    return SqliteStore(path, database, cipher)


class SqliteStore(GroupTables):
    """The store on a SQLite file; make one with :func:`open_store`.

    Args:
        path: Where the database lives (the only thing ``repr`` shows).
        database: The open, migrated connection.
        cipher: Encrypts and decrypts the secret columns.
    """

    def __init__(self, path: Path, database: Database, cipher: TokenCipher) -> None:
        self._path = path
        self._database = database
        self._cipher = cipher

    def __repr__(self) -> str:
        return f"SqliteStore(path={str(self._path)!r})"

    @property
    def path(self) -> Path:
        """The database file."""
        return self._path

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the store; later calls do nothing."""
        if await self._database.close():
            logger.info("Store at %s closed", self._path)

    def _printer(self, row: sqlite3.Row) -> Printer:
        return rows.printer_from_row(row, self._cipher)

    # Identities

    async def upsert_identity(
        self, platform: str, user_id: str, display_name: str, language: str
    ) -> Identity:
        """Create the identity, or update its display name and language."""
        _check_platform(platform)
        known = await self.find_identity(platform, user_id)
        if known and (known.display_name, known.language) == (display_name, language):
            return known  # the usual case: one read, no write
        async with self._database.transaction() as db:
            row = await fetch_returned(
                db,
                "INSERT INTO identities"
                " (platform, user_id, display_name, language, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (platform, user_id) DO UPDATE"
                " SET display_name = excluded.display_name,"
                " language = excluded.language RETURNING *",
                (platform, user_id, display_name, language, rows.db_now()),
            )
        return rows.identity_from_row(row)

    async def find_identity(self, platform: str, user_id: str) -> Identity | None:
        """Return the identity of a platform user, if known."""
        return await self._database.load_one(
            "SELECT * FROM identities WHERE platform = ? AND user_id = ?",
            (platform, user_id),
            rows.identity_from_row,
            keep=("identities",),
        )

    async def load_identity(self, identity_id: int) -> Identity | None:
        """Return the identity with this id, if any."""
        return await self._database.load_one(
            "SELECT * FROM identities WHERE id = ?",
            (identity_id,),
            rows.identity_from_row,
            keep=("identities",),
        )

    async def save_language(self, identity_id: int, language: str) -> None:
        """Set the language an identity is spoken to in."""
        await self._database.write(
            "UPDATE identities SET language = ? WHERE id = ?", (language, identity_id)
        )

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
        product name and is made unique among the owner's printers by a suffix
        (``"EW-M873T (2)"``). A relink keeps the name and bumps ``token_version``.
        """
        async with self._database.transaction() as db:
            printer_id = await printer_sql.find_printer_id(db, owner_id, serial_number)
            if printer_id is None:
                base = (name or product_name).strip() or serial_number
                printer_id = await printer_sql.insert_printer(
                    db, owner_id, base, product_name, serial_number
                )
            else:
                await printer_sql.relink_printer(db, printer_id, product_name)
            await printer_sql.write_tokens(db, self._cipher, printer_id, tokens)
            printer = await printer_sql.select_printer(db, self._cipher, printer_id)
        logger.info("Printer %s linked by identity %s", printer_id, owner_id)
        return printer

    async def load_printers(self, owner_id: int) -> list[Printer]:
        """Return the owner's printers in the order they were linked."""
        return await self._database.load_all(
            "SELECT * FROM printers WHERE owner_id = ? ORDER BY id",
            (owner_id,),
            self._printer,
            keep=("printers",),
        )

    async def load_printer(
        self, printer_id: int, *, fresh: bool = False
    ) -> Printer | None:
        """Return the printer with this id, if any (``fresh``: see the Store)."""
        return await self._database.load_one(
            "SELECT * FROM printers WHERE id = ?",
            (printer_id,),
            self._printer,
            keep=() if fresh else ("printers",),
        )

    async def load_default_printer(self, owner_id: int) -> Printer | None:
        """Return the owner's default printer, if they have any printer."""
        return await self._database.load_one(
            "SELECT * FROM printers WHERE owner_id = ? AND is_default = 1",
            (owner_id,),
            self._printer,
            keep=("printers",),
        )

    async def set_default_printer(self, owner_id: int, printer_id: int) -> None:
        """Make one of the owner's printers the default.

        Raises:
            PrinterNotFound: The printer is not the owner's.
        """
        async with self._database.transaction() as db:
            await printer_sql.check_owner(db, owner_id, printer_id)
            await printer_sql.make_default(db, owner_id, printer_id)

    async def rename_printer(self, owner_id: int, printer_id: int, name: str) -> None:
        """Rename one of the owner's printers.

        Raises:
            ValueError: ``name`` is blank.
            PrinterNotFound: The printer is not the owner's.
            PrinterNameTaken: Another of the owner's printers has that name.
        """
        name = name.strip()
        if not name:
            raise ValueError("a printer name must not be blank")
        async with self._database.transaction() as db:
            await printer_sql.check_owner(db, owner_id, printer_id)
            await printer_sql.check_name_free(db, owner_id, printer_id, name)
            await change(
                db, "UPDATE printers SET name = ? WHERE id = ?", (name, printer_id)
            )

    async def update_tokens(
        self, printer_id: int, tokens: TokenPair, *, expected_version: int
    ) -> Printer:
        """Replace the tokens if ``token_version`` is still ``expected_version``.

        A success also marks the printer active and moves its version on by one.
        The write goes before every other operation waiting for the database:
        Epson has already retired the old refresh token, so until this commits a
        crash would lose the link.

        Raises:
            StaleTokens: Another writer replaced the tokens first; reload them.
            PrinterNotFound: The printer no longer exists.
        """
        async with self._database.transaction(urgent=True) as db:
            won = await printer_sql.claim_token_version(
                db, printer_id, expected_version
            )
            if not won:
                await _raise_stale(db, self._cipher, printer_id, expected_version)
            await printer_sql.write_tokens(db, self._cipher, printer_id, tokens)
            printer = await printer_sql.select_printer(db, self._cipher, printer_id)
        logger.debug(
            "Printer %s tokens moved to version %s", printer_id, printer.token_version
        )
        return printer

    async def mark_printer_broken(self, printer_id: int) -> None:
        """Record that the printer's link no longer works."""
        await self._database.write(
            "UPDATE printers SET state = 'broken' WHERE id = ?", (printer_id,)
        )
        logger.info("Printer %s marked broken", printer_id)

    async def delete_printer(self, printer_id: int) -> None:
        """Delete a printer and its tokens; the next printer becomes the default.

        Its shares go with it; its jobs stay, without a printer.
        """
        async with self._database.transaction() as db:
            row = await fetch_one(
                db, "SELECT owner_id FROM printers WHERE id = ?", (printer_id,)
            )
            if row is None:
                return
            await change(db, "DELETE FROM printers WHERE id = ?", (printer_id,))
            await printer_sql.promote_default_printer(db, row["owner_id"])
            await printer_sql.promote_default_shares(db)
        await self._database.checkpoint()
        logger.info("Printer %s deleted", printer_id)

    # Jobs

    async def add_job(self, job: NewJob) -> JobRecord:
        """Record a job; a second add with the same request key returns the first.

        The job's first state goes into its history in the same statement.
        """
        _check_platform(job.platform)
        row = await self._database.write_returning(*job_sql.insert_statement(job))
        if row is None:
            existing = await self._find_job("request_key = ?", (job.request_key,))
            if existing is None:
                raise StoreError("a job neither inserted nor found by its request")
            logger.debug("Request already recorded as job %s", existing.id)
            return existing
        record = rows.job_from_row(row, self._cipher)
        logger.debug("Job %s recorded in state %s", record.id, job.state)
        return record

    async def update_job(
        self, job_id: int, *, state: str | None = None, detail: str = "", **fields: Any
    ) -> JobRecord:
        """Change a job's columns; a change of state also adds a :class:`JobEvent`.

        Args:
            job_id: The job.
            state: The new state, if it changes.
            detail: Why the state changed, for the history; never a secret.
            **fields: Other :class:`JobRecord` fields to set (not id or created_at);
                ``upload_uri`` must be a :class:`Secret`.

        Raises:
            TypeError: An unknown field, or a value of the wrong kind.
            JobNotFound: No job has this id.
        """
        columns = rows.encode_job_fields(job_id, fields, self._cipher)
        if state is not None:
            columns["state"] = state
            columns["state_detail"] = detail
        columns.setdefault("updated_at", rows.db_now())
        statement = job_sql.update_statement(job_id, columns)
        row = await self._database.write_returning(*statement)
        if row is None:
            raise JobNotFound(f"job {job_id} does not exist")
        if state is not None:
            logger.debug("Job %s is in state %s", job_id, state)
        return rows.job_from_row(row, self._cipher)

    async def _find_job(
        self, where: str, params: tuple[object, ...]
    ) -> JobRecord | None:
        return await self._database.load_one(
            f"SELECT * FROM jobs WHERE {where}",  # noqa: S608
            params,
            self._job,
        )

    def _job(self, row: sqlite3.Row) -> JobRecord:
        return rows.job_from_row(row, self._cipher)

    async def load_job(self, job_id: int) -> JobRecord | None:
        """Return the job with this id, if any."""
        return await self._find_job("id = ?", (job_id,))

    async def find_job_by_request(self, request_key: str) -> JobRecord | None:
        """Return the job recorded for a request, if any."""
        return await self._find_job("request_key = ?", (request_key,))

    async def find_job_by_epson_id(self, epson_job_id: str) -> JobRecord | None:
        """Return the job Epson knows by this id, if any."""
        return await self._find_job("epson_job_id = ?", (epson_job_id,))

    async def load_unfinished_jobs(self) -> list[JobRecord]:
        """Return every job not completed, canceled, failed or expired, by id."""
        jobs = await self._select_jobs(job_sql.UNFINISHED)
        # Sorted here: an ORDER BY id would make SQLite walk the whole table.
        return sorted(jobs, key=lambda job: job.id)

    async def load_recent_jobs(
        self, identity_id: int, limit: int = 10
    ) -> list[JobRecord]:
        """Return an identity's latest jobs, newest first."""
        return await self._select_jobs(
            "identity_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
            (identity_id, limit),
        )

    async def _select_jobs(
        self, clauses: str, params: tuple[object, ...] = ()
    ) -> list[JobRecord]:
        return await self._database.load_all(
            f"SELECT * FROM jobs WHERE {clauses}",  # noqa: S608
            params,
            self._job,
        )

    async def load_job_events(self, job_id: int) -> list[JobEvent]:
        """Return a job's state history, oldest first."""
        return await self._database.load_all(
            "SELECT * FROM job_events WHERE job_id = ? ORDER BY id",
            (job_id,),
            rows.job_event_from_row,
        )

    async def count_active_jobs(self, printer_id: int) -> int:
        """Return how many unfinished jobs target the printer."""
        count = await self._database.load_one(
            f"SELECT COUNT(*) FROM jobs WHERE printer_id = ? AND {job_sql.UNFINISHED}",  # noqa: S608
            (printer_id,),
            lambda row: int(row[0]),
        )
        return count or 0

    # Platform events and OAuth state

    async def claim_event(self, platform: str, event_id: str) -> bool:
        """Return True the first time an event is seen, False on re-delivery."""
        inserted = await self._database.write(
            "INSERT INTO processed_events (platform, event_id, claimed_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (platform, event_id, rows.db_now()),
        )
        return inserted == 1

    async def prune_events(
        self, older_than: datetime | timedelta = EVENT_RETENTION
    ) -> int:
        """Forget event claims older than a time or age, and expired nonces.

        Args:
            older_than: A cutoff time, or an age counted back from now.

        Returns:
            How many claims and nonces were removed.
        """
        now = rows.utc_now()
        cutoff = now - older_than if isinstance(older_than, timedelta) else older_than
        async with self._database.transaction() as db:
            events = await change(
                db,
                "DELETE FROM processed_events WHERE claimed_at < ?",
                (rows.to_db_time(cutoff),),
            )
            nonces = await change(
                db,
                "DELETE FROM oauth_nonces WHERE expires_at <= ?",
                (rows.to_db_time(now),),
            )
        return events + nonces

    async def consume_nonce(self, nonce: str, expires_at: datetime) -> bool:
        """Return True once per unexpired nonce, False on replay or after expiry.

        Refusing expired nonces outright is what lets prune_events drop them
        without opening them to replay. Only a SHA-256 of the nonce is stored.
        """
        stored_until = rows.to_db_time(expires_at)
        if expires_at <= rows.utc_now():
            return False
        inserted = await self._database.write(
            "INSERT INTO oauth_nonces (nonce_hash, expires_at) VALUES (?, ?)"
            " ON CONFLICT DO NOTHING",
            (hashlib.sha256(nonce.encode()).digest(), stored_until),
        )
        return inserted == 1

    # Defaults and audit

    async def save_defaults(self, identity_id: int, options: dict[str, str]) -> None:
        """Replace an identity's default print options."""
        await self._database.write(
            "INSERT INTO defaults (identity_id, options, updated_at)"
            " VALUES (?, ?, ?) ON CONFLICT (identity_id) DO UPDATE"
            " SET options = excluded.options, updated_at = excluded.updated_at",
            (identity_id, rows.to_db_json(options), rows.db_now()),
        )

    async def load_defaults(self, identity_id: int) -> dict[str, str]:
        """Return an identity's default print options (empty if none)."""
        options = await self._database.load_one(
            "SELECT options FROM defaults WHERE identity_id = ?",
            (identity_id,),
            _options_from_row,
            keep=("defaults",),
        )
        return dict(options or ())

    async def audit(
        self, identity_id: int | None, action: str, detail: str = ""
    ) -> None:
        """Append an entry to the audit log; ``detail`` must hold no secret.

        Raises:
            ValueError: ``action`` is not one of ``AUDIT_ACTIONS``.
        """
        if action not in AUDIT_ACTIONS:
            raise ValueError(
                f"unknown audit action {action!r}; use one of {sorted(AUDIT_ACTIONS)}"
            )
        await self._database.write(
            _INSERT_AUDIT, _audit_params(identity_id, action, detail)
        )

    async def load_audit(self, identity_id: int) -> list[AuditEntry]:
        """Return an identity's audit entries, oldest first."""
        return await self._database.load_all(
            "SELECT * FROM audit_log WHERE identity_id = ? ORDER BY id",
            (identity_id,),
            rows.audit_from_row,
        )

    async def forget_identity(self, identity_id: int) -> None:
        """Delete an identity and everything stored about it.

        Printers, tokens, jobs, job events, defaults and audit entries go; one
        anonymous "forget" entry records that it happened. Files on disk (spool
        paths) are the caller's to remove, before this call.
        """
        async with self._database.transaction() as db:
            await change(
                db, "DELETE FROM audit_log WHERE identity_id = ?", (identity_id,)
            )
            # The foreign keys cascade from the identity to everything else.
            deleted = await change(
                db, "DELETE FROM identities WHERE id = ?", (identity_id,)
            )
            if deleted:
                await change(db, _INSERT_AUDIT, _audit_params(None, "forget", ""))
                await printer_sql.promote_default_shares(db)
        await self._database.checkpoint()
        logger.info("Identity %s forgotten", identity_id)

    # Groups

    async def upsert_group(self, platform: str, chat_id: str, title: str) -> Group:
        """Create a group, or update its title."""
        _check_platform(platform)
        async with self._database.transaction() as db:
            row = await fetch_returned(
                db,
                "INSERT INTO groups (platform, chat_id, title, created_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (platform, chat_id) DO UPDATE"
                " SET title = excluded.title RETURNING *",
                (platform, chat_id, title, rows.db_now()),
            )
        return rows.group_from_row(row)

    async def find_group(self, platform: str, chat_id: str) -> Group | None:
        """Return the group of a platform chat, if known."""
        return await self._database.load_one(
            "SELECT * FROM groups WHERE platform = ? AND chat_id = ?",
            (platform, chat_id),
            rows.group_from_row,
        )

    async def add_share(
        self, group_id: int, printer_id: int, policy: dict[str, object]
    ) -> Share:
        """Share a printer into a group, or update the policy of that share.

        The group's first share becomes its default.
        """
        async with self._database.transaction() as db:
            row = await fetch_returned(
                db,
                "INSERT INTO shares (group_id, printer_id, is_default, policy,"
                " created_at) VALUES (?1, ?2, NOT EXISTS (SELECT 1 FROM shares"
                " WHERE group_id = ?1 AND is_default = 1), ?3, ?4)"
                " ON CONFLICT (group_id, printer_id) DO UPDATE"
                " SET policy = excluded.policy RETURNING *",
                (group_id, printer_id, rows.to_db_json(policy), rows.db_now()),
            )
        return rows.share_from_row(row)

    async def load_shares(self, group_id: int) -> list[Share]:
        """Return the printers shared into a group, oldest first."""
        return await self._database.load_all(
            "SELECT * FROM shares WHERE group_id = ? ORDER BY id",
            (group_id,),
            rows.share_from_row,
        )

    async def delete_share(self, share_id: int) -> None:
        """Stop sharing a printer into a group; the next share becomes default."""
        async with self._database.transaction() as db:
            await change(db, "DELETE FROM shares WHERE id = ?", (share_id,))
            await printer_sql.promote_default_shares(db)

    # Maintenance

    async def rotate_key(self, new_cipher: TokenCipher) -> int:
        """Re-encrypt every stored secret with ``new_cipher``, in one transaction.

        Afterwards this store uses ``new_cipher``, and the database opens only
        with the new key.

        Returns:
            How many secret values were re-encrypted.

        Raises:
            CipherError: A stored value did not decrypt with the current key;
                nothing was changed.
        """
        async with self._database.transaction() as db:
            count = await reencrypt_all(db, self._cipher, new_cipher)
        self._cipher = new_cipher
        await self._database.checkpoint()
        logger.info("Store re-encrypted %s secrets under a new key", count)
        return count

    async def ping(self) -> None:
        """Run a trivial query, for health checks.

        Raises:
            StoreError: The database cannot answer.
        """
        await self._database.load_one("SELECT 1", (), lambda row: row)

    async def integrity_check(self) -> str:
        """Return ``"ok"``, or what SQLite found wrong (pages, foreign keys)."""
        return await self._database.integrity_check()


def _options_from_row(row: sqlite3.Row) -> tuple[tuple[str, str], ...]:
    # A tuple: a kept record is shared between callers.
    options = dict(json.loads(row["options"]))
    return tuple((str(key), str(value)) for key, value in options.items())


def _check_platform(platform: str) -> None:
    if platform not in PLATFORMS:
        raise ValueError(
            f"unknown platform {platform!r}; use one of {sorted(PLATFORMS)}"
        )


async def _raise_stale(
    db: aiosqlite.Connection,
    cipher: TokenCipher,
    printer_id: int,
    expected_version: int,
) -> NoReturn:
    current = await printer_sql.select_printer(db, cipher, printer_id)
    raise StaleTokens(
        f"printer {printer_id} tokens are at version {current.token_version}, "
        f"not {expected_version}: another writer refreshed them first"
    )


def _audit_params(
    identity_id: int | None, action: str, detail: str
) -> tuple[object, ...]:
    return (identity_id, action, detail, rows.db_now())
