"""Tests of forget_identity: everything about a person goes, others stay."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.secret import Secret
from storage.records import Identity
from storage.sqlite import SqliteStore
from tests.storage.samples import make_job, make_tokens

EVERY_TABLE = {
    "identities",
    "printers",
    "jobs",
    "job_events",
    "processed_events",
    "oauth_nonces",
    "key_check",
    "defaults",
    "audit_log",
    "groups",
    "shares",
    "group_requests",
    "invites",
    "connect_codes",
    "identity_links",
}


def _row_counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as db:
        tables = [
            row[0]
            for row in db.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]  # noqa: S608
            for table in tables
        }


async def _fill(store: SqliteStore, who: Identity, serial: str) -> None:
    printer = await store.save_printer(
        who.id,
        product_name="EW-M873T",
        serial_number=serial,
        tokens=make_tokens(f"of-{who.display_name}"),
    )
    job = await store.add_job(make_job(who.id, printer.id))
    await store.update_job(
        job.id, state="printing", upload_uri=Secret(f"https://up/{serial}?Key=k")
    )
    await store.save_defaults(who.id, {"color": "mono"})
    await store.audit(who.id, "link", f"printer {printer.id}")
    group = await store.upsert_group("telegram", "-1", "Team")
    await store.add_share(group.id, printer.id, {})
    await store.add_group_request(job.id, group.id, printer.id)
    soon = datetime.now(UTC) + timedelta(minutes=5)
    await store.save_invite(f"INV-{serial}", printer.id, who.id, soon)
    await store.save_connect_code(f"CON-{serial}", who.id, soon)
    await store.link_identities(who.id, who.id)


async def test_forget_removes_every_row_about_the_identity_and_only_those(
    store: SqliteStore, identity: Identity, db_path: Path
) -> None:
    other = await store.upsert_identity("discord", "2002", "Bruno", "it")
    await _fill(store, identity, "SER-ADA")
    await _fill(store, other, "SER-BRUNO")
    await store.claim_event("telegram", "u-1")
    await store.consume_nonce("n-1", datetime.now(UTC) + timedelta(minutes=5))
    before = _row_counts(db_path)

    await store.forget_identity(identity.id)

    after = _row_counts(db_path)
    assert set(after) == EVERY_TABLE
    assert after == {
        "identities": 1,
        "printers": 1,
        "jobs": 1,
        "job_events": 2,
        "processed_events": 1,
        "oauth_nonces": 1,
        "key_check": 1,
        "defaults": 1,
        "audit_log": 2,
        "groups": 1,
        "shares": 1,
        "group_requests": 1,
        "invites": 1,
        "connect_codes": 1,
        "identity_links": 1,
    }
    assert before["printers"] == 2
    assert before["job_events"] == 4


async def test_forget_leaves_an_anonymous_entry_and_the_others_intact(
    store: SqliteStore, identity: Identity
) -> None:
    other = await store.upsert_identity("discord", "2002", "Bruno", "it")
    await _fill(store, identity, "SER-ADA")
    await _fill(store, other, "SER-BRUNO")
    group = await store.find_group("telegram", "-1")

    await store.forget_identity(identity.id)

    assert await store.load_identity(identity.id) is None
    assert await store.load_printers(identity.id) == []
    assert await store.load_recent_jobs(identity.id) == []
    assert await store.load_defaults(identity.id) == {}
    assert await store.load_audit(identity.id) == []
    assert len(await store.load_printers(other.id)) == 1
    assert [e.action for e in await store.load_audit(other.id)] == ["link"]
    assert group is not None
    shares = await store.load_shares(group.id)
    assert [s.is_default for s in shares] == [True]


async def test_forget_wipes_the_identity_from_the_file(
    store: SqliteStore, db_path: Path
) -> None:
    who = await store.upsert_identity(
        "telegram", "uid-7c1e9", "Zelda Forgettable", "en"
    )
    await _fill(store, who, "SER-ZELDA-77")

    await store.forget_identity(who.id)

    raw = _file_bytes(db_path)
    for trace in (b"Zelda Forgettable", b"uid-7c1e9", b"SER-ZELDA-77"):
        assert trace not in raw


async def test_forget_of_an_unknown_identity_writes_nothing(
    store: SqliteStore, db_path: Path
) -> None:
    await store.forget_identity(999)

    assert _row_counts(db_path)["audit_log"] == 0


def _file_bytes(db_path: Path) -> bytes:
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
