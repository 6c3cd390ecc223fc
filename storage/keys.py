"""The database's secret key: checking it at start-up, re-encrypting under a new one.

The ``key_check`` table holds one known value encrypted with the key in use, so a
wrong key is refused when the store opens rather than at a printer's first token
refresh, when the user would see their link break.
"""

from __future__ import annotations

import aiosqlite

from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.connection import change, fetch_all, fetch_one
from storage.errors import CipherError
from storage.rows import SECRET_COLUMNS, aad

_KEY_CHECK = Secret("chatprint key check")
_KEY_CHECK_AAD = aad("key_check", "value", 1)


async def check_key(db: aiosqlite.Connection, cipher: TokenCipher) -> None:
    """Refuse ``cipher`` unless it holds the database's key; a new database takes it.

    Raises:
        CipherError: The database was written with another key.
    """
    row = await fetch_one(db, "SELECT value FROM key_check WHERE id = 1")
    if row is None:
        await _write_key_check(db, cipher)
        return
    try:
        cipher.decrypt(row["value"], _KEY_CHECK_AAD)
    except CipherError as exc:
        raise CipherError(
            "the configured secret key is not the one this database was written "
            "with: restore the old key (rotate keys with it to change keys)"
        ) from exc


async def reencrypt_all(
    db: aiosqlite.Connection, old: TokenCipher, new: TokenCipher
) -> int:
    """Re-encrypt every secret column from ``old`` to ``new``; return how many.

    Run it inside a transaction: a value that fails to decrypt raises
    :class:`CipherError` part-way, and the rollback must undo the rest.
    """
    count = 0
    for table, column in SECRET_COLUMNS:
        count += await _reencrypt_column(db, table, column, old, new)
    await _write_key_check(db, new)
    return count


async def _reencrypt_column(
    db: aiosqlite.Connection,
    table: str,
    column: str,
    old: TokenCipher,
    new: TokenCipher,
) -> int:
    # Table and column names come from SECRET_COLUMNS, a constant.
    select = f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
    update = f"UPDATE {table} SET {column} = ? WHERE id = ?"  # noqa: S608
    rows = await fetch_all(db, select)
    for row_id, stored in rows:
        where = aad(table, column, row_id)
        value = old.decrypt(stored, where)
        await change(db, update, (new.encrypt(value, where), row_id))
    return len(rows)


async def _write_key_check(db: aiosqlite.Connection, cipher: TokenCipher) -> None:
    await change(
        db,
        "INSERT INTO key_check (id, value) VALUES (1, ?)"
        " ON CONFLICT (id) DO UPDATE SET value = excluded.value",
        (cipher.encrypt(_KEY_CHECK, _KEY_CHECK_AAD),),
    )
