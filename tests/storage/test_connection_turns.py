"""Operations take the connection in turn; an urgent one goes before the queue."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.connection import Database, connect
from tests.storage.holding import connection_held


async def _note(database: Database, order: list[str], name: str, **how: bool) -> None:
    async with database.transaction(**how) as db:
        await db.execute("INSERT INTO turns (name) VALUES (?)", (name,))
        order.append(name)


async def _open(path: Path) -> Database:
    database = await connect(path)
    await database.write("CREATE TABLE turns (name TEXT)")
    return database


async def _queue_behind_a_holder(
    database: Database, order: list[str], names: list[tuple[str, bool]]
) -> None:
    async with connection_held(database, after=lambda: order.append("holder")):
        waiting = [
            asyncio.create_task(_note(database, order, name, urgent=urgent))
            for name, urgent in names
        ]
        for _ in range(5):
            await asyncio.sleep(0)  # let each queue up behind the holder
    await asyncio.gather(*waiting)


async def test_urgent_write_goes_before_operations_already_waiting(
    tmp_path: Path,
) -> None:
    database = await _open(tmp_path / "turns.db")
    order: list[str] = []

    await _queue_behind_a_holder(
        database, order, [("a", False), ("b", False), ("token", True)]
    )
    await database.close()

    assert order == ["holder", "token", "a", "b"]


async def test_a_cancelled_waiter_does_not_keep_the_connection(
    tmp_path: Path,
) -> None:
    database = await _open(tmp_path / "turns.db")
    order: list[str] = []

    async with connection_held(database):
        gone = asyncio.create_task(_note(database, order, "gone", urgent=True))
        later = asyncio.create_task(_note(database, order, "later"))
        await asyncio.sleep(0)
        gone.cancel()
    await asyncio.wait_for(later, timeout=2)
    await database.close()

    assert order == ["later"]
    assert gone.cancelled()
