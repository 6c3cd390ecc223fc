"""Single statements queued together run in one trip and one commit: a few on the
event loop itself, many on the database thread, and any that SQLite would make
wait on the thread too.

A trip to aiosqlite's thread costs two wake-ups between threads, one there and
one back: about 0.13 ms here, several times a statement, and a print made ten of
them before its print call. The statements this queue runs are single indexed
reads and one-row writes, which SQLite finishes in microseconds, so a trip of up
to ``INLINE_MAX`` of them runs on the event loop's thread, on aiosqlite's
connection, while the connection is free (sequential prints: 10 ms -> 7 ms from
update to print call). A write there does not wait for the disk: in WAL mode
with ``synchronous = NORMAL`` a commit only appends to the WAL, and the
checkpoints that do wait for the disk go to the thread (see ``connection.py``).
A longer trip, as in a rush of requests, goes to the thread instead: its
hand-over is shared by many statements, and SQLite runs there beside the event
loop, on another core.

Statements queued during one turn of the event loop commit together: each
commit appends the pages it changed to the WAL, so a job's state change on its
own took about 75 us, against about 23 us inside a transaction shared with
others (measured with the jobs table, its indexes and history triggers). Each
runs inside its own savepoint: one that fails is undone alone and fails only its
own caller, the others commit together, and no caller resumes before that
commit. A trip that cannot commit fails every caller in it.

The connection waits for no lock here (its busy timeout is 0). When another
process holds the write lock, SQLite answers "busy" at once; the trip is rolled
back and run again on the thread, where it may wait the full busy timeout
without holding up the event loop. Each trip also reads SQLite's
``data_version``, which moves when another connection (another process) has
committed, so that records kept from earlier reads can be dropped.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar, cast

import aiosqlite

T = TypeVar("T")
Step = Callable[[sqlite3.Connection], object]
Params = tuple[object, ...]
# What a step left behind: its result, or the error it raised.
_Outcome = tuple[bool, object]
# The outcomes of one trip, the database's data_version after it (if read), and
# whether it changed any row.
_Trip = tuple[list[_Outcome], int | None, bool]
_Waiting = list[tuple[Step, "asyncio.Future[object]"]]
# The busy timeout of the thread's trips; statements on the event loop wait none.
PATIENT_BUSY_MS = 5000
# A trip of more statements goes to the thread: the hand-over costs less than
# those statements, and SQLite works there beside the event loop.
INLINE_MAX = 4


class Turns(Protocol):
    """The lock that hands the connection to one user at a time."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free and nobody waits for it."""
        ...

    async def acquire(self, *, urgent: bool) -> None: ...

    def release(self) -> None: ...


class StatementQueue:
    """Runs queued statements on one connection, all waiting ones per commit.

    Args:
        db: The connection, in autocommit mode, usable from the event loop's
            thread (``check_same_thread=False``) and with a busy timeout of 0.
        turns: Taken for each trip, so that no trip runs inside someone's
            transaction.
        is_open: Whether the connection may still be used.
        others_wrote: Called when a trip finds that another connection has
            committed since the trip before.
        committed: Called after each trip that changed rows.
    """

    def __init__(
        self,
        db: aiosqlite.Connection,
        turns: Turns,
        is_open: Callable[[], bool],
        others_wrote: Callable[[], None],
        committed: Callable[[], None] = lambda: None,
    ) -> None:
        self._db = db
        self._conn: sqlite3.Connection = cast(Any, db)._conn
        self._turns = turns
        self._is_open = is_open
        self._others_wrote = others_wrote
        self._committed = committed
        self._data_version: int | None = None
        self._waiting: _Waiting = []
        self._flush_planned = False
        self._runner: asyncio.Task[None] | None = None
        self.thread_unsettled = False
        """Set when work sent to the thread may still be running there (its
        caller was cancelled): the next trip goes to the thread, behind it."""

    async def run(self, step: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``step`` with the next trip, once the connection is free; return
        its result.

        Raises:
            sqlite3.Error: What the step raised.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[object] = loop.create_future()
        self._waiting.append((step, future))
        if not self._flush_planned:
            # Whatever else is queued in this turn of the loop commits with it.
            self._flush_planned = True
            loop.call_soon(self._flush)
        return cast(T, await future)

    def _flush(self) -> None:
        self._flush_planned = False
        if self._runner is not None or not self._turns.try_acquire():
            self._run_later()
            return
        try:
            batch = self._take()
            if batch and not self._run_here(batch):
                self._run_later(batch)
        finally:
            self._turns.release()

    def _run_later(self, batch: _Waiting | None = None) -> None:
        """Go on in a task that waits its turn for the connection."""
        if batch:
            self._waiting[:0] = batch
        if self._runner is None:
            self._runner = asyncio.create_task(self._run_waiting(), name="store-trips")

    def _take(self) -> _Waiting:
        batch = [(s, f) for s, f in self._waiting if not f.done()]
        self._waiting.clear()
        if batch and not self._is_open():
            for _, future in batch:
                future.set_exception(sqlite3.ProgrammingError("store closed"))
            return []
        return batch

    def _run_here(self, batch: _Waiting) -> bool:
        """Run ``batch`` on the event loop; False if SQLite would make it wait."""
        if self.thread_unsettled or len(batch) > INLINE_MAX:
            return False
        try:
            trip = _run_all(self._conn, [step for step, _ in batch])
        except sqlite3.Error as exc:
            if _is_busy(exc):
                return False
            _fail_all(batch, exc)
            return True
        if any(not ok and _is_busy(value) for ok, value in trip[0]):
            return False  # a lone statement refused as busy changed nothing
        self._settle(batch, trip)
        return True

    async def _run_waiting(self) -> None:
        try:
            while self._waiting:
                await self._trip()
        finally:
            self._runner = None
            # Only a cancel of this task gets here with callers still waiting.
            for _, future in self._waiting:
                future.cancel()
            self._waiting.clear()

    async def _trip(self) -> None:
        await self._turns.acquire(urgent=False)
        try:
            batch = self._take()
            if not batch or self._run_here(batch):
                return
            await self._run_on_thread(batch)
        finally:
            self._turns.release()

    async def _run_on_thread(self, batch: _Waiting) -> None:
        steps = [step for step, _ in batch]
        try:
            trip = await on_thread(self._db, lambda c: _run_patiently(c, steps))
        except Exception as exc:  # the trip itself failed: each caller hears
            _fail_all(batch, exc)
            return
        except BaseException:
            # The thread may still run it: the next trip queues up behind.
            self.thread_unsettled = True
            for _, future in batch:
                future.cancel()
            raise
        self.thread_unsettled = False
        self._settle(batch, trip)

    def _settle(self, batch: _Waiting, trip: _Trip) -> None:
        outcomes, version, changed = trip
        if changed:
            self._committed()
        if version is not None:
            if self._data_version is not None and version != self._data_version:
                self._others_wrote()
            self._data_version = version
        for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
            if future.done():
                continue  # its caller was cancelled meanwhile
            if ok:
                future.set_result(value)
            else:
                future.set_exception(cast(BaseException, value))


def _fail_all(batch: _Waiting, error: BaseException) -> None:
    for _, future in batch:
        if not future.done():
            future.set_exception(error)


def _is_busy(error: object) -> bool:
    """Whether SQLite refused because another connection holds a lock."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(code, int) and code & 0xFF in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    )


def _run_patiently(conn: sqlite3.Connection, steps: Sequence[Step]) -> _Trip:
    """Run ``steps`` as :func:`_run_all` does, waiting for other connections."""
    conn.execute(f"PRAGMA busy_timeout = {PATIENT_BUSY_MS}")
    try:
        return _run_all(conn, steps)
    finally:
        conn.execute("PRAGMA busy_timeout = 0")


def _run_all(conn: sqlite3.Connection, steps: Sequence[Step]) -> _Trip:
    changes = conn.total_changes
    if len(steps) == 1:
        outcomes = [_outcome(conn, steps[0])]  # its own implicit transaction
    else:
        outcomes = _run_together(conn, steps)
    try:
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
    except sqlite3.Error:
        version = None
    return outcomes, version, conn.total_changes != changes


def _run_together(conn: sqlite3.Connection, steps: Sequence[Step]) -> list[_Outcome]:
    """Run ``steps`` in one transaction, each undone alone if it fails.

    Raises:
        sqlite3.Error: The transaction could not commit, another connection
            holds the lock (busy), or SQLite ended it early (a full disk, an
            I/O error): nothing of the trip is kept.
    """
    conn.execute("BEGIN")
    try:
        outcomes = [_in_savepoint(conn, step) for step in steps]
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return outcomes


def _in_savepoint(conn: sqlite3.Connection, step: Step) -> _Outcome:
    conn.execute("SAVEPOINT statement")
    ok, value = outcome = _outcome(conn, step)
    if not ok:
        if not conn.in_transaction or _is_busy(value):
            # SQLite rolled the whole transaction back (it does so on some
            # errors), or the trip must go to the thread: undo all of it.
            raise cast(sqlite3.Error, value)
        conn.execute("ROLLBACK TO statement")
    conn.execute("RELEASE statement")
    return outcome


def _outcome(conn: sqlite3.Connection, step: Step) -> _Outcome:
    try:
        return True, step(conn)
    except sqlite3.Error as exc:
        return False, exc


async def on_thread(
    db: aiosqlite.Connection, work: Callable[[sqlite3.Connection], T]
) -> T:
    """Run ``work`` with the raw connection on aiosqlite's own thread.

    aiosqlite has no public call for this; ``_execute`` and ``_conn`` are what its
    own methods use (the same from 0.17 to 0.22, the versions pyproject allows).
    """
    raw = cast(Any, db)

    def call() -> T:
        return work(raw._conn)

    return cast(T, await raw._execute(call))


def first_row(sql: str, params: Params) -> Callable[[sqlite3.Connection], Any]:
    """A step: the first row of ``sql``, or None (the statement runs to its end)."""

    def step(conn: sqlite3.Connection) -> sqlite3.Row | None:
        rows = conn.execute(sql, params).fetchall()
        return cast(sqlite3.Row, rows[0]) if rows else None

    return step


def all_rows(sql: str, params: Params) -> Callable[[sqlite3.Connection], Any]:
    """A step: every row of ``sql``."""

    def step(conn: sqlite3.Connection) -> list[sqlite3.Row]:
        return list(conn.execute(sql, params).fetchall())

    return step


def row_count(sql: str, params: Params) -> Callable[[sqlite3.Connection], Any]:
    """A step: how many rows an INSERT, UPDATE or DELETE touched."""

    def step(conn: sqlite3.Connection) -> int:
        return conn.execute(sql, params).rowcount

    return step
