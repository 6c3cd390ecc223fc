"""The OAuth ``state`` parameter: sealed, bound to who asked, short-lived, single use.

The state travels through the person's browser and Epson's sign-in, so it is
encrypted and authenticated (AES-GCM under a key derived from the configured
secret): nobody can forge one, read the PKCE verifier inside it, or move it to
another chat user. Single use is enforced by the store's nonce table.
"""

from __future__ import annotations

import base64
import json
import os
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.core.chat import ChatTarget
from bot.errors import ChatprintError
from bot.secret import Secret

STATE_LIFETIME = 600  # seconds; the issue asks for ten minutes
_NONCE_BYTES = 12
_HKDF_INFO = b"chatprint oauth state v1"


class StateRejected(ChatprintError):
    """The ``state`` is missing, forged, expired or already used."""

    default_key = "link.state_invalid"


@dataclass(frozen=True)
class LinkRequest:
    """What the sealed state says about the person who asked to link."""

    nonce: str
    target: ChatTarget
    display_name: str
    language: str
    expires_at: int
    code_verifier: Secret


class StateSealer:
    """Seals and opens OAuth states with a key derived from the secret key."""

    def __init__(self, secret_key: Secret) -> None:
        derive = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO)
        self._aead = AESGCM(derive.derive(secret_key.reveal().encode()))

    def __repr__(self) -> str:
        return "StateSealer()"

    def seal(self, request: LinkRequest) -> str:
        """Return the URL-safe state text for ``request``."""
        body = json.dumps(
            {
                "n": request.nonce,
                "p": request.target.platform,
                "c": request.target.chat_id,
                "u": request.target.user_id,
                "d": request.display_name,
                "l": request.language,
                "e": request.expires_at,
                "v": request.code_verifier.reveal(),
            },
            separators=(",", ":"),
        ).encode()
        iv = os.urandom(_NONCE_BYTES)
        sealed = iv + self._aead.encrypt(iv, body, b"state")
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, state: str | None, *, now: float | None = None) -> LinkRequest:
        """Check and unpack a state.

        Raises:
            StateRejected: Missing, not ours, tampered with, or expired.
        """
        if not state or len(state) > 2048:
            raise StateRejected("state missing or oversized")
        try:
            raw = base64.urlsafe_b64decode(state + "=" * (-len(state) % 4))
            body = self._aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], b"state")
            data = json.loads(body)
            request = _request_from(data)
        except (ValueError, InvalidTag, KeyError, TypeError):
            raise StateRejected("state forged or malformed") from None
        if request.expires_at < (time.time() if now is None else now):
            raise StateRejected("state expired", key="link.state_expired")
        return request


def new_request(
    target: ChatTarget, display_name: str, language: str, code_verifier: Secret
) -> LinkRequest:
    """A fresh link request that expires after :data:`STATE_LIFETIME` seconds."""
    return LinkRequest(
        nonce=base64.urlsafe_b64encode(os.urandom(18)).decode(),
        target=target,
        display_name=display_name,
        language=language,
        expires_at=int(time.time()) + STATE_LIFETIME,
        code_verifier=code_verifier,
    )


def _request_from(data: dict[str, object]) -> LinkRequest:
    text = {k: data[k] for k in ("n", "p", "c", "u", "d", "l", "v")}
    if not all(isinstance(v, str) for v in text.values()):
        raise TypeError("state fields must be text")
    expires = data["e"]
    if not isinstance(expires, int):
        raise TypeError("state expiry must be a number")
    return LinkRequest(
        nonce=str(text["n"]),
        target=ChatTarget(str(text["p"]), str(text["c"]), str(text["u"])),
        display_name=str(text["d"]),
        language=str(text["l"]),
        expires_at=expires,
        code_verifier=Secret(str(text["v"])),
    )
