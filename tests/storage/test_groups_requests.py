"""Tests of group requests, page ledgers, invites, connect codes, linked identities,
and the upgrade of a version 2 database to version 3."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from storage.cipher import TokenCipher
from storage.connection import connect
from storage.migrations import apply_migrations
from storage.records import Identity, Notice, Printer
from storage.sqlite import SqliteStore, open_store
from tests.storage.samples import make_job, make_tokens

SOON = timedelta(minutes=10)


async def _group_job(store: SqliteStore, who: Identity, printer: Printer) -> int:
    group = await store.upsert_group("telegram", "-1", "Team")
    job = await store.add_job(make_job(who.id, printer.id))
    await store.add_group_request(job.id, group.id, printer.id)
    return job.id


async def test_a_request_is_recorded_once_and_starts_new(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job_id = await _group_job(store, identity, printer)

    again = await store.add_group_request(job_id, 1, printer.id)

    assert again.status == "new"
    assert again == await store.load_group_request(job_id)


async def test_a_decision_is_made_once(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job_id = await _group_job(store, identity, printer)
    await store.update_group_request(job_id, status="pending")

    first = await store.decide_group_request(
        job_id, expected=("pending",), status="approved", decided_by=identity.id
    )
    second = await store.decide_group_request(
        job_id, expected=("pending",), status="denied", decided_by=identity.id
    )

    request = await store.load_group_request(job_id)
    assert (first, second) == (True, False)
    assert request is not None
    assert (request.status, request.decided_by) == ("approved", identity.id)


async def test_notices_and_times_round_trip(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job_id = await _group_job(store, identity, printer)
    expires = datetime(2026, 12, 24, 9, 0, tzinfo=UTC)
    notice = Notice("telegram", "-1", "42", "-1:77")

    request = await store.update_group_request(
        job_id, status="pending", expires_at=expires, notices=(notice,)
    )

    assert request.expires_at == expires
    assert request.notices == (notice,)
    with pytest.raises(TypeError, match="cannot set"):
        await store.update_group_request(job_id, decided_by=3)


async def test_due_requests_are_expired_pending_and_released_waiting(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    now = datetime.now(UTC)
    pending = await _group_job(store, identity, printer)
    waiting = await _group_job(store, identity, printer)
    later = await _group_job(store, identity, printer)
    await store.update_group_request(pending, status="pending", expires_at=now)
    await store.update_group_request(waiting, status="waiting", release_at=now)
    await store.update_group_request(later, status="pending", expires_at=now + SOON)

    due = await store.load_due_group_requests(now)

    assert [r.job_id for r in due] == [pending, waiting]


async def test_the_ledger_counts_printed_pages_and_reservations_only(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    since = datetime.now(UTC) - SOON
    other = await store.upsert_identity("discord", "9", "Cy", "en")
    done = await _group_job(store, identity, printer)
    active = await _group_job(store, identity, printer)
    dropped = await _group_job(store, identity, printer)
    theirs = await store.add_job(make_job(other.id, printer.id))
    await store.add_group_request(theirs.id, 1, printer.id)
    await store.update_job(done, state="completed", total_pages=4)
    for job_id in (done, active, dropped, theirs.id):
        await store.update_group_request(job_id, reserved_pages=3)
    await store.update_job(dropped, state="canceled")

    mine = await store.count_printer_pages(printer.id, since, [identity.id])
    everyone = await store.count_printer_pages(printer.id, since)
    usage = await store.load_printer_usage(printer.id, since)
    future = await store.count_printer_pages(printer.id, datetime.now(UTC) + SOON)

    assert mine == 4 + 3
    assert everyone == 4 + 3 + 3
    assert usage == {identity.id: 7, other.id: 3}
    assert future == 0


async def test_an_invite_works_once_and_not_after_revoke_or_expiry(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    now = datetime.now(UTC)
    group = await store.upsert_group("telegram", "-1", "Team")
    await store.save_invite("ABC DEF", printer.id, identity.id, now + SOON)
    await store.save_invite("REVOKED", printer.id, identity.id, now + SOON)
    await store.save_invite("OLD", printer.id, identity.id, now - SOON)

    used = await store.redeem_invite("abcdef", group.id, now)
    again = await store.redeem_invite("ABCDEF", group.id, now)
    revoked = await store.revoke_invites([printer.id])
    after_revoke = await store.redeem_invite("REVOKED", group.id, now)
    old = await store.redeem_invite("OLD", group.id, now)

    assert used is not None
    assert (used.printer_id, used.used_by_group) == (printer.id, group.id)
    assert (again, after_revoke, old) == (None, None, None)
    assert revoked == 2


async def test_a_connect_code_works_once_and_only_before_it_expires(
    store: SqliteStore, identity: Identity
) -> None:
    now = datetime.now(UTC)
    await store.save_connect_code("CODE1", identity.id, now + SOON)

    first = await store.consume_connect_code("code1", now)
    second = await store.consume_connect_code("CODE1", now)
    await store.save_connect_code("CODE2", identity.id, now + SOON)
    late = await store.consume_connect_code("CODE2", now + 2 * SOON)

    assert (first, second, late) == (identity.id, None, None)


async def test_codes_are_stored_only_as_hashes(
    store: SqliteStore, identity: Identity, printer: Printer, db_path: Path
) -> None:
    now = datetime.now(UTC)
    await store.save_connect_code("PLAINCONNECT", identity.id, now + SOON)
    await store.save_invite("PLAININVITE", printer.id, identity.id, now + SOON)
    await store.close()

    raw = b"".join(p.read_bytes() for p in db_path.parent.iterdir() if p.is_file())

    assert b"PLAINCONNECT" not in raw
    assert b"PLAININVITE" not in raw


async def test_linking_identities_joins_whole_people(store: SqliteStore) -> None:
    a = await store.upsert_identity("telegram", "1", "A", "en")
    b = await store.upsert_identity("discord", "1", "B", "en")
    c = await store.upsert_identity("console", "1", "C", "en")

    await store.link_identities(a.id, b.id)
    await store.link_identities(c.id, b.id)

    for who in (a, b, c):
        assert await store.load_linked_identities(who.id) == [a.id, b.id, c.id]
    lonely = await store.upsert_identity("telegram", "2", "D", "en")
    assert await store.load_linked_identities(lonely.id) == [lonely.id]


async def test_one_policy_is_written_to_every_share_of_a_printer(
    store: SqliteStore, printer: Printer
) -> None:
    first = await store.upsert_group("telegram", "-1", "Team")
    second = await store.upsert_group("discord", "server:5", "Lab")
    await store.add_share(first.id, printer.id, {})
    await store.add_share(second.id, printer.id, {})

    await store.save_printer_policy(printer.id, {"auto_pages": 5})

    shares = await store.load_printer_shares(printer.id)
    assert [s.policy for s in shares] == [{"auto_pages": 5}, {"auto_pages": 5}]


async def test_the_default_share_can_be_chosen(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    group = await store.upsert_group("telegram", "-1", "Team")
    other = await store.save_printer(
        identity.id, product_name="ET-8550", serial_number="S-9", tokens=make_tokens()
    )
    await store.add_share(group.id, printer.id, {})
    second = await store.add_share(group.id, other.id, {})

    await store.set_default_share(group.id, second.id)

    shares = await store.load_shares(group.id)
    assert [(s.printer_id, s.is_default) for s in shares] == [
        (printer.id, False),
        (other.id, True),
    ]


async def test_upgrading_a_v2_database_keeps_groups_and_adds_the_new_tables(
    db_path: Path, cipher: TokenCipher
) -> None:
    database = await connect(db_path)
    async with database.connection() as db:
        assert await apply_migrations(db, target=2) == 2
        await db.execute(
            "INSERT INTO groups VALUES (1, 'telegram', '-1', 'Team',"
            " '2026-11-02T09:00:00.000000+00:00')"
        )
    await database.close()

    async with await open_store(db_path, cipher) as store:
        group = await store.find_group("telegram", "-1")
        who = await store.upsert_identity("telegram", "1", "A", "en")
        await store.save_connect_code("X", who.id, datetime.now(UTC) + SOON)
        check = await store.integrity_check()

    assert group is not None
    assert group.title == "Team"
    assert check == "ok"
