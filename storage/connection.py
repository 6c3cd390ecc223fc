"""The SQLite connection under the store: pragmas, one user at a time, transactions.

One connection serves the whole process, so a lock lets one operation at a time
use it: without the lock two coroutines would share one transaction. Operations
take turns in arrival order, except urgent ones (saving a rotated Epson token),
which go before everything still waiting. Single statements waiting together
take their turn as one trip (``statements.py``), and reads that name their tables
are served from kept records while those tables are unchanged (``read_cache.py``).
Between processes, ``BEGIN IMMEDIATE`` and the busy timeout serialise writers
instead. Every :mod:`sqlite3` error leaves this module as a ``StoreError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TypeVar

import aiosqlite

from storage.errors import StoreError
from storage.read_cache import ReadCache, table_written
from storage.statements import StatementQueue, all_rows, first_row, row_count

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
_WAL_RETRY_DELAY = 0.02
Params = tuple[object, ...]
T = TypeVar("T")


class _Turns:
    """A lock handed on in arrival order, urgent waiters first."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._normal: deque[asyncio.Future[None]] = deque()

    @property
    def held(self) -> bool:
        """Whether someone has the lock now."""
        return self._held

    async def acquire(self, *, urgent: bool) -> None:
        if not (self._held or self._urgent or self._normal):
            self._held = True
            return
        turn = asyncio.get_running_loop().create_future()
        queue = self._urgent if urgent else self._normal
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.cancelled():
                with contextlib.suppress(ValueError):  # a release may have dropped it
                    queue.remove(turn)
            else:
                self.release()  # handed over at the moment of the cancel
            raise

    def release(self) -> None:
        for queue in (self._urgent, self._normal):
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    turn.set_result(None)  # the lock passes on, still held
                    return
        self._held = False

    @asynccontextmanager
    async def turn(self, *, urgent: bool = False) -> AsyncIterator[None]:
        await self.acquire(urgent=urgent)
        try:
            yield
        finally:
            self.release()


class Database:
    """One open aiosqlite connection, handed to one operation at a time.

    Args:
        db: A connection in autocommit mode, configured by :func:`connect`.
    """

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._lock = _Turns()
        self._closed = False
        self._cache = ReadCache()
        self._statements = StatementQueue(
            db, self._lock, lambda: not self._closed, lambda: self._cache.written(None)
        )

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the connection outside any transaction.

        For reads, and for steps that run their own transactions (migrations).
        """
        async with self._lock.turn():
            self._check_open()
            try:
                with translate_errors():
                    yield self._db
            finally:
                self._cache.written(None)

    @asynccontextmanager
    async def transaction(
        self, *, urgent: bool = False
    ) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the connection inside ``BEGIN IMMEDIATE``.

        Commits when the body ends, rolls back when it raises or is cancelled.

        Args:
            urgent: Go before every operation still waiting for the connection.
        """
        async with self._lock.turn(urgent=urgent):
            self._check_open()
            try:
                with translate_errors():
                    try:
                        await self._db.execute("BEGIN IMMEDIATE")
                        yield self._db
                    except BaseException:
                        # Also after a cancelled BEGIN: the worker thread runs
                        # requests in order, and rollback does nothing outside a
                        # transaction.
                        await self._db.rollback()
                        raise
                    await self._db.commit()
            finally:
                self._cache.written(None)

    async def load_one(
        self,
        sql: str,
        params: Params,
        build: Callable[[sqlite3.Row], T],
        *,
        keep: tuple[str, ...] = (),
    ) -> T | None:
        """Run a query and build a record from its first row, if any.

        Args:
            keep: The tables the query reads, to keep the record until one of them
                is written (see ``read_cache.py``); records kept are shared, so
                they must be immutable.
        """

        async def load() -> T | None:
            row = await self._statement(first_row(sql, params))
            return None if row is None else build(row)

        if not keep:
            return await load()
        return await self._cache.read((sql, params, build), keep, load)

    async def load_all(
        self,
        sql: str,
        params: Params,
        build: Callable[[sqlite3.Row], T],
        *,
        keep: tuple[str, ...] = (),
    ) -> list[T]:
        """Run a query and build a record from each row (``keep`` as for
        :meth:`load_one`; the list returned is the caller's own)."""

        async def load() -> tuple[T, ...]:
            rows = await self._statement(all_rows(sql, params))
            return tuple(build(row) for row in rows)

        if not keep:
            return list(await load())
        return list(await self._cache.read((sql, params, build), keep, load))

    async def write_returning(self, sql: str, params: Params) -> sqlite3.Row | None:
        """Run one statement on its own and return the first row it returns.

        SQLite makes a single statement atomic, the triggers it fires included,
        so this needs no transaction around it (see ``statements.py``).
        """
        try:
            row: sqlite3.Row | None = await self._statement(first_row(sql, params))
        finally:
            self._cache.written(table_written(sql))
        return row

    async def write(self, sql: str, params: Params = ()) -> int:
        """Run one statement on its own (atomic by itself, as for
        :meth:`write_returning`); return the rows it touched."""
        try:
            count: int = await self._statement(row_count(sql, params))
        finally:
            self._cache.written(table_written(sql))
        return count

    async def _statement(self, step: Callable[[sqlite3.Connection], T]) -> T:
        self._check_open()
        with translate_errors():
            return await self._statements.run(step)

    async def integrity_check(self) -> str:
        """Return ``"ok"``, or what SQLite found wrong (pages, foreign keys)."""
        async with self.connection() as db:
            pages = await fetch_all(db, "PRAGMA integrity_check")
            orphans = await fetch_all(db, "PRAGMA foreign_key_check")
        problems = [str(row[0]) for row in pages if row[0] != "ok"]
        problems += [f"row {row[1]} of {row[0]} points nowhere" for row in orphans]
        return "; ".join(problems) or "ok"

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it."""
        # Old copies of rewritten or deleted pages live on in the WAL until this.
        async with self.connection() as db:
            await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def close(self) -> bool:
        """Close the connection; return False if it was already closed."""
        async with self._lock.turn():
            if self._closed:
                return False
            self._closed = True
            await self._db.close()
            return True


async def connect(path: Path) -> Database:
    """Open the database file at ``path``, creating it and its directories.

    Raises:
        StoreError: The file cannot be opened as a database.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with translate_errors():
        db = await aiosqlite.connect(path, isolation_level=None)
    try:
        with translate_errors():
            await _configure(db)
    except BaseException:
        await db.close()
        raise
    return Database(db)


async def _configure(db: aiosqlite.Connection) -> None:
    db.row_factory = aiosqlite.Row
    await db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await _enable_wal(db)
    await db.execute("PRAGMA synchronous = NORMAL")
    await db.execute("PRAGMA foreign_keys = ON")
    # Deleted rows (forgotten users, old tokens) are zeroed, not left in free pages.
    await db.execute("PRAGMA secure_delete = ON")


async def _enable_wal(db: aiosqlite.Connection) -> None:
    # The switch to WAL needs the file to itself and SQLite does not apply the busy
    # timeout to it: two processes creating the database at once would fail here.
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        with contextlib.suppress(sqlite3.OperationalError):
            row = await fetch_one(db, "PRAGMA journal_mode = WAL")
            if row is not None and row[0] == "wal":
                return
        if time.monotonic() > deadline:
            raise StoreError("the database file is locked; cannot switch it to WAL")
        logger.debug("Database file busy; retrying the switch to WAL")
        await asyncio.sleep(_WAL_RETRY_DELAY)


@contextmanager
def translate_errors() -> Iterator[None]:
    """Turn any :mod:`sqlite3` error raised inside into a :class:`StoreError`."""
    try:
        yield
    except sqlite3.Error as exc:
        raise StoreError(f"the database failed: {exc}") from exc


async def fetch_one(
    db: aiosqlite.Connection, sql: str, params: Params = ()
) -> sqlite3.Row | None:
    """Return the first row of a query, if any.

    One trip to the database thread: a cursor would take three (execute, fetch,
    close), and every trip waits for that thread and then for the event loop.
    """
    rows = await db.execute_fetchall(sql, params)
    return next(iter(rows), None)


async def fetch_all(
    db: aiosqlite.Connection, sql: str, params: Params = ()
) -> list[sqlite3.Row]:
    """Return every row of a query."""
    return list(await db.execute_fetchall(sql, params))


async def fetch_returned(
    db: aiosqlite.Connection, sql: str, params: Params
) -> sqlite3.Row:
    """Return the row of an ``INSERT ... RETURNING`` that always returns one."""
    row = await fetch_one(db, sql, params)
    if row is None:
        raise StoreError("a statement with RETURNING returned no row")
    return row


async def insert(db: aiosqlite.Connection, sql: str, params: Params) -> int:
    """Run an INSERT and return the new row's id."""
    cursor = await db.execute(sql, params)
    if cursor.lastrowid is None:
        raise StoreError("an insert returned no row id")
    return cursor.lastrowid


async def change(db: aiosqlite.Connection, sql: str, params: Params = ()) -> int:
    """Run an INSERT, UPDATE or DELETE and return how many rows it touched."""
    cursor = await db.execute(sql, params)
    return cursor.rowcount
