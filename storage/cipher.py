"""Authenticated encryption of the secrets the store keeps (tokens, upload URIs).

A stored value is ``version (1 byte) | nonce (12 bytes) | AES-256-GCM ciphertext+tag``.
The associated data is the version byte followed by the caller's ``aad``, which the
store sets to the column and row (``b"printers.refresh_token:7"``), so a value copied
into another row or column fails to decrypt instead of being used there.

The 256-bit key comes from the configured secret through HKDF-SHA256 with the fixed
salt and info below. HKDF does not stretch a weak passphrase, so the secret must be
high-entropy: :func:`generate_secret_key` makes one, and short ones are refused.
"""

from __future__ import annotations

import os
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.secret import Secret
from storage.errors import CipherError, WeakSecretKey

__all__ = ["CipherError", "TokenCipher", "generate_secret_key"]

MIN_KEY_LENGTH = 16
FORMAT_VERSION = 1
# Fixed and public on purpose: they separate this use of the secret from any other,
# and changing them would make every stored token unreadable.
KDF_SALT = b"chatprint.storage.cipher.salt.v1"
KDF_INFO = b"chatprint token cipher: AES-256-GCM key, format 1"
_NONCE_SIZE = 12
_TAG_SIZE = 16


class TokenCipher:
    """Encrypts and decrypts secrets with a key derived from the configured secret.

    Args:
        secret_key: The ``security.secret_key`` setting, at least 16 characters.

    Raises:
        WeakSecretKey: The key is shorter than 16 characters.
    """

    def __init__(self, secret_key: Secret) -> None:
        self._aead = AESGCM(_derive_key(secret_key))

    def __repr__(self) -> str:
        return "TokenCipher(key=***)"

    def encrypt(self, value: Secret, aad: bytes) -> bytes:
        """Encrypt ``value`` under a fresh random nonce, bound to ``aad``.

        Args:
            value: The secret to protect.
            aad: Where the value will live, e.g. ``b"jobs.upload_uri:12"``.

        Returns:
            The stored form: version byte, nonce, ciphertext and tag.
        """
        header = bytes([FORMAT_VERSION])
        nonce = os.urandom(_NONCE_SIZE)
        sealed = self._aead.encrypt(nonce, value.reveal().encode(), header + aad)
        return header + nonce + sealed

    def decrypt(self, stored: bytes, aad: bytes) -> Secret:
        """Check and decrypt a value made by :meth:`encrypt` with the same ``aad``.

        Args:
            stored: The stored form.
            aad: The same associated data given to :meth:`encrypt`.

        Returns:
            The secret.

        Raises:
            CipherError: The value is malformed, was made with another key, was
                altered, or belongs to another row or column.
        """
        header, nonce, sealed = _split(stored)
        try:
            plain = self._aead.decrypt(nonce, sealed, header + aad)
        except InvalidTag as exc:
            raise CipherError(
                f"a stored secret ({aad.decode(errors='replace')}) failed "
                "authentication: wrong secret key, or the value was altered or moved"
            ) from exc
        return Secret(plain.decode())


def generate_secret_key() -> Secret:
    """Return a new random secret key (256 bits, URL-safe text) for the config."""
    return Secret(secrets.token_urlsafe(32))


def _derive_key(secret_key: Secret) -> bytes:
    raw = secret_key.reveal()
    if len(raw) < MIN_KEY_LENGTH:
        raise WeakSecretKey(
            f"security.secret_key is too short: use at least {MIN_KEY_LENGTH} "
            "random characters (chatprint can generate one)"
        )
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=KDF_SALT, info=KDF_INFO)
    return kdf.derive(raw.encode())


def _split(stored: bytes) -> tuple[bytes, bytes, bytes]:
    if len(stored) < 1 + _NONCE_SIZE + _TAG_SIZE:
        raise CipherError("a stored secret is too short to be an encrypted value")
    if stored[0] != FORMAT_VERSION:
        raise CipherError(f"a stored secret has unknown format version {stored[0]}")
    return stored[:1], stored[1 : 1 + _NONCE_SIZE], stored[1 + _NONCE_SIZE :]
