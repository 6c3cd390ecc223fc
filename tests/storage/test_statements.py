"""Single statements waiting together share one trip, and still act alone."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from storage.connection import Database, connect
from storage.errors import StoreError
from tests.storage.holding import connection_held


async def _open(path: Path) -> Database:
    database = await connect(path)
    await database.write("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    return database


def _trips(caplog: pytest.LogCaptureFixture) -> int:
    # aiosqlite logs one "executing" line per call on its thread.
    return sum(r.getMessage().startswith("executing") for r in caplog.records)


async def test_statements_waiting_together_take_one_trip(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    database = await _open(tmp_path / "notes.db")
    caplog.set_level(logging.DEBUG, logger="aiosqlite")

    written = await asyncio.gather(
        *(
            database.write_returning(
                "INSERT INTO notes (body) VALUES (?) RETURNING id", (f"note {n}",)
            )
            for n in range(50)
        )
    )
    trips = _trips(caplog)
    count = await database.load_one("SELECT COUNT(*) FROM notes", (), lambda r: r[0])
    await database.close()

    assert [row["id"] for row in written if row] == list(range(1, 51))
    assert count == 50
    assert trips <= 2  # the first statement may go before the others queue


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
