"""Holding the store's connection in a transaction, so others queue behind it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from storage.connection import Database


@asynccontextmanager
async def connection_held(
    database: Database, *, after: Callable[[], None] = lambda: None
) -> AsyncIterator[None]:
    """Hold the connection inside a transaction for the block's duration.

    Args:
        after: Called as soon as the transaction has ended, before anyone
            waiting behind it has run.
    """
    held = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> None:
        async with database.transaction():
            held.set()
            await release.wait()
        after()

    holding = asyncio.create_task(holder())
    await held.wait()
    try:
        yield
    finally:
        release.set()
        await holding
