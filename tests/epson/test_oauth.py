"""Tests for PKCE, the authorize URL and reading Epson's redirect."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.epson.errors import AccessDenied, EpsonUnavailable, NotRegistered
from bot.epson.oauth import (
    build_authorize_url,
    code_from_redirect,
    new_pkce,
    s256_challenge,
)


def test_s256_challenge_matches_the_rfc_7636_example() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    challenge = s256_challenge(verifier)

    assert challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_new_pkce_gives_a_long_random_verifier_and_its_challenge() -> None:
    first, second = new_pkce(), new_pkce()

    verifier = first.verifier.reveal()
    digest = hashlib.sha256(verifier.encode()).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    assert 43 <= len(verifier) <= 128
    assert first.challenge == expected
    assert first.verifier != second.verifier
    assert verifier not in repr(first)


def test_authorize_url_carries_every_parameter_encoded() -> None:
    url = build_authorize_url(
        "https://auth.epsonconnect.com/",
        "client-1",
        "http://127.0.0.1:8080/link/callback?x=1",
        "state with spaces&more",
        "challenge-1",
    )

    parts = urlsplit(url)
    query = parse_qs(parts.query, strict_parsing=True)

    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://auth.epsonconnect.com/auth/authorize"
    )
    assert query == {
        "response_type": ["code"],
        "client_id": ["client-1"],
        "redirect_uri": ["http://127.0.0.1:8080/link/callback?x=1"],
        "scope": ["device"],
        "state": ["state with spaces&more"],
        "code_challenge": ["challenge-1"],
        "code_challenge_method": ["S256"],
    }


def test_code_from_redirect_returns_the_code_when_state_matches() -> None:
    code = code_from_redirect({"code": "abc", "state": "s1"}, state="s1")

    assert code == "abc"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"error": "not_registered", "state": "s1"}, NotRegistered),
        ({"error": "access_denied", "state": "s1"}, AccessDenied),
        ({"error": "temporarily_unavailable"}, EpsonUnavailable),
        ({"code": "abc", "state": "s2"}, AccessDenied),
        ({"code": "abc"}, AccessDenied),
        ({"code": "abc", "state": "ß"}, AccessDenied),
        ({"state": "s1"}, AccessDenied),
    ],
)
def test_code_from_redirect_refuses_errors_and_foreign_states(
    query: dict[str, str], expected: type[Exception]
) -> None:
    with pytest.raises(expected):
        code_from_redirect(query, state="s1")
