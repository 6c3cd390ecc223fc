"""The errors the storage layer raises, all below ``StoreError``.

The tree::

    ChatprintError (bot/errors.py)
    ├── ConfigError
    │   └── WeakSecretKey       the configured secret key is too short to use
    └── StoreError              the database could not do what was asked
        ├── CipherError         a stored secret failed to decrypt (wrong key, tampering)
        ├── SchemaTooNew        the database was written by a newer chatprint
        ├── StaleTokens         another writer replaced a printer's tokens first
        ├── PrinterNotFound     no such printer, or not this owner's
        ├── JobNotFound         no job with that id
        └── PrinterNameTaken    the owner already has a printer of that name

No message here ever holds a secret: tokens and keys are never formatted into them.
"""

from __future__ import annotations

from bot.errors import ChatprintError, ConfigError


class WeakSecretKey(ConfigError):
    """The configured ``security.secret_key`` is too short to protect tokens."""


class StoreError(ChatprintError):
    """The database failed, or refused an operation."""

    default_key = "error.store"


class CipherError(StoreError):
    """A stored secret could not be decrypted with the configured key."""


class SchemaTooNew(StoreError):
    """The database schema is newer than this code knows how to use."""


class StaleTokens(StoreError):
    """A token update lost the race: the printer's tokens changed underneath it."""


class PrinterNotFound(StoreError):
    """The printer does not exist or belongs to someone else."""

    default_key = "printer.not_found"


class PrinterNameTaken(StoreError):
    """The owner already has another printer with that name."""

    default_key = "printer.name_taken"


class JobNotFound(StoreError):
    """No job has that id (it may have been forgotten)."""
