"""How records map to SQLite rows: datetimes, JSON, encrypted columns and back.

Datetimes are stored as fixed-width ISO-8601 UTC text with microseconds
(``2026-01-31T09:15:00.000000+00:00``), so comparing the text compares the times.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.records import (
    AuditEntry,
    Group,
    Identity,
    JobEvent,
    JobRecord,
    LinkState,
    Printer,
    Share,
    SourceFile,
    TokenPair,
)

# Every encrypted column; rotate_key walks this list.
SECRET_COLUMNS = (
    ("printers", "access_token"),
    ("printers", "refresh_token"),
    ("jobs", "upload_uri"),
)
# The columns update_job may set, by how their values are stored.
_JOB_TEXT = frozenset(
    {
        "request_key",
        "chat_id",
        "platform",
        "state",
        "file_name",
        "spool_path",
        "print_mode",
        "epson_job_id",
        "epson_status",
        "error_key",
        "status_ref",
        "language",
    }
)
_JOB_INT = frozenset({"identity_id", "printer_id", "pages", "copies", "total_pages"})
_JOB_JSON = frozenset({"options", "settings"})
_JOB_TIME = frozenset({"scheduled_for", "updated_at"})
JOB_UPDATABLE = _JOB_TEXT | _JOB_INT | _JOB_JSON | _JOB_TIME | {"upload_uri", "sources"}


def aad(table: str, column: str, row_id: int) -> bytes:
    """Return the associated data that binds a secret to its table, column and row."""
    return f"{table}.{column}:{row_id}".encode()


def to_db_time(value: datetime) -> str:
    """Return the stored form of an aware datetime.

    Raises:
        ValueError: ``value`` is naive; pass ``datetime.now(UTC)`` or similar.
    """
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"the store needs timezone-aware datetimes, got naive {value!r}; "
            "use datetime.now(UTC)"
        )
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    """Return the UTC datetime of a stored time."""
    return datetime.fromisoformat(text).astimezone(UTC)


def to_db_json(value: Mapping[str, object]) -> str:
    """Return the stored form of a dict (JSON text, keys sorted)."""
    return json.dumps(dict(value), sort_keys=True, ensure_ascii=False)


def to_db_sources(sources: object) -> str:
    """Return the stored form of a job's source files (a JSON list).

    Raises:
        TypeError: ``sources`` is not a sequence of :class:`SourceFile`.
    """
    if not isinstance(sources, tuple | list) or not all(
        isinstance(source, SourceFile) for source in sources
    ):
        raise TypeError("sources must be a tuple of SourceFile")
    return json.dumps([dataclasses.asdict(source) for source in sources])


def _sources_from_db(text: str) -> tuple[SourceFile, ...]:
    return tuple(SourceFile(**item) for item in json.loads(text))


def utc_now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


def db_now() -> str:
    """Return the current time in its stored form."""
    return to_db_time(utc_now())


def encode_job_fields(
    job_id: int, fields: Mapping[str, Any], cipher: TokenCipher
) -> dict[str, object]:
    """Check and convert ``update_job`` keyword arguments to column values.

    Raises:
        TypeError: An unknown field, or a value of the wrong kind.
    """
    unknown = sorted(set(fields) - JOB_UPDATABLE)
    if unknown:
        raise TypeError(
            f"update_job cannot set {', '.join(unknown)}; "
            f"settable fields: {', '.join(sorted(JOB_UPDATABLE))}"
        )
    return {
        name: _encode_job_value(job_id, name, value, cipher)
        for name, value in fields.items()
    }


def _encode_job_value(
    job_id: int, name: str, value: object, cipher: TokenCipher
) -> object:
    if value is None:
        return None
    if name == "upload_uri":
        if not isinstance(value, Secret):
            raise TypeError("upload_uri must be a Secret (it holds a signed key)")
        return cipher.encrypt(value, aad("jobs", "upload_uri", job_id))
    if name == "sources":
        return to_db_sources(value)
    if name in _JOB_TIME:
        if not isinstance(value, datetime):
            raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
        return to_db_time(value)
    if name in _JOB_JSON:
        if not isinstance(value, Mapping):
            raise TypeError(f"{name} must be a dict, got {type(value).__name__}")
        return to_db_json(value)
    return value


def identity_from_row(row: sqlite3.Row) -> Identity:
    """Build an :class:`Identity` from an ``identities`` row."""
    return Identity(
        id=row["id"],
        platform=row["platform"],
        user_id=row["user_id"],
        display_name=row["display_name"],
        language=row["language"],
        created_at=from_db_time(row["created_at"]),
    )


def printer_from_row(row: sqlite3.Row, cipher: TokenCipher) -> Printer:
    """Build a :class:`Printer` from a ``printers`` row, decrypting its tokens."""
    return Printer(
        id=row["id"],
        owner_id=row["owner_id"],
        name=row["name"],
        product_name=row["product_name"],
        serial_number=row["serial_number"],
        is_default=bool(row["is_default"]),
        state=LinkState(row["state"]),
        tokens=_tokens_from_row(row, cipher),
        token_version=row["token_version"],
        linked_at=from_db_time(row["linked_at"]),
    )


def _tokens_from_row(row: sqlite3.Row, cipher: TokenCipher) -> TokenPair:
    printer_id = row["id"]
    return TokenPair(
        access_token=cipher.decrypt(
            row["access_token"], aad("printers", "access_token", printer_id)
        ),
        access_expires_at=from_db_time(row["access_expires_at"]),
        refresh_token=cipher.decrypt(
            row["refresh_token"], aad("printers", "refresh_token", printer_id)
        ),
        refresh_expires_at=from_db_time(row["refresh_expires_at"]),
    )


def token_columns(
    printer_id: int, tokens: TokenPair, cipher: TokenCipher
) -> tuple[bytes, str, bytes, str]:
    """Return the stored forms of a token pair, in the order of the columns.

    The columns are access_token, access_expires_at, refresh_token and
    refresh_expires_at.
    """
    return (
        cipher.encrypt(
            tokens.access_token, aad("printers", "access_token", printer_id)
        ),
        to_db_time(tokens.access_expires_at),
        cipher.encrypt(
            tokens.refresh_token, aad("printers", "refresh_token", printer_id)
        ),
        to_db_time(tokens.refresh_expires_at),
    )


def job_from_row(row: sqlite3.Row, cipher: TokenCipher) -> JobRecord:
    """Build a :class:`JobRecord` from a ``jobs`` row, decrypting its upload URI."""
    return JobRecord(
        id=row["id"],
        request_key=row["request_key"],
        identity_id=row["identity_id"],
        printer_id=row["printer_id"],
        chat_id=row["chat_id"],
        platform=row["platform"],
        state=row["state"],
        file_name=row["file_name"],
        spool_path=row["spool_path"],
        print_mode=row["print_mode"],
        options=json.loads(row["options"]),
        settings=json.loads(row["settings"]),
        pages=row["pages"],
        copies=row["copies"],
        epson_job_id=row["epson_job_id"],
        upload_uri=_upload_uri_from_row(row, cipher),
        epson_status=row["epson_status"],
        total_pages=row["total_pages"],
        error_key=row["error_key"],
        status_ref=row["status_ref"],
        language=row["language"],
        scheduled_for=_optional_time(row["scheduled_for"]),
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
        sources=_sources_from_db(row["sources"]),
    )


def _upload_uri_from_row(row: sqlite3.Row, cipher: TokenCipher) -> Secret | None:
    stored = row["upload_uri"]
    if stored is None:
        return None
    return cipher.decrypt(stored, aad("jobs", "upload_uri", row["id"]))


def _optional_time(text: str | None) -> datetime | None:
    return None if text is None else from_db_time(text)


def job_event_from_row(row: sqlite3.Row) -> JobEvent:
    """Build a :class:`JobEvent` from a ``job_events`` row."""
    return JobEvent(
        job_id=row["job_id"],
        state=row["state"],
        detail=row["detail"],
        at=from_db_time(row["at"]),
    )


def audit_from_row(row: sqlite3.Row) -> AuditEntry:
    """Build an :class:`AuditEntry` from an ``audit_log`` row."""
    return AuditEntry(
        id=row["id"],
        identity_id=row["identity_id"],
        action=row["action"],
        detail=row["detail"],
        at=from_db_time(row["at"]),
    )


def group_from_row(row: sqlite3.Row) -> Group:
    """Build a :class:`Group` from a ``groups`` row."""
    return Group(
        id=row["id"],
        platform=row["platform"],
        chat_id=row["chat_id"],
        title=row["title"],
        created_at=from_db_time(row["created_at"]),
    )


def share_from_row(row: sqlite3.Row) -> Share:
    """Build a :class:`Share` from a ``shares`` row."""
    return Share(
        id=row["id"],
        group_id=row["group_id"],
        printer_id=row["printer_id"],
        is_default=bool(row["is_default"]),
        policy=json.loads(row["policy"]),
        created_at=from_db_time(row["created_at"]),
    )
