"""The schema history of the SQLite database, as ordered, numbered steps.

``PRAGMA user_version`` holds the number of the last step applied. Each step runs in
its own transaction together with the version bump, so a crash leaves the database
at one version or the next, never between. Steps are never edited once released:
a change is a new step at the end.

Datetimes are ISO-8601 UTC text (fixed width, so text order is time order); secrets
are AES-GCM BLOBs from ``storage/cipher.py``; dicts are JSON text.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import aiosqlite

from storage.errors import SchemaTooNew

logger = logging.getLogger(__name__)

_FINISHED = "('completed', 'canceled', 'failed', 'expired')"


@dataclass(frozen=True)
class Migration:
    """One step of the schema history."""

    version: int
    description: str
    statements: tuple[str, ...]


_V1 = Migration(
    1,
    "identities, printers with encrypted tokens, jobs, job events, event claims, "
    "OAuth nonces",
    (
        """CREATE TABLE identities (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL
                CHECK (platform IN ('telegram', 'discord', 'console')),
            user_id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            language TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (platform, user_id)
        )""",
        """CREATE TABLE printers (
            id INTEGER PRIMARY KEY,
            owner_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            product_name TEXT NOT NULL,
            serial_number TEXT NOT NULL,
            is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
            state TEXT NOT NULL CHECK (state IN ('active', 'broken')),
            access_token BLOB NOT NULL,
            access_expires_at TEXT NOT NULL,
            refresh_token BLOB NOT NULL,
            refresh_expires_at TEXT NOT NULL,
            token_version INTEGER NOT NULL DEFAULT 1,
            linked_at TEXT NOT NULL,
            UNIQUE (owner_id, serial_number),
            UNIQUE (owner_id, name)
        )""",
        """CREATE UNIQUE INDEX printers_one_default
            ON printers (owner_id) WHERE is_default = 1""",
        """CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            request_key TEXT NOT NULL UNIQUE,
            identity_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
            printer_id INTEGER REFERENCES printers (id) ON DELETE SET NULL,
            chat_id TEXT NOT NULL,
            platform TEXT NOT NULL,
            state TEXT NOT NULL,
            file_name TEXT NOT NULL,
            spool_path TEXT,
            print_mode TEXT NOT NULL,
            options TEXT NOT NULL DEFAULT '{}',
            settings TEXT NOT NULL DEFAULT '{}',
            pages INTEGER NOT NULL DEFAULT 0,
            copies INTEGER NOT NULL DEFAULT 1,
            epson_job_id TEXT,
            upload_uri BLOB,
            epson_status TEXT,
            total_pages INTEGER NOT NULL DEFAULT 0,
            error_key TEXT,
            status_ref TEXT,
            language TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        # Partial: finished jobs pile up, the unfinished few are read at every start.
        f"""CREATE INDEX jobs_unfinished
            ON jobs (printer_id, state) WHERE state NOT IN {_FINISHED}""",
        "CREATE INDEX jobs_by_identity ON jobs (identity_id, created_at)",
        # For ON DELETE SET NULL when a printer goes; the partial index cannot serve.
        "CREATE INDEX jobs_by_printer ON jobs (printer_id)",
        """CREATE INDEX jobs_by_epson_id
            ON jobs (epson_job_id) WHERE epson_job_id IS NOT NULL""",
        """CREATE TABLE job_events (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            state TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        )""",
        "CREATE INDEX job_events_by_job ON job_events (job_id)",
        """CREATE TABLE processed_events (
            platform TEXT NOT NULL,
            event_id TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            PRIMARY KEY (platform, event_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX processed_events_by_age ON processed_events (claimed_at)",
        # Only a hash of each nonce is kept: the table never holds a usable value.
        """CREATE TABLE oauth_nonces (
            nonce_hash BLOB PRIMARY KEY,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX oauth_nonces_by_expiry ON oauth_nonces (expires_at)",
        # One encrypted known value, to refuse a wrong secret key at start-up.
        """CREATE TABLE key_check (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            value BLOB NOT NULL
        )""",
    ),
)

_V2 = Migration(
    2,
    "default options, audit log, groups, shares, scheduled jobs, job sources",
    (
        """CREATE TABLE defaults (
            identity_id INTEGER PRIMARY KEY
                REFERENCES identities (id) ON DELETE CASCADE,
            options TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""",
        """CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            identity_id INTEGER REFERENCES identities (id) ON DELETE CASCADE,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        )""",
        "CREATE INDEX audit_log_by_identity ON audit_log (identity_id)",
        """CREATE TABLE groups (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL
                CHECK (platform IN ('telegram', 'discord', 'console')),
            chat_id TEXT NOT NULL,
            title TEXT NOT NULL,
            created_at TEXT NOT NULL,
            UNIQUE (platform, chat_id)
        )""",
        """CREATE TABLE shares (
            id INTEGER PRIMARY KEY,
            group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
            printer_id INTEGER NOT NULL REFERENCES printers (id) ON DELETE CASCADE,
            is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
            policy TEXT NOT NULL DEFAULT '{}',
            created_at TEXT NOT NULL,
            UNIQUE (group_id, printer_id)
        )""",
        "CREATE INDEX shares_by_printer ON shares (printer_id)",
        """CREATE UNIQUE INDEX shares_one_default
            ON shares (group_id) WHERE is_default = 1""",
        "ALTER TABLE jobs ADD COLUMN scheduled_for TEXT",
        # The files of a job as a JSON list, to fetch them again after a restart.
        "ALTER TABLE jobs ADD COLUMN sources TEXT NOT NULL DEFAULT '[]'",
        """CREATE INDEX jobs_scheduled
            ON jobs (scheduled_for) WHERE scheduled_for IS NOT NULL""",
    ),
)

_V3 = Migration(
    3,
    "group print requests and their approvals, invites, linked identities, "
    "one-time connect codes",
    (
        # Identities of one person on several platforms share one person_id.
        """CREATE TABLE identity_links (
            identity_id INTEGER PRIMARY KEY
                REFERENCES identities (id) ON DELETE CASCADE,
            person_id INTEGER NOT NULL
        )""",
        "CREATE INDEX identity_links_by_person ON identity_links (person_id)",
        # Only hashes of codes are kept, as for OAuth nonces.
        """CREATE TABLE connect_codes (
            code_hash BLOB PRIMARY KEY,
            identity_id INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
            expires_at TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE invites (
            id INTEGER PRIMARY KEY,
            code_hash BLOB NOT NULL UNIQUE,
            printer_id INTEGER NOT NULL REFERENCES printers (id) ON DELETE CASCADE,
            created_by INTEGER NOT NULL REFERENCES identities (id) ON DELETE CASCADE,
            expires_at TEXT NOT NULL,
            revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
            used_by_group INTEGER REFERENCES groups (id) ON DELETE SET NULL
        )""",
        "CREATE INDEX invites_by_printer ON invites (printer_id)",
        """CREATE TABLE group_requests (
            job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            group_id INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
            printer_id INTEGER NOT NULL REFERENCES printers (id) ON DELETE CASCADE,
            status TEXT NOT NULL CHECK (status IN
                ('new', 'pending', 'waiting', 'approved', 'denied', 'expired')),
            reason TEXT NOT NULL DEFAULT '',
            reserved_pages INTEGER NOT NULL DEFAULT 0,
            expires_at TEXT,
            release_at TEXT,
            decided_by INTEGER REFERENCES identities (id) ON DELETE SET NULL,
            notices TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL
        )""",
        """CREATE INDEX group_requests_by_printer
            ON group_requests (printer_id, created_at)""",
        "CREATE INDEX group_requests_by_group ON group_requests (group_id, job_id)",
        """CREATE INDEX group_requests_waiting
            ON group_requests (status) WHERE status IN ('pending', 'waiting')""",
        "CREATE INDEX group_requests_by_decider ON group_requests (decided_by)",
        "CREATE INDEX connect_codes_by_identity ON connect_codes (identity_id)",
        "CREATE INDEX invites_by_creator ON invites (created_by)",
        "CREATE INDEX invites_by_group ON invites (used_by_group)",
    ),
)

_V4 = Migration(
    4,
    "job state history written by triggers, so a job's change is one statement",
    (
        # Why the state last changed; the update trigger copies it into the history.
        "ALTER TABLE jobs ADD COLUMN state_detail TEXT NOT NULL DEFAULT ''",
        """CREATE TRIGGER jobs_history_on_insert AFTER INSERT ON jobs
        BEGIN
            INSERT INTO job_events (job_id, state, detail, at)
            VALUES (NEW.id, NEW.state, NEW.state_detail, NEW.updated_at);
        END""",
        """CREATE TRIGGER jobs_history_on_update AFTER UPDATE OF state ON jobs
        WHEN NEW.state IS NOT OLD.state
        BEGIN
            INSERT INTO job_events (job_id, state, detail, at)
            VALUES (NEW.id, NEW.state, NEW.state_detail, NEW.updated_at);
        END""",
    ),
)

MIGRATIONS: tuple[Migration, ...] = (_V1, _V2, _V3, _V4)
LATEST_VERSION = MIGRATIONS[-1].version


async def read_version(db: aiosqlite.Connection) -> int:
    """Return the schema version recorded in the database (0 when new)."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def apply_migrations(
    db: aiosqlite.Connection, target: int = LATEST_VERSION
) -> int:
    """Bring the schema up to ``target``, one transaction per step.

    Args:
        db: A connection in autocommit mode (``isolation_level=None``).
        target: The version to stop at; tests use it to build old databases.

    Returns:
        The version the database is at afterwards.

    Raises:
        SchemaTooNew: The database is at a version this code does not know.
    """
    current = await read_version(db)
    if current > LATEST_VERSION:
        raise SchemaTooNew(
            f"the database is at schema version {current}, but this chatprint only "
            f"knows versions up to {LATEST_VERSION}: upgrade chatprint, or restore "
            "a backup made by this version"
        )
    for migration in MIGRATIONS[current:target]:
        await _apply(db, migration)
    return max(current, target)


async def _apply(db: aiosqlite.Connection, migration: Migration) -> None:
    await db.execute("BEGIN IMMEDIATE")
    try:
        # Another process may have applied this step while this one waited.
        if await read_version(db) >= migration.version:
            await db.rollback()
            return
        for statement in migration.statements:
            await db.execute(statement)
        # PRAGMA takes no parameters; the version is an int from this module.
        await db.execute(f"PRAGMA user_version = {int(migration.version)}")
    except BaseException:
        await db.rollback()
        raise
    await db.commit()
    logger.info(
        "Database schema moved to version %s (%s)",
        migration.version,
        migration.description,
    )
