"""The SQL for printers, their encrypted tokens and the shares that point at them.

Each function runs inside a transaction or connection the caller holds.
"""

from __future__ import annotations

import aiosqlite

from storage.cipher import TokenCipher
from storage.connection import change, fetch_all, fetch_one, insert
from storage.errors import PrinterNameTaken, PrinterNotFound
from storage.records import Printer, TokenPair
from storage.rows import db_now, printer_from_row, token_columns


async def select_printer(
    db: aiosqlite.Connection, cipher: TokenCipher, printer_id: int
) -> Printer:
    """Return a printer with its tokens decrypted.

    Raises:
        PrinterNotFound: No printer has this id.
    """
    row = await fetch_one(db, "SELECT * FROM printers WHERE id = ?", (printer_id,))
    if row is None:
        raise PrinterNotFound(f"printer {printer_id} does not exist")
    return printer_from_row(row, cipher)


async def find_printer_id(
    db: aiosqlite.Connection, owner_id: int, serial_number: str
) -> int | None:
    """Return the id of the owner's printer with this serial number, if linked."""
    row = await fetch_one(
        db,
        "SELECT id FROM printers WHERE owner_id = ? AND serial_number = ?",
        (owner_id, serial_number),
    )
    return None if row is None else int(row["id"])


async def insert_printer(
    db: aiosqlite.Connection,
    owner_id: int,
    base_name: str,
    product_name: str,
    serial_number: str,
) -> int:
    """Insert a printer without tokens yet; write them next with write_tokens.

    The name is ``base_name`` made unique among the owner's printers, and the
    printer becomes the default when the owner has none.
    """
    name = await _unique_name(db, owner_id, base_name)
    has_default = await fetch_one(
        db,
        "SELECT 1 FROM printers WHERE owner_id = ? AND is_default = 1",
        (owner_id,),
    )
    # Tokens are encrypted with the row id as associated data, so they can only be
    # written once the row exists; the caller's transaction hides the gap.
    return await insert(
        db,
        "INSERT INTO printers (owner_id, name, product_name, serial_number,"
        " is_default, state, access_token, access_expires_at, refresh_token,"
        " refresh_expires_at, token_version, linked_at)"
        " VALUES (?, ?, ?, ?, ?, 'active', x'', '', x'', '', 1, ?)",
        (
            owner_id,
            name,
            product_name,
            serial_number,
            has_default is None,
            db_now(),
        ),
    )


async def relink_printer(
    db: aiosqlite.Connection, printer_id: int, product_name: str
) -> None:
    """Mark a printer linked again; its tokens follow with write_tokens."""
    await change(
        db,
        "UPDATE printers SET product_name = ?, state = 'active',"
        " token_version = token_version + 1, linked_at = ? WHERE id = ?",
        (product_name, db_now(), printer_id),
    )


async def write_tokens(
    db: aiosqlite.Connection, cipher: TokenCipher, printer_id: int, tokens: TokenPair
) -> None:
    """Encrypt and store a printer's token pair."""
    await change(
        db,
        "UPDATE printers SET access_token = ?, access_expires_at = ?,"
        " refresh_token = ?, refresh_expires_at = ? WHERE id = ?",
        (*token_columns(printer_id, tokens, cipher), printer_id),
    )


async def claim_token_version(
    db: aiosqlite.Connection, printer_id: int, expected_version: int
) -> bool:
    """Move the token version on by one if it is ``expected_version``.

    Returns:
        Whether this writer won; the loser must not write its tokens.
    """
    changed = await change(
        db,
        "UPDATE printers SET token_version = token_version + 1,"
        " state = 'active' WHERE id = ? AND token_version = ?",
        (printer_id, expected_version),
    )
    return changed == 1


async def check_owner(db: aiosqlite.Connection, owner_id: int, printer_id: int) -> None:
    """Raise PrinterNotFound unless the printer exists and is the owner's."""
    row = await fetch_one(
        db,
        "SELECT 1 FROM printers WHERE id = ? AND owner_id = ?",
        (printer_id, owner_id),
    )
    if row is None:
        raise PrinterNotFound(f"identity {owner_id} has no printer {printer_id}")


async def check_name_free(
    db: aiosqlite.Connection, owner_id: int, printer_id: int, name: str
) -> None:
    """Raise PrinterNameTaken if another of the owner's printers is called name."""
    row = await fetch_one(
        db,
        "SELECT 1 FROM printers WHERE owner_id = ? AND name = ? AND id != ?",
        (owner_id, name, printer_id),
    )
    if row is not None:
        raise PrinterNameTaken(
            f"identity {owner_id} already has a printer of that name", name=name
        )


async def make_default(
    db: aiosqlite.Connection, owner_id: int, printer_id: int
) -> None:
    """Make one of the owner's printers the default and no other."""
    # Clear first: the partial unique index allows one default per owner.
    await change(
        db, "UPDATE printers SET is_default = 0 WHERE owner_id = ?", (owner_id,)
    )
    await change(db, "UPDATE printers SET is_default = 1 WHERE id = ?", (printer_id,))


async def promote_default_printer(db: aiosqlite.Connection, owner_id: int) -> None:
    """Make the owner's oldest printer the default if none is."""
    await change(
        db,
        "UPDATE printers SET is_default = 1 WHERE id = (SELECT id FROM printers"
        " WHERE owner_id = ? ORDER BY id LIMIT 1) AND NOT EXISTS (SELECT 1"
        " FROM printers WHERE owner_id = ? AND is_default = 1)",
        (owner_id, owner_id),
    )


async def promote_default_shares(db: aiosqlite.Connection) -> None:
    """Give every group that has shares but no default its oldest share."""
    # Shares are few; one statement fixes every group a deletion left bare.
    await change(
        db,
        "UPDATE shares SET is_default = 1 WHERE id IN (SELECT MIN(id) FROM shares"
        " GROUP BY group_id HAVING MAX(is_default) = 0)",
    )


async def _unique_name(db: aiosqlite.Connection, owner_id: int, base: str) -> str:
    rows = await fetch_all(
        db, "SELECT name FROM printers WHERE owner_id = ?", (owner_id,)
    )
    taken = {row["name"] for row in rows}
    candidates = (base, *(f"{base} ({n})" for n in range(2, len(taken) + 3)))
    return next(name for name in candidates if name not in taken)
