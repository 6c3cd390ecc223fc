"""Tests of key rotation, secrets at rest, logs and reprs, and opening the file."""

from __future__ import annotations

import logging
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.secret import Secret
from storage.cipher import CipherError, TokenCipher
from storage.errors import StoreError
from storage.records import Identity, Printer
from storage.sqlite import SqliteStore, open_store
from storage.store import Store
from tests.storage.samples import KEY, OTHER_KEY, make_job, make_tokens, token_values

UPLOAD_URI = "https://upload.epsonconnect.example/j/1?Key=upload-key-R5t9"


def _file_bytes(db_path: Path) -> bytes:
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def _store_secrets(store: SqliteStore, printer: Printer) -> list[str]:
    job = await store.add_job(make_job(printer.owner_id, printer.id))
    await store.update_job(job.id, upload_uri=Secret(UPLOAD_URI))
    refreshed = make_tokens("second")
    await store.update_tokens(printer.id, refreshed, expected_version=1)
    await store.consume_nonce("oauth-nonce-W3z8", datetime.now(UTC) + timedelta(1))
    return [*token_values(make_tokens()), *token_values(refreshed), UPLOAD_URI]


async def test_rotate_key_reencrypts_every_secret_and_the_new_key_opens_it(
    store: SqliteStore, printer: Printer, db_path: Path
) -> None:
    job = await store.add_job(make_job(printer.owner_id, printer.id))
    await store.update_job(job.id, upload_uri=Secret(UPLOAD_URI))

    count = await store.rotate_key(TokenCipher(OTHER_KEY))
    still_readable = await store.load_printer(printer.id)
    await store.close()

    assert count == 3
    assert still_readable == printer
    async with await open_store(db_path, TokenCipher(OTHER_KEY)) as reopened:
        assert await reopened.load_printer(printer.id) == printer
        loaded_job = await reopened.load_job(job.id)
    assert loaded_job is not None
    assert loaded_job.upload_uri == Secret(UPLOAD_URI)


async def test_after_rotation_the_old_key_is_refused_at_open(
    store: SqliteStore, printer: Printer, db_path: Path
) -> None:
    await store.rotate_key(TokenCipher(OTHER_KEY))
    await store.close()

    with pytest.raises(CipherError, match="not the one this database") as caught:
        await open_store(db_path, TokenCipher(KEY))

    assert KEY.reveal() not in str(caught.value)


async def test_rotating_with_the_wrong_current_key_changes_nothing(
    store: SqliteStore, printer: Printer, db_path: Path
) -> None:
    await store.close()
    async with await open_store(db_path, TokenCipher(KEY)) as again:
        # A row written under a key the store does not hold, as after tampering.
        with closing(sqlite3.connect(db_path)) as raw:
            raw.execute(
                "UPDATE printers SET refresh_token = ?",
                (TokenCipher(OTHER_KEY).encrypt(Secret("x"), b"nowhere"),),
            )
            raw.commit()

        with pytest.raises(CipherError):
            await again.rotate_key(TokenCipher(OTHER_KEY))

    async with await open_store(db_path, TokenCipher(KEY)) as after:
        assert await after.integrity_check() == "ok"
    with pytest.raises(CipherError):
        await open_store(db_path, TokenCipher(OTHER_KEY))


async def test_no_secret_is_stored_in_plaintext(
    store: SqliteStore, printer: Printer, db_path: Path
) -> None:
    secrets = await _store_secrets(store, printer)

    while_open = _file_bytes(db_path)
    await store.close()
    after_close = _file_bytes(db_path)

    assert len(while_open) > 4096
    for secret in [*secrets, "oauth-nonce-W3z8"]:
        assert secret.encode() not in while_open
        assert secret.encode() not in after_close
    assert b"EW-M873T Series" in after_close


async def test_no_secret_reaches_a_log_record_at_debug(
    caplog: pytest.LogCaptureFixture, db_path: Path, cipher: TokenCipher
) -> None:
    caplog.set_level(logging.DEBUG)

    async with await open_store(db_path, cipher) as store:
        who = await store.upsert_identity("telegram", "1", "Ada", "en")
        printer = await store.save_printer(
            who.id, product_name="EW", serial_number="S", tokens=make_tokens()
        )
        secrets = await _store_secrets(store, printer)
        await store.rotate_key(TokenCipher(OTHER_KEY))
        await store.load_unfinished_jobs()

    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    # Our own lines and the driver's per-statement lines (which show parameters):
    # the token columns are written inside a transaction, statement by statement.
    assert "Job" in logged
    assert "UPDATE printers SET access_token" in logged
    for secret in [*secrets, "oauth-nonce-W3z8", KEY.reveal(), OTHER_KEY.reveal()]:
        assert secret not in logged


async def test_records_and_store_show_no_secret_in_repr_or_str(
    store: SqliteStore, printer: Printer, db_path: Path
) -> None:
    job = await store.add_job(make_job(printer.owner_id, printer.id))
    job = await store.update_job(job.id, upload_uri=Secret(UPLOAD_URI))

    shown = " ".join([repr(printer), str(printer), repr(job), str(job), repr(store)])

    for secret in [*token_values(printer.tokens), UPLOAD_URI]:
        assert secret not in shown
    assert repr(store) == f"SqliteStore(path={str(db_path)!r})"


async def test_integrity_check_of_a_healthy_database_is_ok(
    store: SqliteStore, printer: Printer
) -> None:
    assert await store.integrity_check() == "ok"


async def test_integrity_check_reports_rows_that_point_nowhere(
    store: SqliteStore, db_path: Path
) -> None:
    with closing(sqlite3.connect(db_path)) as raw:
        # A plain connection has foreign keys off, as a careless tool would.
        raw.execute("INSERT INTO defaults VALUES (42, '{}', '2030-01-01')")
        raw.commit()

    assert await store.integrity_check() == "row 42 of defaults points nowhere"


async def test_open_creates_directories_and_uses_wal_with_foreign_keys(
    store: SqliteStore, identity: Identity, db_path: Path
) -> None:
    with closing(sqlite3.connect(db_path)) as raw:
        mode = raw.execute("PRAGMA journal_mode").fetchone()[0]

    with pytest.raises(StoreError, match="FOREIGN KEY"):
        await store.save_printer(
            identity.id + 1, product_name="EW", serial_number="S", tokens=make_tokens()
        )

    assert db_path.parent.is_dir()
    assert mode == "wal"


async def test_a_file_that_is_not_a_database_is_a_store_error(
    tmp_path: Path, cipher: TokenCipher
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"this is not a database, just some text " * 200)

    with pytest.raises(StoreError, match="not a database"):
        await open_store(path, cipher)


async def test_the_sqlite_store_satisfies_the_store_protocol(
    store: SqliteStore,
) -> None:
    as_protocol: Store = store

    assert await as_protocol.integrity_check() == "ok"


async def test_ping_answers_while_open_and_fails_once_closed(
    store: SqliteStore,
) -> None:
    await store.ping()

    await store.close()
    await store.close()

    with pytest.raises(StoreError, match="closed"):
        await store.ping()
