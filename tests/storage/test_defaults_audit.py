"""Tests of default print options and the audit log."""

from __future__ import annotations

import pytest

from storage.records import Identity
from storage.sqlite import SqliteStore


async def test_defaults_are_empty_until_saved(
    store: SqliteStore, identity: Identity
) -> None:
    assert await store.load_defaults(identity.id) == {}


async def test_saved_defaults_replace_the_previous_ones(
    store: SqliteStore, identity: Identity
) -> None:
    await store.save_defaults(identity.id, {"color": "mono", "duplex": "long"})

    await store.save_defaults(identity.id, {"paper": "a4"})

    assert await store.load_defaults(identity.id) == {"paper": "a4"}


async def test_audit_entries_come_back_in_order(
    store: SqliteStore, identity: Identity
) -> None:
    await store.audit(identity.id, "link", "printer 1")
    await store.audit(identity.id, "print", "job 3")
    await store.audit(None, "forget")

    entries = await store.load_audit(identity.id)

    assert [(e.action, e.detail, e.identity_id) for e in entries] == [
        ("link", "printer 1", identity.id),
        ("print", "job 3", identity.id),
    ]
    assert entries[0].id < entries[1].id
    assert entries[0].at <= entries[1].at


async def test_an_unknown_audit_action_is_refused(
    store: SqliteStore, identity: Identity
) -> None:
    with pytest.raises(ValueError, match="unknown audit action"):
        await store.audit(identity.id, "hack")
