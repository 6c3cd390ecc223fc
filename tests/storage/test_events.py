"""Tests of platform event claims and single-use OAuth nonces."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.rows import to_db_time
from storage.sqlite import SqliteStore


async def test_an_event_is_claimed_once(store: SqliteStore) -> None:
    first = await store.claim_event("telegram", "update-1")
    again = await store.claim_event("telegram", "update-1")

    assert (first, again) == (True, False)


async def test_the_same_event_id_on_another_platform_is_another_event(
    store: SqliteStore,
) -> None:
    await store.claim_event("telegram", "1")

    assert await store.claim_event("discord", "1")


async def test_concurrent_deliveries_of_one_event_are_claimed_once(
    store: SqliteStore,
) -> None:
    results = await asyncio.gather(
        *(store.claim_event("discord", "interaction-9") for _ in range(8))
    )

    assert sorted(results) == [False] * 7 + [True]


async def test_prune_forgets_claims_older_than_the_cutoff(store: SqliteStore) -> None:
    await store.claim_event("telegram", "old")

    kept = await store.prune_events(timedelta(days=7))
    removed = await store.prune_events(datetime.now(UTC) + timedelta(seconds=1))

    assert (kept, removed) == (0, 1)
    assert await store.claim_event("telegram", "old")


async def test_a_nonce_is_consumed_once(store: SqliteStore) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=10)

    first = await store.consume_nonce("nonce-abc", expires)
    replay = await store.consume_nonce("nonce-abc", expires)

    assert (first, replay) == (True, False)
    assert await store.consume_nonce("nonce-other", expires)


async def test_an_expired_nonce_is_refused(store: SqliteStore) -> None:
    expired = datetime.now(UTC) - timedelta(seconds=1)

    assert not await store.consume_nonce("nonce-late", expired)


async def test_prune_drops_expired_nonces_and_keeps_live_ones(
    store: SqliteStore, db_path: Path
) -> None:
    later = datetime.now(UTC) + timedelta(minutes=10)
    await store.consume_nonce("nonce-later", later)
    with closing(sqlite3.connect(db_path)) as db:
        # A nonce consumed earlier whose expiry has passed since.
        db.execute(
            "INSERT INTO oauth_nonces VALUES (?, ?)",
            (b"hash-of-old-nonce", to_db_time(datetime.now(UTC) - timedelta(hours=1))),
        )
        db.commit()

    removed = await store.prune_events()

    assert removed == 1
    assert not await store.consume_nonce("nonce-later", later)
