"""Tests of TokenCipher: round trips, binding to a row, wrong keys, weak keys."""

from __future__ import annotations

import pytest

from bot.secret import Secret
from storage.cipher import CipherError, TokenCipher, generate_secret_key
from storage.errors import StoreError, WeakSecretKey
from tests.storage.samples import KEY, OTHER_KEY

TOKEN = Secret("refresh-token-value-Hq72Lm")
AAD = b"printers.refresh_token:7"


def test_decrypt_returns_what_was_encrypted() -> None:
    cipher = TokenCipher(KEY)

    stored = cipher.encrypt(TOKEN, AAD)

    assert cipher.decrypt(stored, AAD) == TOKEN


def test_encrypt_uses_a_fresh_nonce_and_hides_the_value() -> None:
    cipher = TokenCipher(KEY)

    first, second = cipher.encrypt(TOKEN, AAD), cipher.encrypt(TOKEN, AAD)

    assert first != second
    assert first[0] == 1
    assert TOKEN.reveal().encode() not in first


def test_a_value_moved_to_another_row_fails_to_decrypt() -> None:
    cipher = TokenCipher(KEY)
    stored = cipher.encrypt(TOKEN, AAD)

    with pytest.raises(CipherError):
        cipher.decrypt(stored, b"printers.refresh_token:8")


def test_a_value_made_with_another_key_fails_to_decrypt() -> None:
    stored = TokenCipher(OTHER_KEY).encrypt(TOKEN, AAD)

    with pytest.raises(CipherError) as caught:
        TokenCipher(KEY).decrypt(stored, AAD)

    assert isinstance(caught.value, StoreError)
    assert TOKEN.reveal() not in str(caught.value)
    assert KEY.reveal() not in str(caught.value)


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_an_altered_byte_fails_to_decrypt(position: int) -> None:
    cipher = TokenCipher(KEY)
    stored = bytearray(cipher.encrypt(TOKEN, AAD))

    stored[position] ^= 0x01

    with pytest.raises(CipherError):
        cipher.decrypt(bytes(stored), AAD)


def test_a_truncated_value_fails_to_decrypt() -> None:
    with pytest.raises(CipherError, match="too short"):
        TokenCipher(KEY).decrypt(b"\x01abc", AAD)


def test_a_short_secret_key_is_refused_without_echoing_it() -> None:
    with pytest.raises(WeakSecretKey, match="at least 16") as caught:
        TokenCipher(Secret("short-key-123"))

    assert "short-key-123" not in str(caught.value)


def test_a_key_of_sixteen_characters_is_accepted() -> None:
    cipher = TokenCipher(Secret("x" * 16))

    assert cipher.decrypt(cipher.encrypt(TOKEN, AAD), AAD) == TOKEN


def test_generated_keys_are_long_and_different() -> None:
    first, second = generate_secret_key(), generate_secret_key()

    assert len(first.reveal()) >= 32
    assert first != second
    TokenCipher(first)


def test_repr_of_cipher_shows_no_key() -> None:
    assert KEY.reveal() not in repr(TokenCipher(KEY))
