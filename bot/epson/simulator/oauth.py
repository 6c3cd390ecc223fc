"""The simulated authorization server's memory: codes, tokens and the grants.

Tokens are random opaque strings. A device token and its refresh token are bound
to the one printer the person picked on the consent page; an application token
(client credentials) is bound to no printer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypedDict

from bot.epson.simulator.settings import SimulatorSettings

logger = logging.getLogger(__name__)

CODE_LIFETIME = 600.0
DEVICE, REFRESH, APPLICATION = "device", "refresh", "application"


class TokenResponseWire(TypedDict, total=False):
    """Body of a successful ``POST /auth/token``."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    scope: str


class TokenRefused(Exception):
    """A token request refused with an RFC 6749 error string.

    Args:
        error: ``invalid_client``, ``invalid_grant``, ``invalid_request`` ...
        status: 401 for client authentication failures, 400 otherwise.
    """

    def __init__(self, error: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.status = status


@dataclass
class AuthorizationCode:
    """A code the consent page handed out, waiting to be exchanged once."""

    serial: str
    redirect_uri: str
    challenge: str | None
    expires_at: float
    used: bool = False
    tokens: list[str] = field(default_factory=list)


@dataclass
class IssuedToken:
    """An access or refresh token and what it may do."""

    kind: str
    serial: str | None
    expires_at: float


def s256(verifier: str) -> str:
    """Return the PKCE S256 challenge for ``verifier``."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TokenAuthority:
    """Issues, checks and revokes the simulator's codes and tokens.

    Args:
        settings: client credentials and token lifetimes.
        clock: seconds on a monotonic scale; tests may pass their own.
    """

    def __init__(
        self, settings: SimulatorSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._codes: dict[str, AuthorizationCode] = {}
        self._tokens: dict[str, IssuedToken] = {}

    def issue_code(self, serial: str, redirect_uri: str, challenge: str | None) -> str:
        """Return a new single-use authorization code for ``serial``."""
        code = secrets.token_urlsafe(24)
        expires_at = self._clock() + CODE_LIFETIME
        self._codes[code] = AuthorizationCode(
            serial, redirect_uri, challenge, expires_at
        )
        logger.info("Authorization code issued for printer %s", serial)
        return code

    def check_client(self, authorization: str | None) -> None:
        """Check HTTP Basic client credentials.

        Raises:
            TokenRefused: 401 ``invalid_client`` when absent or wrong.
        """
        client_id, secret = _basic_credentials(authorization or "")
        expected = self._settings.client_id, self._settings.client_secret
        if not (
            hmac.compare_digest(client_id, expected[0])
            and hmac.compare_digest(secret, expected[1])
        ):
            raise TokenRefused("invalid_client", 401)

    def grant(self, form: Mapping[str, str]) -> TokenResponseWire:
        """Answer a token request's form body by its ``grant_type``.

        Raises:
            TokenRefused: for a bad, used or expired grant.
        """
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            return self._exchange_code(form)
        if grant_type == "refresh_token":
            return self._refresh(form.get("refresh_token", ""))
        if grant_type == "client_credentials":
            return self._application_token()
        if not grant_type:
            raise TokenRefused("invalid_request")
        raise TokenRefused("unsupported_grant_type")

    def device_serial(self, token: str) -> str | None:
        """Return the printer a live device token is bound to, else ``None``."""
        issued = self._live(token, DEVICE)
        return issued.serial if issued else None

    def is_application_token(self, token: str) -> bool:
        """Say whether ``token`` is a live application token."""
        return self._live(token, APPLICATION) is not None

    def expire_device_tokens(self) -> None:
        """Make every device token issued so far invalid."""
        for token in [t for t, i in self._tokens.items() if i.kind == DEVICE]:
            del self._tokens[token]
        logger.info("All device tokens expired")

    def revoke_link(self, serial: str) -> None:
        """Drop the device and refresh tokens of ``serial``."""
        dead = [t for t, issued in self._tokens.items() if issued.serial == serial]
        for token in dead:
            del self._tokens[token]
        logger.info("Link to printer %s revoked", serial)

    def _exchange_code(self, form: Mapping[str, str]) -> TokenResponseWire:
        code = self._codes.get(form.get("code", ""))
        if code is None or code.expires_at <= self._clock():
            raise TokenRefused("invalid_grant")
        if code.used:
            # RFC 6749 4.1.2: a code used twice revokes what it gave.
            self._revoke(code.tokens)
            raise TokenRefused("invalid_grant")
        _check_code(code, form)
        code.used = True
        body = self._device_tokens(code.serial)
        code.tokens.extend([body["access_token"], body["refresh_token"]])
        return body

    def _refresh(self, refresh_token: str) -> TokenResponseWire:
        issued = self._live(refresh_token, REFRESH)
        if issued is None or issued.serial is None:
            raise TokenRefused("invalid_grant")
        del self._tokens[refresh_token]
        return self._device_tokens(issued.serial)

    def _device_tokens(self, serial: str) -> TokenResponseWire:
        access = self._issue(DEVICE, serial, self._settings.token_lifetime)
        refresh = self._issue(REFRESH, serial, self._settings.refresh_lifetime)
        logger.info("Device token issued for printer %s", serial)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": self._settings.token_lifetime,
            "scope": "device",
        }

    def _application_token(self) -> TokenResponseWire:
        lifetime = self._settings.token_lifetime
        access = self._issue(APPLICATION, None, lifetime)
        logger.info("Application token issued")
        return {"access_token": access, "token_type": "Bearer", "expires_in": lifetime}

    def _issue(self, kind: str, serial: str | None, lifetime: float) -> str:
        token = secrets.token_urlsafe(32)
        self._tokens[token] = IssuedToken(kind, serial, self._clock() + lifetime)
        return token

    def _live(self, token: str, kind: str) -> IssuedToken | None:
        issued = self._tokens.get(token)
        if issued is None or issued.kind != kind:
            return None
        if issued.expires_at <= self._clock():
            del self._tokens[token]
            return None
        return issued

    def _revoke(self, tokens: list[str]) -> None:
        for token in tokens:
            self._tokens.pop(token, None)


def _check_code(code: AuthorizationCode, form: Mapping[str, str]) -> None:
    if form.get("redirect_uri", "") != code.redirect_uri:
        raise TokenRefused("invalid_grant")
    if code.challenge is None:
        return
    verifier = form.get("code_verifier", "")
    if not verifier:
        raise TokenRefused("invalid_request")
    if not hmac.compare_digest(s256(verifier), code.challenge):
        raise TokenRefused("invalid_grant")


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
