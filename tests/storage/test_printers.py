"""Tests of printers: linking, defaults, names, token compare-and-swap, deletion."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage.cipher import TokenCipher
from storage.errors import PrinterNameTaken, PrinterNotFound, StaleTokens
from storage.records import Identity, LinkState, Printer
from storage.sqlite import SqliteStore, open_store
from tests.storage.samples import make_tokens, token_values


async def _link(store: SqliteStore, owner_id: int, serial: str, **kw: str) -> Printer:
    kw.setdefault("product_name", "EW-M873T Series")
    return await store.save_printer(
        owner_id, serial_number=serial, tokens=make_tokens(serial), **kw
    )


async def test_first_printer_is_default_and_keeps_its_tokens(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    loaded = await store.load_printer(printer.id)

    assert loaded == printer
    assert printer.is_default
    assert printer.state is LinkState.ACTIVE
    assert printer.token_version == 1
    assert token_values(printer.tokens) == token_values(make_tokens())
    assert await store.load_default_printer(identity.id) == printer


async def test_a_second_printer_is_not_default_and_gets_a_unique_name(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    second = await _link(store, identity.id, "X3SB009999")
    third = await _link(store, identity.id, "X3SB008888")

    assert not second.is_default
    assert [p.name for p in await store.load_printers(identity.id)] == [
        "EW-M873T Series",
        "EW-M873T Series (2)",
        "EW-M873T Series (3)",
    ]
    assert third.name == "EW-M873T Series (3)"


async def test_a_given_name_is_used(store: SqliteStore, identity: Identity) -> None:
    printer = await _link(store, identity.id, "S-1", name="Office")

    assert printer.name == "Office"


async def test_relinking_the_same_serial_replaces_tokens_and_reactivates(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    await store.mark_printer_broken(printer.id)
    fresh = make_tokens("relinked")

    relinked = await store.save_printer(
        identity.id,
        product_name="EW-M873T Series",
        serial_number=printer.serial_number,
        tokens=fresh,
    )

    assert relinked.id == printer.id
    assert relinked.tokens == fresh
    assert relinked.state is LinkState.ACTIVE
    assert relinked.token_version == printer.token_version + 1
    assert len(await store.load_printers(identity.id)) == 1


async def test_printers_of_other_owners_are_apart(
    store: SqliteStore, printer: Printer
) -> None:
    other = await store.upsert_identity("discord", "5", "Cy", "en")

    theirs = await _link(store, other.id, printer.serial_number)

    assert theirs.id != printer.id
    assert theirs.is_default
    assert theirs.name == printer.name
    assert await store.load_printers(other.id) == [theirs]


async def test_set_default_moves_the_default(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    second = await _link(store, identity.id, "S-2")

    await store.set_default_printer(identity.id, second.id)

    default = await store.load_default_printer(identity.id)
    assert default is not None
    assert default.id == second.id
    first = await store.load_printer(printer.id)
    assert first is not None
    assert not first.is_default


async def test_set_default_refuses_someone_elses_printer(
    store: SqliteStore, printer: Printer
) -> None:
    other = await store.upsert_identity("discord", "5", "Cy", "en")

    with pytest.raises(PrinterNotFound):
        await store.set_default_printer(other.id, printer.id)


async def test_rename_changes_the_name(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    await store.rename_printer(identity.id, printer.id, "  Kitchen  ")

    loaded = await store.load_printer(printer.id)
    assert loaded is not None
    assert loaded.name == "Kitchen"


async def test_rename_refuses_a_name_in_use_and_a_blank_one(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    second = await _link(store, identity.id, "S-2", name="Office")

    with pytest.raises(PrinterNameTaken) as caught:
        await store.rename_printer(identity.id, printer.id, "Office")
    with pytest.raises(ValueError, match="blank"):
        await store.rename_printer(identity.id, second.id, "  ")

    assert caught.value.key == "printer.name_taken"


async def test_rename_refuses_someone_elses_printer(
    store: SqliteStore, printer: Printer
) -> None:
    with pytest.raises(PrinterNotFound):
        await store.rename_printer(printer.owner_id + 1, printer.id, "Mine")


async def test_update_tokens_with_the_current_version_replaces_them(
    store: SqliteStore, printer: Printer
) -> None:
    fresh = make_tokens("refreshed")

    updated = await store.update_tokens(
        printer.id, fresh, expected_version=printer.token_version
    )

    assert updated.tokens == fresh
    assert updated.token_version == printer.token_version + 1
    assert await store.load_printer(printer.id) == updated


async def test_update_tokens_with_an_old_version_is_stale_and_changes_nothing(
    store: SqliteStore, printer: Printer
) -> None:
    await store.update_tokens(printer.id, make_tokens("a"), expected_version=1)

    with pytest.raises(StaleTokens) as caught:
        await store.update_tokens(printer.id, make_tokens("b"), expected_version=1)

    loaded = await store.load_printer(printer.id)
    assert loaded is not None
    assert loaded.tokens.refresh_token.reveal() == "refresh-token-a-Kp4wY7"
    assert "Kp4wY7" not in str(caught.value)


async def test_concurrent_token_updates_in_one_process_have_one_winner(
    store: SqliteStore, printer: Printer
) -> None:
    attempts = [make_tokens(f"writer{n}") for n in range(5)]

    results = await asyncio.gather(
        *(store.update_tokens(printer.id, t, expected_version=1) for t in attempts),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, Printer)]
    assert len(winners) == 1
    assert all(isinstance(r, StaleTokens) for r in results if r not in winners)
    stored = await store.load_printer(printer.id)
    assert stored is not None
    assert stored.tokens == winners[0].tokens
    assert stored.token_version == 2


async def test_concurrent_token_updates_over_two_connections_have_one_winner(
    store: SqliteStore, printer: Printer, db_path: Path, cipher: TokenCipher
) -> None:
    async with await open_store(db_path, cipher) as second_process:
        results = await asyncio.gather(
            store.update_tokens(printer.id, make_tokens("p1"), expected_version=1),
            second_process.update_tokens(
                printer.id, make_tokens("p2"), expected_version=1
            ),
            return_exceptions=True,
        )

    winners = [r for r in results if isinstance(r, Printer)]
    losers = [r for r in results if isinstance(r, StaleTokens)]
    assert (len(winners), len(losers)) == (1, 1)
    stored = await store.load_printer(printer.id)
    assert stored is not None
    assert stored.tokens == winners[0].tokens


async def test_update_tokens_of_a_missing_printer_is_not_found(
    store: SqliteStore,
) -> None:
    with pytest.raises(PrinterNotFound):
        await store.update_tokens(404, make_tokens(), expected_version=1)


async def test_update_tokens_reactivates_a_broken_printer(
    store: SqliteStore, printer: Printer
) -> None:
    await store.mark_printer_broken(printer.id)
    broken = await store.load_printer(printer.id)

    updated = await store.update_tokens(printer.id, make_tokens(), expected_version=1)

    assert broken is not None
    assert broken.state is LinkState.BROKEN
    assert updated.state is LinkState.ACTIVE


async def test_deleting_the_default_printer_promotes_the_next(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    second = await _link(store, identity.id, "S-2")
    third = await _link(store, identity.id, "S-3")

    await store.delete_printer(printer.id)

    assert await store.load_printer(printer.id) is None
    default = await store.load_default_printer(identity.id)
    assert default is not None
    assert default.id == second.id
    assert [p.id for p in await store.load_printers(identity.id)] == [
        second.id,
        third.id,
    ]


async def test_deleting_the_last_printer_leaves_no_default(
    store: SqliteStore, printer: Printer, identity: Identity
) -> None:
    await store.delete_printer(printer.id)
    await store.delete_printer(printer.id)

    assert await store.load_default_printer(identity.id) is None
    assert await store.load_printers(identity.id) == []
