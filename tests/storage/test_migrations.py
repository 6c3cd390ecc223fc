"""Tests of the schema history: fresh databases, upgrades from v1, newer refused."""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.connection import connect
from storage.errors import SchemaTooNew, StoreError
from storage.migrations import LATEST_VERSION, MIGRATIONS, apply_migrations
from storage.records import LinkState
from storage.rows import aad, to_db_time
from storage.sqlite import open_store
from tests.storage.samples import make_job, make_tokens

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _user_version(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("PRAGMA user_version").fetchone()[0])


async def _build_v1_database(path: Path, cipher: TokenCipher) -> None:
    """Write a version 1 database with one of everything, as v1 code would."""
    database = await connect(path)
    async with database.connection() as db:
        assert await apply_migrations(db, target=1) == 1
        for sql, params in _v1_rows(cipher):
            await db.execute(sql, params)
    await database.close()


def _v1_rows(cipher: TokenCipher) -> list[tuple[str, tuple[object, ...]]]:
    tokens = make_tokens("from-v1")
    t0 = to_db_time(T0)
    return [
        (
            "INSERT INTO identities VALUES (1, 'telegram', '42', 'Old Ann', 'en', ?)",
            (t0,),
        ),
        (
            "INSERT INTO printers VALUES"
            " (1, 1, 'Home', 'EW-1', 'SER-1', 1, 'active', ?, ?, ?, ?, 3, ?)",
            (
                cipher.encrypt(tokens.access_token, aad("printers", "access_token", 1)),
                to_db_time(tokens.access_expires_at),
                cipher.encrypt(
                    tokens.refresh_token, aad("printers", "refresh_token", 1)
                ),
                to_db_time(tokens.refresh_expires_at),
                t0,
            ),
        ),
        (
            "INSERT INTO jobs (id, request_key, identity_id, printer_id, chat_id,"
            " platform, state, file_name, print_mode, options, upload_uri,"
            " language, created_at, updated_at) VALUES (1, 'tg:1:1', 1, 1, '1',"
            " 'telegram', 'printing', 'a.pdf', 'document', '{\"color\": \"mono\"}',"
            " ?, 'en', ?, ?)",
            (
                cipher.encrypt(Secret("https://up/v1"), aad("jobs", "upload_uri", 1)),
                t0,
                t0,
            ),
        ),
        ("INSERT INTO job_events VALUES (1, 1, 'received', '', ?)", (t0,)),
        ("INSERT INTO processed_events VALUES ('telegram', 'u-1', ?)", (t0,)),
        (
            "INSERT INTO oauth_nonces VALUES (?, ?)",
            (
                hashlib.sha256(b"nonce-v1").digest(),
                to_db_time(datetime.now(UTC) + timedelta(hours=1)),
            ),
        ),
    ]


async def test_a_new_database_is_at_the_latest_version(
    db_path: Path, cipher: TokenCipher
) -> None:
    async with await open_store(db_path, cipher):
        pass

    assert _user_version(db_path) == LATEST_VERSION == len(MIGRATIONS)


async def test_two_processes_creating_one_database_at_once_both_succeed(
    db_path: Path, cipher: TokenCipher
) -> None:
    first, second = await asyncio.gather(
        open_store(db_path, cipher), open_store(db_path, cipher)
    )

    async with first, second:
        who = await first.upsert_identity("console", "me", "Me", "en")
        assert await second.load_identity(who.id) == who
    assert _user_version(db_path) == LATEST_VERSION


async def test_reopening_a_current_database_changes_nothing(
    db_path: Path, cipher: TokenCipher
) -> None:
    async with await open_store(db_path, cipher) as store:
        who = await store.upsert_identity("console", "me", "Me", "en")

    async with await open_store(db_path, cipher) as store:
        assert await store.load_identity(who.id) == who


async def test_upgrading_a_v1_database_keeps_every_row(
    db_path: Path, cipher: TokenCipher
) -> None:
    await _build_v1_database(db_path, cipher)
    assert _user_version(db_path) == 1

    async with await open_store(db_path, cipher) as store:
        identity = await store.load_identity(1)
        printer = await store.load_printer(1)
        job = await store.load_job(1)
        events = await store.load_job_events(1)
        claimed_again = await store.claim_event("telegram", "u-1")
        nonce_again = await store.consume_nonce(
            "nonce-v1", datetime.now(UTC) + timedelta(hours=1)
        )
        check = await store.integrity_check()

    assert _user_version(db_path) == LATEST_VERSION
    assert identity is not None
    assert (identity.display_name, identity.created_at) == ("Old Ann", T0)
    assert printer is not None
    assert (printer.name, printer.token_version, printer.state) == (
        "Home",
        3,
        LinkState.ACTIVE,
    )
    assert printer.tokens.refresh_token.reveal() == "refresh-token-from-v1-Kp4wY7"
    assert job is not None
    assert (job.state, job.options, job.scheduled_for) == (
        "printing",
        {"color": "mono"},
        None,
    )
    assert job.upload_uri == Secret("https://up/v1")
    assert job.sources == ()
    assert [e.state for e in events] == ["received"]
    assert (claimed_again, nonce_again, check) == (False, False, "ok")


async def test_an_upgraded_database_has_working_v2_tables(
    db_path: Path, cipher: TokenCipher
) -> None:
    await _build_v1_database(db_path, cipher)

    async with await open_store(db_path, cipher) as store:
        await store.save_defaults(1, {"paper": "a4"})
        await store.audit(1, "print", "job 1")
        group = await store.upsert_group("telegram", "-5", "Old friends")
        share = await store.add_share(group.id, 1, {"max_pages": 3})
        later = await store.add_job(
            make_job(1, 1, scheduled_for=T0 + timedelta(days=60))
        )
        updated = await store.update_job(1, scheduled_for=T0)

        assert await store.load_defaults(1) == {"paper": "a4"}
        assert [e.action for e in await store.load_audit(1)] == ["print"]
        assert await store.load_shares(group.id) == [share]
    assert later.scheduled_for == T0 + timedelta(days=60)
    assert updated.scheduled_for == T0


async def test_an_upgraded_job_keeps_its_history_and_records_each_change_once(
    db_path: Path, cipher: TokenCipher
) -> None:
    await _build_v1_database(db_path, cipher)

    async with await open_store(db_path, cipher) as store:
        await store.update_job(1, state="canceled", detail="dropped from card")
        await store.update_job(1, state="canceled", detail="asked twice")
        await store.update_job(1, total_pages=3)
        events = await store.load_job_events(1)

    assert [(e.state, e.detail) for e in events] == [
        ("received", ""),
        ("canceled", "dropped from card"),
    ]


async def test_a_database_newer_than_the_code_is_refused(
    db_path: Path, cipher: TokenCipher
) -> None:
    async with await open_store(db_path, cipher):
        pass
    with closing(sqlite3.connect(db_path)) as db:
        db.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")

    too_new = rf"version {LATEST_VERSION + 1}.*upgrade chatprint"
    with pytest.raises(SchemaTooNew, match=too_new):
        await open_store(db_path, cipher)


async def test_a_failing_step_leaves_the_database_at_the_previous_version(
    db_path: Path, cipher: TokenCipher
) -> None:
    await _build_v1_database(db_path, cipher)
    with closing(sqlite3.connect(db_path)) as db:
        # A table the v2 step will try to create makes that step fail half-way.
        db.execute("CREATE TABLE shares (id INTEGER)")
        db.commit()

    with pytest.raises(StoreError, match="shares already exists"):
        await open_store(db_path, cipher)

    assert _user_version(db_path) == 1
    with closing(sqlite3.connect(db_path)) as db:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema")}
    assert "defaults" not in tables
