"""Logging set-up for the entry point: levels, format, and a last guard on secrets."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

# These libraries log full request URLs, and Telegram puts the bot token in the URL.
QUIET_LOGGERS = (
    "httpx",
    "httpcore",
    "telegram.ext.ExtBot",
    "telegram.Bot",
    "aiohttp.access",
)

_TELEGRAM_TOKEN_IN_URL = re.compile(r"/bot\d+:[A-Za-z0-9_-]+")


class SecretFilter(logging.Filter):
    """Masks known secret values in a record before any handler formats it.

    Code must never log a secret in the first place; this filter is the second
    line of defence for text written by the libraries underneath.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = {s for s in secrets if len(s) >= 6}

    def add(self, secret: str) -> None:
        """Mask ``secret`` from now on; values under 6 characters would mask words."""
        if len(secret) >= 6:
            self._secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = _TELEGRAM_TOKEN_IN_URL.sub("/bot***", message)
        for secret in self._secrets:
            cleaned = cleaned.replace(secret, "***")
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


SECRET_FILTER = SecretFilter()


def configure_logging(level: str) -> None:
    """Install one stderr handler at ``level`` and quieten chatty libraries."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(
            f"unknown log level {level!r}; use DEBUG, INFO, WARNING or ERROR"
        )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    )
    handler.addFilter(SECRET_FILTER)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
