"""Tests of jobs: idempotent adds, updates with history, lookups, counts."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.secret import Secret
from storage.errors import JobNotFound
from storage.job_sql import UNFINISHED
from storage.records import Identity, JobRecord, Printer, SourceFile
from storage.sqlite import SqliteStore
from tests.storage.samples import make_job

FINISHED = ("completed", "canceled", "failed", "expired")


async def _job(store: SqliteStore, identity: Identity, printer: Printer) -> JobRecord:
    return await store.add_job(make_job(identity.id, printer.id))


async def test_add_job_records_it_in_the_received_state(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    new = make_job(identity.id, printer.id)

    job = await store.add_job(new)

    assert job.state == "received"
    assert (job.request_key, job.file_name, job.options) == (
        new.request_key,
        "report.pdf",
        {"color": "mono"},
    )
    assert (job.upload_uri, job.epson_job_id, job.scheduled_for) == (None, None, None)
    assert job.created_at == job.updated_at
    assert job.created_at.tzinfo == UTC
    assert await store.load_job(job.id) == job
    assert [e.state for e in await store.load_job_events(job.id)] == ["received"]


async def test_a_second_add_with_the_same_request_key_returns_the_first(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    first = await store.add_job(make_job(identity.id, printer.id, request_key="k"))

    again = await store.add_job(
        make_job(identity.id, printer.id, request_key="k", file_name="other.pdf")
    )

    assert again == first
    assert await store.find_job_by_request("k") == first
    assert len(await store.load_recent_jobs(identity.id)) == 1
    assert len(await store.load_job_events(first.id)) == 1


async def test_add_job_keeps_a_schedule_and_a_given_first_state(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    when = datetime(2030, 1, 2, 8, 30, tzinfo=UTC)

    job = await store.add_job(
        make_job(identity.id, printer.id, scheduled_for=when, state="scheduled")
    )

    assert (job.scheduled_for, job.state) == (when, "scheduled")


async def test_a_jobs_sources_and_status_ref_are_kept(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    photo = SourceFile(name="cat.jpg", ref="AgACAgIAAxkBAAI", size=52133, is_photo=True)
    sheet = SourceFile(
        name="plan.xlsx", ref="BQACAgIAAxkBAAJ", size=None, is_photo=False
    )
    job = await store.add_job(
        make_job(identity.id, printer.id, sources=(photo, sheet), status_ref="c:9")
    )

    trimmed = await store.update_job(job.id, sources=(photo,))

    assert (job.sources, job.status_ref) == ((photo, sheet), "c:9")
    assert trimmed.sources == (photo,)
    assert await store.load_job(job.id) == trimmed


async def test_update_job_sets_fields_and_logs_the_state_change(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job = await _job(store, identity, printer)

    updated = await store.update_job(
        job.id,
        state="uploading",
        detail="created at Epson",
        epson_job_id="ej-1",
        upload_uri=Secret("https://upload.example/u?Key=abc123secret"),
        settings={"paperSize": "ps_a4", "copies": 2},
        pages=3,
        copies=2,
        status_ref="chat-1:55",
    )

    assert updated.state == "uploading"
    assert updated.upload_uri == Secret("https://upload.example/u?Key=abc123secret")
    assert updated.settings == {"paperSize": "ps_a4", "copies": 2}
    assert (updated.pages, updated.copies, updated.status_ref) == (3, 2, "chat-1:55")
    assert updated.updated_at >= job.updated_at
    assert updated.created_at == job.created_at
    events = await store.load_job_events(job.id)
    assert [(e.state, e.detail) for e in events] == [
        ("received", ""),
        ("uploading", "created at Epson"),
    ]
    assert await store.find_job_by_epson_id("ej-1") == updated


async def test_update_job_without_a_state_change_adds_no_event(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job = await _job(store, identity, printer)

    await store.update_job(job.id, epson_status="pending")
    await store.update_job(job.id, state="received", detail="same")

    assert len(await store.load_job_events(job.id)) == 1


async def test_update_job_can_clear_nullable_fields(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job = await _job(store, identity, printer)
    await store.update_job(job.id, upload_uri=Secret("https://u/x"), spool_path="/s")

    cleared = await store.update_job(job.id, upload_uri=None, spool_path=None)

    assert (cleared.upload_uri, cleared.spool_path) == (None, None)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"id": 5}, "cannot set id"),
        ({"created_at": datetime.now(UTC)}, "cannot set created_at"),
        ({"nonsense": 1}, "cannot set nonsense"),
        ({"upload_uri": "https://plain/text"}, "must be a Secret"),
        ({"scheduled_for": "tomorrow"}, "must be a datetime"),
        ({"settings": ["a"]}, "must be a dict"),
        ({"sources": ("cat.jpg",)}, "tuple of SourceFile"),
    ],
)
async def test_update_job_refuses_bad_fields(
    store: SqliteStore,
    identity: Identity,
    printer: Printer,
    fields: dict[str, Any],
    message: str,
) -> None:
    job = await _job(store, identity, printer)

    with pytest.raises(TypeError, match=message):
        await store.update_job(job.id, **fields)

    assert await store.load_job(job.id) == job


async def test_update_job_refuses_a_naive_datetime(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job = await _job(store, identity, printer)

    with pytest.raises(ValueError, match="timezone-aware"):
        await store.update_job(job.id, scheduled_for=datetime(2030, 1, 1))


async def test_update_of_a_missing_job_is_not_found(store: SqliteStore) -> None:
    with pytest.raises(JobNotFound):
        await store.update_job(404, state="printing")


async def test_lookups_of_unknown_jobs_are_none(store: SqliteStore) -> None:
    assert await store.load_job(1) is None
    assert await store.find_job_by_request("nope") is None
    assert await store.find_job_by_epson_id("nope") is None


async def test_unfinished_jobs_are_those_not_in_a_final_state(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    jobs = [await _job(store, identity, printer) for _ in range(6)]
    for job, state in zip(jobs, FINISHED, strict=False):
        await store.update_job(job.id, state=state)
    await store.update_job(jobs[4].id, state="printing")

    unfinished = await store.load_unfinished_jobs()

    assert [(j.id, j.state) for j in unfinished] == [
        (jobs[4].id, "printing"),
        (jobs[5].id, "received"),
    ]
    assert await store.count_active_jobs(printer.id) == 2
    assert await store.count_active_jobs(printer.id + 1) == 0


async def test_recent_jobs_are_the_identitys_newest_first_up_to_the_limit(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    other = await store.upsert_identity("discord", "9", "Di", "en")
    mine = [await _job(store, identity, printer) for _ in range(4)]
    await store.add_job(make_job(other.id, None))

    recent = await store.load_recent_jobs(identity.id, limit=3)

    assert [j.id for j in recent] == [mine[3].id, mine[2].id, mine[1].id]


async def test_a_deleted_printer_leaves_its_jobs_without_a_printer(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    job = await _job(store, identity, printer)

    await store.delete_printer(printer.id)

    loaded = await store.load_job(job.id)
    assert loaded is not None
    assert loaded.printer_id is None


@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("SELECT * FROM jobs WHERE " + UNFINISHED, "jobs_unfinished"),  # noqa: S608
        (
            "SELECT COUNT(*) FROM jobs WHERE printer_id = 1 AND " + UNFINISHED,  # noqa: S608
            "jobs_unfinished",
        ),
        ("SELECT * FROM jobs WHERE request_key = 'k'", "sqlite_autoindex_jobs_1"),
        ("SELECT * FROM jobs WHERE epson_job_id = 'e'", "jobs_by_epson_id"),
        (
            "SELECT * FROM jobs WHERE identity_id = 1"
            " ORDER BY created_at DESC, id DESC LIMIT 10",
            "jobs_by_identity",
        ),
        ("SELECT * FROM job_events WHERE job_id = 1 ORDER BY id", "job_events_by_job"),
        ("SELECT id FROM jobs WHERE printer_id = 1", "jobs_by_printer"),
        ("SELECT * FROM printers WHERE owner_id = 1 ORDER BY id", "sqlite_autoindex"),
        (
            "SELECT * FROM printers WHERE owner_id = 1 AND is_default = 1",
            "printers_one_default",
        ),
        ("SELECT * FROM audit_log WHERE identity_id = 1", "audit_log_by_identity"),
        ("SELECT * FROM shares WHERE group_id = 1 ORDER BY id", "sqlite_autoindex"),
    ],
)
async def test_lookups_use_an_index(
    store: SqliteStore, db_path: Path, query: str, index: str
) -> None:
    with closing(sqlite3.connect(db_path)) as db:
        plan = " ".join(row[3] for row in db.execute(f"EXPLAIN QUERY PLAN {query}"))

    assert index in plan


async def test_a_schedule_given_in_local_time_comes_back_in_utc(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    paris = datetime(2030, 5, 1, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
    job = await store.add_job(make_job(identity.id, printer.id, scheduled_for=paris))

    loaded = await store.load_job(job.id)

    assert loaded is not None
    assert loaded.scheduled_for == paris
    assert loaded.scheduled_for.tzinfo == UTC
    assert loaded.scheduled_for.hour == 8


@pytest.mark.parametrize("yields", range(8))
async def test_a_cancelled_write_is_all_or_nothing_and_the_store_stays_usable(
    store: SqliteStore, identity: Identity, printer: Printer, yields: int
) -> None:
    new = make_job(identity.id, printer.id)
    task = asyncio.create_task(store.add_job(new))
    for _ in range(yields):
        await asyncio.sleep(0)

    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task

    job = await store.find_job_by_request(new.request_key)
    events = [] if job is None else await store.load_job_events(job.id)
    assert len(events) == (0 if job is None else 1)
    again = await store.add_job(new)
    assert [e.state for e in await store.load_job_events(again.id)] == ["received"]
