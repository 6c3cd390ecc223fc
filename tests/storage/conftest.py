"""Fixtures for the store tests: a cipher, an open store on a temporary file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.cipher import TokenCipher
from storage.records import Identity, Printer
from storage.sqlite import SqliteStore, open_store
from tests.storage.samples import KEY, make_tokens


@pytest.fixture
def cipher() -> TokenCipher:
    """The cipher every store in a test opens with, unless it says otherwise."""
    return TokenCipher(KEY)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test's database lives (a directory that does not exist yet)."""
    return tmp_path / "data" / "chatprint.db"


@pytest.fixture
async def store(db_path: Path, cipher: TokenCipher) -> AsyncIterator[SqliteStore]:
    """An open store on a fresh database file."""
    async with await open_store(db_path, cipher) as opened:
        yield opened


@pytest.fixture
async def identity(store: SqliteStore) -> Identity:
    """A Telegram user."""
    return await store.upsert_identity("telegram", "1001", "Ada", "en")


@pytest.fixture
async def printer(store: SqliteStore, identity: Identity) -> Printer:
    """A printer linked by ``identity``."""
    return await store.save_printer(
        identity.id,
        product_name="EW-M873T Series",
        serial_number="X3SB001234",
        tokens=make_tokens(),
    )
