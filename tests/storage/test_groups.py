"""Tests of groups and the printers shared into them."""

from __future__ import annotations

from storage.records import Identity, Printer
from storage.sqlite import SqliteStore
from tests.storage.samples import make_tokens


async def test_upsert_group_creates_then_renames(store: SqliteStore) -> None:
    created = await store.upsert_group("telegram", "-100123", "Office")

    renamed = await store.upsert_group("telegram", "-100123", "Office 2F")

    assert renamed.id == created.id
    assert renamed.title == "Office 2F"
    assert await store.find_group("telegram", "-100123") == renamed
    assert await store.find_group("discord", "-100123") is None


async def test_the_first_share_is_the_groups_default(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    group = await store.upsert_group("telegram", "-1", "Team")
    other = await store.save_printer(
        identity.id, product_name="ET-8550", serial_number="S-9", tokens=make_tokens()
    )

    first = await store.add_share(group.id, printer.id, {"max_pages": 20})
    second = await store.add_share(group.id, other.id, {})

    assert (first.is_default, second.is_default) == (True, False)
    assert first.policy == {"max_pages": 20}
    assert await store.load_shares(group.id) == [first, second]


async def test_sharing_again_updates_the_policy(
    store: SqliteStore, printer: Printer
) -> None:
    group = await store.upsert_group("telegram", "-1", "Team")
    first = await store.add_share(group.id, printer.id, {"max_pages": 20})

    again = await store.add_share(group.id, printer.id, {"max_pages": 5})

    assert again.id == first.id
    assert again.is_default
    assert await store.load_shares(group.id) == [again]
    assert again.policy == {"max_pages": 5}


async def test_deleting_the_default_share_promotes_the_next(
    store: SqliteStore, identity: Identity, printer: Printer
) -> None:
    group = await store.upsert_group("discord", "guild-chan", "Lab")
    other = await store.save_printer(
        identity.id, product_name="ET-8550", serial_number="S-9", tokens=make_tokens()
    )
    first = await store.add_share(group.id, printer.id, {})
    second = await store.add_share(group.id, other.id, {})

    await store.delete_share(first.id)

    shares = await store.load_shares(group.id)
    assert [(s.id, s.is_default) for s in shares] == [(second.id, True)]


async def test_deleting_a_printer_removes_its_shares(
    store: SqliteStore, printer: Printer
) -> None:
    group = await store.upsert_group("telegram", "-1", "Team")
    await store.add_share(group.id, printer.id, {})

    await store.delete_printer(printer.id)

    assert await store.load_shares(group.id) == []
