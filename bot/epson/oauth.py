"""The browser half of linking a printer: PKCE, the authorize URL, its redirect.

The token half (code exchange, refresh) crosses the network and lives in
:class:`bot.epson.client.EpsonClient`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from bot.epson.errors import AccessDenied, redirect_error_class
from bot.secret import Secret

AUTHORIZE_PATH = "/auth/authorize"
TOKEN_PATH = "/auth/token"  # noqa: S105  # a URL path, not a credential
SCOPE = "device"
# RFC 7636 allows 43 to 128 characters; 64 random bytes give 86.
_VERIFIER_BYTES = 64


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair: the verifier stays with us, the challenge goes to the browser."""

    verifier: Secret
    challenge: str


def new_pkce() -> Pkce:
    """Return a fresh random verifier and its S256 challenge (RFC 7636)."""
    verifier = secrets.token_urlsafe(_VERIFIER_BYTES)
    return Pkce(verifier=Secret(verifier), challenge=s256_challenge(verifier))


def s256_challenge(verifier: str) -> str:
    """Return BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def build_authorize_url(
    auth_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_challenge: str,
) -> str:
    """Return the URL that sends a person to Epson to pick and allow a printer.

    Args:
        auth_url: The authorization server's base, e.g.
            ``https://auth.epsonconnect.com``.
        client_id: Our application's client id (public, not a secret).
        redirect_uri: Where Epson sends the browser back; must match the one
            registered for the application exactly.
        state: An unguessable value tied to this link attempt.
        code_challenge: The S256 PKCE challenge.

    Returns:
        The authorize URL with every query parameter encoded.
    """
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{auth_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


def code_from_redirect(query: Mapping[str, str], *, state: str) -> str:
    """Take the authorization code from the query of Epson's redirect back to us.

    Args:
        query: The redirect's query parameters.
        state: The state this link attempt was started with.

    Returns:
        The authorization code, to exchange for tokens.

    Raises:
        NotRegistered: The printer is not registered with Epson Connect.
        AccessDenied: The person declined, or the state does not match.
        EpsonError: Another ``error`` the authorization server reported.
    """
    error = query.get("error")
    if error:
        raise redirect_error_class(error)(
            "the authorization redirect reported an error", error=error[:64]
        )
    given = query.get("state", "").encode()
    if not hmac.compare_digest(given, state.encode()):
        raise AccessDenied("the authorization redirect carries another state")
    code = query.get("code")
    if not code:
        raise AccessDenied("the authorization redirect carries no code")
    return code
