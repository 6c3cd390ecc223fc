"""Keeps each linked printer's device token fresh, refreshing once for everyone.

Epson rotates the refresh token on every refresh and kills the old one, so two
refreshes of one printer at the same time would leave one caller holding a dead
token. Refreshes of a printer are therefore serialized in this process, and the
store's compare-and-swap on ``token_version`` settles a race between processes.

From Epson's answer until the rotated token is committed, a crash loses the link
(only the person's next sign-in can mend it). That window is kept short and
narrow: the commit goes before other database work, and only a few refreshes are
out at any moment, so a crash during a refresh storm (every token expired at
once) costs a few links rather than all of them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.epson.client import EpsonClient
from bot.epson.errors import ClientRejected, TokenRefused, Unauthorized
from bot.epson.models import TokenSet
from bot.errors import ChatprintError
from bot.secret import Secret
from storage.errors import StaleTokens
from storage.records import LinkState, Printer, TokenPair
from storage.store import Store

logger = logging.getLogger(__name__)

T = TypeVar("T")

REFRESH_MARGIN = timedelta(minutes=5)
REFRESH_LIFETIME = timedelta(days=30)
# How long a stop waits for refreshes already sent to Epson.
CLOSE_GRACE = 10.0
# Refreshes out at Epson at once, across every printer of this process.
REFRESH_CONCURRENCY = 4


class LinkBroken(ChatprintError):
    """The printer's link no longer works (revoked, or unused for 30 days)."""

    default_key = "link.broken"


class PrinterGone(ChatprintError):
    """The printer was unlinked (or never set): no token can be had for it."""

    default_key = "printer.not_found"


class TokenKeeper:
    """Hands out valid device tokens and refreshes them before they expire.

    Args:
        store: Where tokens are persisted; the rotated refresh token is saved in
            the same transaction as the new access token.
        client: The Epson client used to refresh.
        clock: Returns the current UTC time (tests move it).
    """

    def __init__(
        self,
        store: Store,
        client: EpsonClient,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._client = client
        self._clock = clock
        self._locks: dict[int, asyncio.Lock] = {}
        self._slots = asyncio.Semaphore(REFRESH_CONCURRENCY)
        self._inflight: set[asyncio.Task[Secret]] = set()

    async def call(
        self, printer_id: int, operation: Callable[[Secret], Awaitable[T]]
    ) -> T:
        """Run ``operation`` with a fresh token; on a 401, refresh once and retry.

        A 401 means Epson refused the request before acting on it, so retrying
        cannot duplicate a print.
        """
        token = await self.token_for(printer_id)
        try:
            return await operation(token)
        except Unauthorized:
            logger.info("Printer %s got 401; refreshing its token", printer_id)
            token = await self._refresh(printer_id, stale=token)
            return await operation(token)

    async def token_for(self, printer_id: int) -> Secret:
        """Return a device token valid for at least a few more minutes."""
        printer = await self._load(printer_id)
        if not self._expiring(printer.tokens):
            return printer.tokens.access_token
        return await self._refresh(printer_id, stale=printer.tokens.access_token)

    async def _refresh(self, printer_id: int, *, stale: Secret) -> Secret:
        lock = self._locks.setdefault(printer_id, asyncio.Lock())
        async with lock:
            # Read afresh: another process sharing the database (a second bot
            # during a deploy) may have rotated the tokens; refreshing with the
            # retired refresh token would break the link.
            printer = await self._load(printer_id, fresh=True)
            current = printer.tokens.access_token
            if current != stale and not self._expiring(printer.tokens):
                return current  # another task refreshed while this one waited
            await self._slots.acquire()
            # Epson kills the old refresh token as soon as it answers: once the
            # request is out, the answer must be saved even if the job asking
            # for it is cancelled (a stop, a /cancel), or the link is lost.
            refresh = asyncio.create_task(self._refresh_now(printer))
            self._inflight.add(refresh)
            refresh.add_done_callback(self._refresh_done)
            return await asyncio.shield(refresh)

    def _refresh_done(self, refresh: asyncio.Task[Secret]) -> None:
        self._inflight.discard(refresh)
        self._slots.release()

    async def close(self) -> None:
        """Let refreshes already sent to Epson save their tokens before a stop."""
        if self._inflight:
            logger.info("Waiting for %s token refreshes to finish", len(self._inflight))
            await asyncio.wait(set(self._inflight), timeout=CLOSE_GRACE)

    async def _refresh_now(self, printer: Printer) -> Secret:
        try:
            fresh = await self._client.refresh(printer.tokens.refresh_token)
        except (TokenRefused, ClientRejected) as exc:
            await self._store.mark_printer_broken(printer.id)
            logger.warning("Printer %s link is broken: refresh refused", printer.id)
            raise LinkBroken(
                f"printer {printer.id} link refused", printer=printer.name
            ) from exc
        pair = self.pair_from(fresh, previous=printer.tokens)
        try:
            saved = await self._store.update_tokens(
                printer.id, pair, expected_version=printer.token_version
            )
        except StaleTokens:
            logger.warning(
                "Printer %s tokens were replaced by another writer", printer.id
            )
            return (await self._load(printer.id, fresh=True)).tokens.access_token
        logger.info("Printer %s token refreshed", printer.id)
        return saved.tokens.access_token

    def pair_from(
        self, tokens: TokenSet, *, previous: TokenPair | None = None
    ) -> TokenPair:
        """Turn a token answer into what the store keeps (rotation included)."""
        refresh = tokens.refresh_token
        if refresh is None:
            if previous is None:
                raise LinkBroken("token answer without a refresh token")
            refresh = previous.refresh_token
        return TokenPair(
            access_token=tokens.access_token,
            access_expires_at=tokens.expires_at,
            refresh_token=refresh,
            refresh_expires_at=self._clock() + REFRESH_LIFETIME,
        )

    async def _load(self, printer_id: int, *, fresh: bool = False) -> Printer:
        printer = await self._store.load_printer(printer_id, fresh=fresh)
        if printer is None:
            raise PrinterGone(f"printer {printer_id} is gone")
        if printer.state is LinkState.BROKEN:
            raise LinkBroken(
                f"printer {printer_id} link is broken", printer=printer.name
            )
        return printer

    def _expiring(self, tokens: TokenPair) -> bool:
        return tokens.access_expires_at <= self._clock() + REFRESH_MARGIN
