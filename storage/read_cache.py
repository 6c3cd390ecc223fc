"""Records read on every request, kept until a write may have changed them.

Each print reads its user, their printers and their defaults, and each Epson call
reads its printer again for the token: the same few rows, many times a second,
each read a trip to the database thread and, for a printer, a decryption. Those
records are kept here by query. Every write says which table it changed, and an
entry is used only while none of the tables it was read from has changed since.

Another process writing the same database (a second bot during a deploy) is
noticed at this process's next trip to the database, through SQLite's
``data_version`` (see ``statements.py``), and everything kept is dropped; a
printer's tokens are read afresh before they are refreshed.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar, cast

T = TypeVar("T")

# Entries kept at most; the least recently used goes first.
CACHE_LIMIT = 4096
_TARGET = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE(?:\s+OR\s+\w+)?)\s+(\w+)",
    re.IGNORECASE,
)


def table_written(sql: str) -> str | None:
    """The one table an INSERT or UPDATE writes; None for anything else.

    A DELETE may cascade through foreign keys into other tables, so it gets None,
    as does any statement this cannot read: None means every table may have changed.
    """
    match = _TARGET.match(sql)
    return match.group(1).lower() if match else None


class ReadCache:
    """Query results by key, each valid while its tables are unchanged.

    Args:
        limit: How many entries are kept at most.
    """

    def __init__(self, limit: int = CACHE_LIMIT) -> None:
        self._limit = limit
        self._changes: dict[str, int] = {}
        self._all_changes = 0
        self._entries: OrderedDict[Hashable, tuple[tuple[int, ...], object]] = (
            OrderedDict()
        )

    def written(self, table: str | None) -> None:
        """Note a write to ``table``; None for a write that may touch any table.

        Call it once the write has been sent to the database (or will never be
        sent): a read sent after it then sees the write, and a read sent before
        it is not kept.
        """
        if table is None:
            self._all_changes += 1
            self._entries.clear()
        else:
            self._changes[table] = self._changes.get(table, 0) + 1

    async def read(
        self, key: Hashable, tables: tuple[str, ...], load: Callable[[], Awaitable[T]]
    ) -> T:
        """Return the kept result for ``key``, or ``load()`` it and keep it.

        Args:
            key: What identifies the query and its parameters.
            tables: The tables the query reads.
            load: Runs the query.
        """
        stamp = self._stamp(tables)
        entry = self._entries.get(key)
        if entry is not None and entry[0] == stamp:
            self._entries.move_to_end(key)
            return cast(T, entry[1])
        value = await load()
        if self._stamp(tables) == stamp:  # no write came in while it was read
            self._entries[key] = (stamp, value)
            self._entries.move_to_end(key)
            if len(self._entries) > self._limit:
                self._entries.popitem(last=False)
        return value

    def _stamp(self, tables: tuple[str, ...]) -> tuple[int, ...]:
        return (self._all_changes, *(self._changes.get(t, 0) for t in tables))
