"""The SQLite connection under the store: pragmas, one user at a time, transactions.

One connection serves the whole process, so a lock lets one operation at a time
use it: without the lock two coroutines would share one transaction. Operations
take turns in arrival order, except urgent ones (saving a rotated Epson token),
which go before everything still waiting. Single statements run on the event
loop, those waiting together in one commit (``statements.py``), and reads that
name their tables are served from kept records while those tables are unchanged
(``read_cache.py``). Transactions, and everything else that may wait, run on
aiosqlite's thread. Between processes, ``BEGIN IMMEDIATE`` and the busy timeout
of the thread's work serialise writers instead. SQLite's own checkpoints, which
wait for the disk, are turned off: the WAL is copied into the database file on
the thread, in the background, after every ``CHECKPOINT_EVERY`` commits. Every
:mod:`sqlite3` error leaves this module as a ``StoreError``.
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
from storage.statements import (
    StatementQueue,
    all_rows,
    first_row,
    on_thread,
    row_count,
)

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
# Commits between two checkpoints; a commit adds a few pages to the WAL.
CHECKPOINT_EVERY = 250
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

    def try_acquire(self) -> bool:
        """Take the lock at once if it is free; False when it is not."""
        if self._held or self._urgent or self._normal:
            return False
        self._held = True
        return True

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
            db,
            self._lock,
            lambda: not self._closed,
            lambda: self._cache.written(None),
            self._committed,
        )
        self._commits = 0
        self._checkpointing: asyncio.Task[None] | None = None

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[aiosqlite.Connection]:
        """Hold the connection outside any transaction, with the busy timeout.

        For reads, and for steps that run their own transactions (migrations).
        """
        async with self._lock.turn():
            self._check_open()
            try:
                with translate_errors(), self._on_thread_for_a_while():
                    await self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                    try:
                        yield self._db
                    finally:
                        await self._db.execute("PRAGMA busy_timeout = 0")
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
                with translate_errors(), self._on_thread_for_a_while():
                    try:
                        await on_thread(self._db, _begin_patiently)
                        yield self._db
                    except BaseException:
                        # Also after a cancelled BEGIN: the worker thread runs
                        # requests in order, and rollback does nothing outside a
                        # transaction.
                        await on_thread(self._db, _end_transaction("ROLLBACK"))
                        raise
                    await on_thread(self._db, _end_transaction("COMMIT"))
                    self._committed()
            finally:
                self._cache.written(None)

    @contextmanager
    def _on_thread_for_a_while(self) -> Iterator[None]:
        """Note thread work cut short: it may still run, before the next trip."""
        try:
            yield
        except BaseException:
            self._statements.thread_unsettled = True
            raise

    def _committed(self) -> None:
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._checkpointing is None:
            self._commits = 0
            self._checkpointing = asyncio.create_task(
                self._checkpoint_in_background(), name="store-checkpoint"
            )

    async def _checkpoint_in_background(self) -> None:
        try:
            async with self._lock.turn():
                if not self._closed:
                    with translate_errors(), self._on_thread_for_a_while():
                        await on_thread(self._db, _checkpoint_passively)
        except StoreError as exc:
            logger.warning("Checkpoint of the WAL failed: %s", exc)
        finally:
            self._checkpointing = None

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
        if self._checkpointing is not None:
            await asyncio.gather(self._checkpointing, return_exceptions=True)
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
        # Statements also run on the event loop's thread (see statements.py).
        db = await aiosqlite.connect(
            path, isolation_level=None, check_same_thread=False
        )
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
    # Checkpoints go to the thread (Database._committed); statements on the event
    # loop wait for no other connection (statements.py).
    await db.execute("PRAGMA wal_autocheckpoint = 0")
    await db.execute("PRAGMA busy_timeout = 0")


def _begin_patiently(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    except BaseException:
        conn.execute("PRAGMA busy_timeout = 0")
        raise


def _end_transaction(verb: str) -> Callable[[sqlite3.Connection], None]:
    """``COMMIT`` or ``ROLLBACK``; a commit that fails (a deferred constraint)
    rolls back, so that the connection is never left inside a transaction."""

    def end(conn: sqlite3.Connection) -> None:
        try:
            if conn.in_transaction:
                conn.execute(verb)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("PRAGMA busy_timeout = 0")

    return end


def _checkpoint_passively(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
    finally:
        conn.execute("PRAGMA busy_timeout = 0")


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
