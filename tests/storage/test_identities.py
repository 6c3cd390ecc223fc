"""Tests of identities: upsert, lookups, language."""

from __future__ import annotations

from datetime import UTC

import pytest

from storage.records import Identity
from storage.sqlite import SqliteStore


async def test_upsert_creates_an_identity_found_by_platform_and_user(
    store: SqliteStore,
) -> None:
    created = await store.upsert_identity("discord", "77", "Bo", "de")

    found = await store.find_identity("discord", "77")

    assert found == created
    assert (created.platform, created.user_id, created.display_name) == (
        "discord",
        "77",
        "Bo",
    )
    assert created.created_at.tzinfo == UTC


async def test_upsert_of_a_known_user_updates_name_and_language_only(
    store: SqliteStore, identity: Identity
) -> None:
    updated = await store.upsert_identity("telegram", "1001", "Ada L.", "fr")

    assert updated.id == identity.id
    assert updated.created_at == identity.created_at
    assert (updated.display_name, updated.language) == ("Ada L.", "fr")


async def test_the_same_user_id_on_two_platforms_is_two_identities(
    store: SqliteStore, identity: Identity
) -> None:
    other = await store.upsert_identity("discord", "1001", "Ada", "en")

    assert other.id != identity.id


async def test_unknown_identities_are_none(store: SqliteStore) -> None:
    assert await store.find_identity("telegram", "nobody") is None
    assert await store.load_identity(999) is None


async def test_load_identity_by_id(store: SqliteStore, identity: Identity) -> None:
    assert await store.load_identity(identity.id) == identity


async def test_save_language_changes_only_the_language(
    store: SqliteStore, identity: Identity
) -> None:
    await store.save_language(identity.id, "ja")

    loaded = await store.load_identity(identity.id)

    assert loaded is not None
    assert (loaded.language, loaded.display_name) == ("ja", "Ada")


async def test_an_unknown_platform_is_refused(store: SqliteStore) -> None:
    with pytest.raises(ValueError, match="unknown platform"):
        await store.upsert_identity("irc", "1", "x", "en")
