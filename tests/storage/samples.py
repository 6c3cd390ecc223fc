"""Sample values for the store tests: keys, token pairs and jobs easy to spot."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.secret import Secret
from storage.records import NewJob, TokenPair

KEY = Secret("test-key-0123456789abcdefghijklmnop")
OTHER_KEY = Secret("another-key-9876543210zyxwvutsrqpo")
_request_numbers = itertools.count(1)


def make_tokens(tag: str = "first") -> TokenPair:
    """A token pair whose values contain ``tag``, so tests can look for them."""
    now = datetime.now(UTC)
    return TokenPair(
        access_token=Secret(f"access-token-{tag}-Zq8vX2"),
        access_expires_at=now + timedelta(hours=1),
        refresh_token=Secret(f"refresh-token-{tag}-Kp4wY7"),
        refresh_expires_at=now + timedelta(days=30),
    )


def token_values(tokens: TokenPair) -> list[str]:
    """The secret strings of a token pair."""
    return [tokens.access_token.reveal(), tokens.refresh_token.reveal()]


def make_job(identity_id: int, printer_id: int | None, **changes: Any) -> NewJob:
    """A new job for ``identity_id``; ``changes`` override any field."""
    job = NewJob(
        request_key=f"telegram:chat-1:{next(_request_numbers)}",
        identity_id=identity_id,
        printer_id=printer_id,
        chat_id="chat-1",
        platform="telegram",
        file_name="report.pdf",
        spool_path="/tmp/spool/report.pdf",
        print_mode="document",
        options={"color": "mono"},
        language="en",
    )
    return dataclasses.replace(job, **changes)
