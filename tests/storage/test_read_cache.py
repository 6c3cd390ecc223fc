"""Records read on every request are kept, and never outlive a write to them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from storage.cipher import TokenCipher
from storage.read_cache import ReadCache, table_written
from storage.records import Identity, Printer
from storage.sqlite import SqliteStore, open_store
from tests.storage.samples import make_tokens


def _trips(caplog: pytest.LogCaptureFixture) -> int:
    return sum(r.getMessage().startswith("executing") for r in caplog.records)


async def test_a_printer_read_again_takes_no_trip_to_the_database(
    store: SqliteStore, printer: Printer, caplog: pytest.LogCaptureFixture
) -> None:
    await store.load_printer(printer.id)
    caplog.set_level(logging.DEBUG, logger="aiosqlite")

    again = await store.load_printer(printer.id)

    assert again == printer
    assert _trips(caplog) == 0


async def test_each_write_is_seen_by_the_next_read(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    await store.load_printer(printer.id)
    await store.load_printers(identity.id)
    await store.load_defaults(identity.id)
    await store.find_identity("telegram", "1001")

    await store.rename_printer(identity.id, printer.id, "Office")
    renamed = await store.load_printer(printer.id)
    moved = await store.update_tokens(
        printer.id, make_tokens("second"), expected_version=printer.token_version
    )
    refreshed = await store.load_printer(printer.id)
    await store.mark_printer_broken(printer.id)
    broken = await store.load_printers(identity.id)
    await store.save_defaults(identity.id, {"color": "mono"})
    defaults = await store.load_defaults(identity.id)
    await store.upsert_identity("telegram", "1001", "Ada L.", "zh-TW")
    renamed_person = await store.find_identity("telegram", "1001")

    assert renamed is not None
    assert renamed.name == "Office"
    assert refreshed == moved
    assert [p.state for p in broken] == ["broken"]
    assert defaults == {"color": "mono"}
    assert renamed_person is not None
    assert renamed_person.language == "zh-TW"


async def test_nothing_kept_outlives_a_deletion(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    await store.load_printer(printer.id)
    await store.load_identity(identity.id)

    await store.forget_identity(identity.id)

    assert await store.load_printer(printer.id) is None
    assert await store.load_identity(identity.id) is None


async def test_a_write_by_another_process_is_seen_after_the_next_trip(
    store: SqliteStore,
    identity: Identity,
    printer: Printer,
    db_path: Path,
    cipher: TokenCipher,
) -> None:
    await store.load_printer(printer.id)
    async with await open_store(db_path, cipher) as other_process:
        await other_process.rename_printer(identity.id, printer.id, "Hall")

    await store.load_recent_jobs(identity.id)  # any trip to the database
    seen = await store.load_printer(printer.id)
    fresh = await store.load_printer(printer.id, fresh=True)

    assert seen is not None
    assert seen.name == "Hall"
    assert fresh == seen


async def test_defaults_handed_out_are_the_caller_s_own(
    store: SqliteStore, identity: Identity
) -> None:
    await store.save_defaults(identity.id, {"copies": "2"})
    first = await store.load_defaults(identity.id)
    first["copies"] = "9"

    assert await store.load_defaults(identity.id) == {"copies": "2"}


async def test_a_result_read_while_its_table_was_written_is_not_kept() -> None:
    cache = ReadCache()
    reading = asyncio.Event()
    finish = asyncio.Event()

    async def slow_old_value() -> str:
        reading.set()
        await finish.wait()
        return "old"

    async def fresh_value() -> str:
        return "new"

    first = asyncio.create_task(cache.read("key", ("printers",), slow_old_value))
    await reading.wait()
    cache.written("printers")
    finish.set()

    assert await first == "old"
    assert await cache.read("key", ("printers",), fresh_value) == "new"


async def test_a_write_to_another_table_keeps_the_entry() -> None:
    cache = ReadCache()
    loads: list[str] = []

    async def load() -> str:
        loads.append("load")
        return "printer"

    await cache.read("key", ("printers",), load)
    cache.written("jobs")
    await cache.read("key", ("printers",), load)
    cache.written(None)
    await cache.read("key", ("printers",), load)

    assert loads == ["load", "load"]


async def test_the_least_recently_used_entry_goes_first() -> None:
    cache = ReadCache(limit=2)
    loads: list[str] = []

    def loader(name: str) -> Callable[[], Awaitable[str]]:
        async def load() -> str:
            loads.append(name)
            return name

        return load

    for name in ["a", "b", "a", "c", "a", "b"]:
        await cache.read(name, ("t",), loader(name))

    assert loads == ["a", "b", "c", "b"]


@pytest.mark.parametrize(
    ("sql", "table"),
    [
        ("INSERT INTO jobs (a) VALUES (?)", "jobs"),
        ("  update Printers SET name = ?", "printers"),
        ("INSERT OR IGNORE INTO identities VALUES (?)", "identities"),
        ("DELETE FROM printers WHERE id = ?", None),
        ("PRAGMA wal_checkpoint", None),
    ],
)
def test_a_write_names_the_table_it_changes(sql: str, table: str | None) -> None:
    assert table_written(sql) == table
