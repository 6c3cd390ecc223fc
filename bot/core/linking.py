"""Linking a chat user to an Epson printer: the authorization-code flow end to end."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.core.chat import ChatTarget, Sender
from bot.core.link_state import LinkRequest, StateRejected, StateSealer, new_request
from bot.core.tokens import TokenKeeper
from bot.epson.client import EpsonClient
from bot.epson.errors import redirect_error_class
from bot.epson.models import DeviceInfo
from bot.epson.oauth import new_pkce
from storage.records import Printer, TokenPair
from storage.store import Store

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/epson/callback"


@dataclass(frozen=True)
class LinkOutcome:
    """A printer just linked, and the chat to tell about it."""

    printer: Printer
    target: ChatTarget
    language: str
    chat_url: str | None = None


class Linker:
    """Starts and completes printer links.

    Args:
        store: Identities, printers and single-use nonces.
        client: The Epson client (token exchange, device info).
        tokens: Turns token answers into stored token pairs.
        sealer: Seals the OAuth state.
        public_url: The base URL Epson redirects the browser back to.
    """

    def __init__(
        self,
        store: Store,
        client: EpsonClient,
        tokens: TokenKeeper,
        sealer: StateSealer,
        public_url: str,
    ) -> None:
        self._store = store
        self._client = client
        self._tokens = tokens
        self._sealer = sealer
        self.redirect_uri = public_url.rstrip("/") + CALLBACK_PATH

    def start(self, sender: Sender, target: ChatTarget, language: str) -> str:
        """Return the Epson sign-in URL for this user, valid for ten minutes."""
        pkce = new_pkce()
        request = new_request(target, sender.display_name, language, pkce.verifier)
        return self._client.authorize_url(
            redirect_uri=self.redirect_uri,
            state=self._sealer.seal(request),
            code_challenge=pkce.challenge,
        )

    async def complete(
        self, *, code: str | None, state: str | None, error: str | None
    ) -> LinkOutcome:
        """Finish a link from the callback's query parameters.

        Raises:
            StateRejected: The state is missing, forged, expired or used before.
            NotRegistered, AccessDenied: Epson sent the person back with an error.
            EpsonError: The code exchange or the device lookup failed.
        """
        request = await self._claim(state)
        if error:
            raise redirect_error_class(error)(f"authorization ended with {error}")
        if not code:
            raise StateRejected("callback without a code", key="link.code_missing")
        tokens = await self._client.exchange_code(
            code, redirect_uri=self.redirect_uri, code_verifier=request.code_verifier
        )
        device = await self._client.fetch_device_info(tokens.access_token)
        printer = await self._save(request, self._tokens.pair_from(tokens), device)
        logger.info("Printer %s linked for identity %s", printer.id, printer.owner_id)
        return LinkOutcome(printer, request.target, request.language)

    async def _claim(self, state: str | None) -> LinkRequest:
        request = self._sealer.open(state)
        expires = _datetime(request.expires_at)
        if not await self._store.consume_nonce(request.nonce, expires):
            raise StateRejected("state used before", key="link.state_replayed")
        return request

    async def _save(
        self, request: LinkRequest, pair: TokenPair, device: DeviceInfo
    ) -> Printer:
        target = request.target
        identity = await self._store.upsert_identity(
            target.platform, target.user_id, request.display_name, request.language
        )
        printer = await self._store.save_printer(
            identity.id,
            product_name=device.product_name,
            serial_number=device.serial_number,
            tokens=pair,
        )
        await self._store.audit(identity.id, "link", f"printer {printer.id}")
        return printer


def _datetime(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
