"""The sweep of scheduled jobs on its own: when it hands a job over, and when not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.core.schedule_watch import ScheduleWatch
from bot.core.tokens import TokenKeeper
from bot.epson.client import EpsonClient
from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.records import JobRecord
from storage.sqlite import SqliteStore, open_store
from tests.storage.samples import KEY, make_job, make_tokens

# Long enough that a hand-over within a test can only come from the job's time.
NEVER = 3600.0


class Started:
    """What the watch handed over, in order, with an event per hand-over."""

    def __init__(self) -> None:
        self.jobs: list[JobRecord] = []
        self.changed = asyncio.Event()

    def __call__(self, job: JobRecord) -> None:
        self.jobs.append(job)
        self.changed.set()

    async def wait(self, count: int) -> None:
        async with asyncio.timeout(2.0):
            while len(self.jobs) < count:
                self.changed.clear()
                await self.changed.wait()


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    async with await open_store(tmp_path / "chatprint.db", TokenCipher(KEY)) as db:
        yield db


@pytest.fixture
async def client() -> AsyncIterator[EpsonClient]:
    # Never called here: the sweep itself does not talk to Epson.
    async with EpsonClient(
        api_url="http://127.0.0.1:9/api/2",
        auth_url="http://127.0.0.1:9",
        client_id="unused",
        client_secret=Secret("unused"),
        api_key=Secret("unused"),
    ) as opened:
        yield opened


def _watch(
    store: SqliteStore, client: EpsonClient, started: Started, sweep_every: float
) -> ScheduleWatch:
    tokens = TokenKeeper(store, client)
    return ScheduleWatch(
        store, client, tokens, started, lead=0.0, sweep_every=sweep_every
    )


async def _scheduled(store: SqliteStore, when: datetime) -> JobRecord:
    identity = await store.upsert_identity("telegram", "1001", "Ada", "en")
    printer = await store.save_printer(
        identity.id, product_name="P", serial_number="S1", tokens=make_tokens()
    )
    job = await store.add_job(make_job(identity.id, printer.id, scheduled_for=when))
    return await store.update_job(job.id, state="scheduled", epson_job_id="abc123")


async def test_sweep_hands_a_job_over_when_its_time_comes(
    store: SqliteStore, client: EpsonClient
) -> None:
    started = Started()
    watch = _watch(store, client, started, sweep_every=NEVER)
    job = await _scheduled(store, datetime.now(UTC) + timedelta(seconds=0.3))

    watch.start()
    try:
        await started.wait(1)
    finally:
        await watch.close()

    [handed] = started.jobs
    assert handed.id == job.id
    assert handed.state == "printing"
    assert handed.epson_status == "reserved"


async def test_job_scheduled_after_the_watch_started_is_handed_over(
    store: SqliteStore, client: EpsonClient
) -> None:
    started = Started()
    watch = _watch(store, client, started, sweep_every=0.1)
    watch.start()

    try:
        job = await _scheduled(store, datetime.now(UTC))
        await started.wait(1)
    finally:
        await watch.close()

    assert [j.id for j in started.jobs] == [job.id]


async def test_wake_hands_over_a_job_whose_time_is_far(
    store: SqliteStore, client: EpsonClient
) -> None:
    started = Started()
    watch = _watch(store, client, started, sweep_every=NEVER)
    job = await _scheduled(store, datetime.now(UTC) + timedelta(days=2))
    watch.start()

    try:
        watch.wake(job.id)
        await started.wait(1)
    finally:
        await watch.close()

    assert [j.id for j in started.jobs] == [job.id]


async def test_sweep_leaves_a_job_whose_time_is_far(
    store: SqliteStore, client: EpsonClient
) -> None:
    started = Started()
    watch = _watch(store, client, started, sweep_every=NEVER)
    job = await _scheduled(store, datetime.now(UTC) + timedelta(days=2))

    handed = await watch.sweep()

    assert handed == 0
    assert started.jobs == []
    fresh = await store.load_job(job.id)
    assert fresh is not None
    assert fresh.state == "scheduled"
