"""The root of every error chatprint raises on purpose.

The tree, by where the condition arises::

    ChatprintError      a message key + safe params for a chat user
    ├── ConfigError     bad or missing configuration (bot/config.py)
    ├── EpsonError      anything from Epson Connect (bot/epson/errors.py)
    ├── StoreError      the database (storage/)
    ├── IntakeError     a file that cannot be printed (bot/convert/)
    ├── OptionError     a print option that is not understood (bot/options.py)
    └── PrintRefused    a request the core will not carry out (bot/core/)

Every error that a chat user may see carries a ``key`` into the message catalogue and
the ``params`` that fill it. Params must never hold a secret: they end up in chats and
log lines.
"""

from __future__ import annotations

from typing import Any


class ChatprintError(Exception):
    """Base class for errors raised by chatprint itself.

    Args:
        detail: A sentence for logs and developers, free of secrets.
        key: The catalogue key of the sentence shown to a chat user.
        params: Values for the catalogue sentence, free of secrets.
    """

    default_key = "error.unexpected"

    def __init__(
        self, detail: str = "", *, key: str | None = None, **params: Any
    ) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.key = key or self.default_key
        self.params: dict[str, Any] = params


class ConfigError(ChatprintError):
    """The configuration is missing a value or holds one of the wrong form."""

    default_key = "error.config"
