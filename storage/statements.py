"""Single statements that wait together go to the database thread together, and
commit together.

Every trip to aiosqlite's thread costs a hand-over to that thread and a wake-up of
the event loop on the way back: about 0.13 ms here, several times the statement
itself. With hundreds of jobs recording their steps at once, those trips, taken
one at a time, were what the jobs waited for. So each single statement is queued,
and whenever the connection is free every queued statement goes in one trip.

A commit is the other cost: each one appends the pages it changed to the WAL, so
a job's state change on its own took about 75 us, against about 23 us inside a
transaction shared with others (measured with the jobs table, its indexes and
history triggers). A trip of several statements therefore runs them in one
transaction, each inside its own savepoint: a statement that fails is undone
alone and fails only its own caller, the others commit together, and no caller
resumes before that commit. A trip that cannot commit fails every caller in it.
Each trip also reads SQLite's ``data_version``, which moves when another
connection (another process) has committed, so that records kept from earlier
reads can be dropped.
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
# The outcomes of one trip, and the database's data_version after it (if read).
_Trip = tuple[list[_Outcome], int | None]


class Turns(Protocol):
    """The lock that hands the connection to one user at a time."""

    @property
    def held(self) -> bool:
        """Whether someone has the connection now."""
        ...

    async def acquire(self, *, urgent: bool) -> None: ...

    def release(self) -> None: ...


class StatementQueue:
    """Runs queued statements on one connection, all waiting ones per trip and
    per commit.

    Args:
        db: The connection, in autocommit mode.
        turns: Taken for each trip, so that no trip runs inside someone's
            transaction.
        is_open: Whether the connection may still be used.
        others_wrote: Called when a trip finds that another connection has
            committed since the trip before.
    """

    def __init__(
        self,
        db: aiosqlite.Connection,
        turns: Turns,
        is_open: Callable[[], bool],
        others_wrote: Callable[[], None],
    ) -> None:
        self._db = db
        self._turns = turns
        self._is_open = is_open
        self._others_wrote = others_wrote
        self._data_version: int | None = None
        self._waiting: list[tuple[Step, asyncio.Future[object]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def run(self, step: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``step`` on the database thread with the next trip; return its result.

        Raises:
            sqlite3.Error: What the step raised.
        """
        if self._runner is None and not self._turns.held:
            return await self._run_alone(step)
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        self._waiting.append((step, future))
        if self._runner is None:
            self._runner = asyncio.create_task(self._run_waiting(), name="store-trips")
        return cast(T, await future)

    async def _run_alone(self, step: Callable[[sqlite3.Connection], T]) -> T:
        # Nothing to share a trip with: go at once, without a hand-over.
        await self._turns.acquire(urgent=False)
        try:
            if not self._is_open():
                raise sqlite3.ProgrammingError("store closed")
            trip = await on_thread(self._db, lambda c: _run_all(c, [step]))
        finally:
            self._turns.release()
        [(ok, value)] = self._outcomes(trip)
        if not ok:
            raise cast(BaseException, value)
        return cast(T, value)

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
            batch = [(s, f) for s, f in self._waiting if not f.done()]
            self._waiting.clear()
            if not batch:
                return
            if not self._is_open():
                for _, future in batch:
                    future.set_exception(sqlite3.ProgrammingError("store closed"))
                return
            try:
                steps = [s for s, _ in batch]
                trip = await on_thread(self._db, lambda c: _run_all(c, steps))
            except Exception as exc:  # the trip itself failed: each caller hears
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                return
            except BaseException:
                for _, future in batch:
                    future.cancel()
                raise
        finally:
            self._turns.release()
        for (_, future), (ok, value) in zip(batch, self._outcomes(trip), strict=True):
            if future.done():
                continue  # its caller was cancelled meanwhile
            if ok:
                future.set_result(value)
            else:
                future.set_exception(cast(BaseException, value))

    def _outcomes(self, trip: _Trip) -> list[_Outcome]:
        outcomes, version = trip
        if version is not None:
            if self._data_version is not None and version != self._data_version:
                self._others_wrote()
            self._data_version = version
        return outcomes


def _run_all(conn: sqlite3.Connection, steps: Sequence[Step]) -> _Trip:
    if len(steps) == 1:
        outcomes = [_outcome(conn, steps[0])]  # its own implicit transaction
    else:
        outcomes = _run_together(conn, steps)
    try:
        version = int(conn.execute("PRAGMA data_version").fetchone()[0])
    except sqlite3.Error:
        version = None
    return outcomes, version


def _run_together(conn: sqlite3.Connection, steps: Sequence[Step]) -> list[_Outcome]:
    """Run ``steps`` in one transaction, each undone alone if it fails.

    Raises:
        sqlite3.Error: The transaction could not commit, or SQLite ended it
            early (a full disk, an I/O error): nothing of the trip is kept.
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
        if not conn.in_transaction:
            # SQLite rolled the whole transaction back (it does so on some
            # errors): the statements before this one are undone too.
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
