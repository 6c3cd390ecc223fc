"""Single statements waiting together share one trip, and still act alone."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from pathlib import Path

import pytest

from storage.connection import CHECKPOINT_EVERY, Database, connect
from storage.errors import StoreError
from storage.statements import INLINE_MAX
from tests.fakes.loopback import wait_until
from tests.storage.holding import connection_held


async def _open(path: Path) -> Database:
    database = await connect(path)
    await database.write("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    return database


def _trips(caplog: pytest.LogCaptureFixture) -> int:
    # aiosqlite logs one "executing" line per call on its thread.
    return sum(r.getMessage().startswith("executing") for r in caplog.records)


async def _insert_together(database: Database, count: int) -> list[int]:
    written = await asyncio.gather(
        *(
            database.write_returning(
                "INSERT INTO notes (body) VALUES (?) RETURNING id", (f"note {n}",)
            )
            for n in range(count)
        )
    )
    return [row["id"] for row in written if row]


async def test_a_few_statements_run_without_a_trip_to_the_database_thread(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = await _open(tmp_path / "notes.db")
    caplog.set_level(logging.DEBUG, logger="aiosqlite")

    ids = await _insert_together(database, INLINE_MAX)
    trips = _trips(caplog)
    await database.close()

    assert ids == list(range(1, INLINE_MAX + 1))
    assert trips == 0


async def test_many_statements_waiting_together_take_one_trip(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = await _open(tmp_path / "notes.db")
    caplog.set_level(logging.DEBUG, logger="aiosqlite")

    ids = await _insert_together(database, 50)
    trips = _trips(caplog)
    count = await database.load_one("SELECT COUNT(*) FROM notes", (), lambda r: r[0])
    await database.close()

    assert ids == list(range(1, 51))
    assert count == 50
    assert trips == 1


async def test_a_failing_statement_fails_only_its_caller(tmp_path: Path) -> None:
    database = await _open(tmp_path / "notes.db")
    await database.write("INSERT INTO notes (id, body) VALUES (1, 'first')")

    outcomes = await asyncio.gather(
        database.write("INSERT INTO notes (id, body) VALUES (2, 'before')"),
        database.write("INSERT INTO notes (id, body) VALUES (1, 'again')"),
        database.write("INSERT INTO notes (id, body) VALUES (3, 'after')"),
        return_exceptions=True,
    )
    bodies = await database.load_all(
        "SELECT body FROM notes ORDER BY id", (), lambda r: str(r[0])
    )
    await database.close()

    assert outcomes[0] == 1
    assert outcomes[2] == 1
    assert isinstance(outcomes[1], StoreError)
    assert "UNIQUE" in str(outcomes[1])
    assert bodies == ["first", "before", "after"]


async def test_a_statement_waits_for_a_transaction_in_progress(tmp_path: Path) -> None:
    database = await _open(tmp_path / "notes.db")
    order: list[str] = []

    async def transaction() -> None:
        async with database.transaction() as db:
            await db.execute("INSERT INTO notes (body) VALUES ('in transaction')")
            await asyncio.sleep(0.05)
            order.append("committed")

    async def statement() -> None:
        await asyncio.sleep(0.01)
        seen = await database.load_one(
            "SELECT COUNT(*) FROM notes", (), lambda r: int(r[0])
        )
        order.append(f"read {seen}")

    await asyncio.gather(transaction(), statement())
    await database.close()

    assert order == ["committed", "read 1"]


async def test_a_cancelled_caller_s_statement_is_not_run(tmp_path: Path) -> None:
    database = await _open(tmp_path / "notes.db")

    async with connection_held(database):
        dropped = asyncio.create_task(
            database.write("INSERT INTO notes (body) VALUES ('dropped')")
        )
        kept = asyncio.create_task(
            database.write("INSERT INTO notes (body) VALUES ('kept')")
        )
        await asyncio.sleep(0.01)
        dropped.cancel()
    await kept
    bodies = await database.load_all("SELECT body FROM notes", (), lambda r: r[0])
    await database.close()

    assert dropped.cancelled()
    assert bodies == ["kept"]


async def test_statements_after_close_are_refused(tmp_path: Path) -> None:
    database = await _open(tmp_path / "notes.db")
    await database.close()

    with pytest.raises(StoreError, match="closed"):
        await database.write("INSERT INTO notes (body) VALUES ('late')")


async def test_statements_sharing_a_trip_commit_together_but_fail_alone(
    tmp_path: Path,
) -> None:
    database = await _open(tmp_path / "notes.db")
    await database.write("INSERT INTO notes (id, body) VALUES (1, 'first')")

    async with connection_held(database):
        queued = [
            asyncio.create_task(database.write(sql))
            for sql in (
                "INSERT INTO notes (id, body) VALUES (2, 'second')",
                "INSERT INTO notes (id, body) VALUES (1, 'clash')",
                "UPDATE notes SET body = 'second, edited' WHERE id = 2",
            )
        ]
        seen = asyncio.create_task(
            database.load_all("SELECT body FROM notes ORDER BY id", (), lambda r: r[0])
        )
        await asyncio.sleep(0.01)
    outcomes = await asyncio.gather(*queued, return_exceptions=True)
    in_trip = await seen
    await database.close()

    assert outcomes[0] == 1
    assert isinstance(outcomes[1], StoreError)
    assert outcomes[2] == 1
    assert in_trip == ["first", "second, edited"]


async def test_a_trip_that_cannot_commit_fails_every_caller_and_keeps_nothing(
    tmp_path: Path,
) -> None:
    database = await _open(tmp_path / "notes.db")
    # A deferred foreign key is checked only at COMMIT.
    await database.write(
        "CREATE TABLE tags (note_id INTEGER REFERENCES notes (id)"
        " DEFERRABLE INITIALLY DEFERRED)"
    )

    async with connection_held(database):
        queued = [
            asyncio.create_task(database.write(sql))
            for sql in (
                "INSERT INTO notes (id, body) VALUES (7, 'fine on its own')",
                "INSERT INTO tags (note_id) VALUES (99)",
            )
        ]
        await asyncio.sleep(0.01)
    outcomes = await asyncio.gather(*queued, return_exceptions=True)
    kept = await database.load_one("SELECT COUNT(*) FROM notes", (), lambda r: r[0])
    await database.close()

    assert all(isinstance(o, StoreError) for o in outcomes)
    assert "FOREIGN KEY" in str(outcomes[0])
    assert kept == 0


async def test_a_write_blocked_by_another_process_waits_without_stalling_the_loop(
    tmp_path: Path,
) -> None:
    database = await _open(tmp_path / "notes.db")
    other = sqlite3.connect(tmp_path / "notes.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO notes (body) VALUES ('from the other process')")
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(ticking())
    write = asyncio.create_task(
        database.write("INSERT INTO notes (body) VALUES ('ours')")
    )
    await asyncio.sleep(0.3)
    waited = not write.done()
    other.execute("COMMIT")
    await write
    ticker.cancel()
    bodies = await database.load_all(
        "SELECT body FROM notes ORDER BY id", (), lambda r: r[0]
    )
    await database.close()
    other.close()

    assert waited
    assert ticks >= 10
    assert bodies == ["from the other process", "ours"]


async def test_the_database_file_takes_the_writes_in_the_background(
    tmp_path: Path,
) -> None:
    path = tmp_path / "notes.db"
    database = await _open(path)
    empty = path.stat().st_size

    for _ in range(CHECKPOINT_EVERY + 1):
        await database.write("INSERT INTO notes (body) VALUES (?)", ("x" * 2000,))
    await wait_until(lambda: path.stat().st_size > empty + 250 * 2000, 5)
    await database.close()


async def test_statements_after_a_cancelled_transaction_see_none_of_it(
    tmp_path: Path,
) -> None:
    database = await _open(tmp_path / "notes.db")
    inside = asyncio.Event()

    async def cut_short() -> None:
        async with database.transaction() as db:
            await db.execute("INSERT INTO notes (body) VALUES ('half done')")
            inside.set()
            await asyncio.sleep(10)

    transaction = asyncio.create_task(cut_short())
    await inside.wait()
    transaction.cancel()
    await asyncio.gather(transaction, return_exceptions=True)
    await database.write("INSERT INTO notes (body) VALUES ('after')")
    bodies = await database.load_all("SELECT body FROM notes", (), lambda r: r[0])
    await database.close()

    assert bodies == ["after"]
