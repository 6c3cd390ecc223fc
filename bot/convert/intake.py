"""Receiving a user's file onto disk under the upload cap, and cleaning its name."""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from collections.abc import AsyncIterable
from pathlib import Path

from bot.convert.errors import EmptyFile, FileTooLarge

logger = logging.getLogger(__name__)

MAX_UPLOAD_BYTES = 20_000_000
MAX_NAME_CHARS = 100
MAX_EXTENSION_CHARS = 10
FALLBACK_NAME = "document"
_OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)
_SPACES = re.compile(r"\s+")


async def receive(
    chunks: AsyncIterable[bytes],
    dest: Path,
    *,
    declared_size: int | None,
    limit: int = MAX_UPLOAD_BYTES,
) -> int:
    """Write a download to ``dest``, refusing it as soon as it passes ``limit``.

    Args:
        chunks: The bytes as they arrive from the chat platform.
        dest: Where to write; created with mode 0o600, removed on any failure.
        declared_size: The size the platform announced, if it did.
        limit: The most bytes accepted.

    Returns:
        The number of bytes written.

    Raises:
        FileTooLarge: The declared or received size is over ``limit``.
        EmptyFile: Nothing arrived.
    """
    if declared_size is not None and declared_size > limit:
        raise FileTooLarge(
            f"Declared size {declared_size} is over {limit}", limit=limit
        )

    fd = os.open(dest, _OPEN_FLAGS, 0o600)
    try:
        size = await _write_chunks(fd, chunks, limit)
    except BaseException:
        os.close(fd)
        _discard(dest)
        raise
    os.close(fd)

    if size == 0:
        _discard(dest)
        raise EmptyFile("Zero bytes received")
    logger.debug("Received %d bytes", size)
    return size


async def _write_chunks(fd: int, chunks: AsyncIterable[bytes], limit: int) -> int:
    """Write each chunk while counting; stop reading as soon as the count is over."""
    os.fchmod(fd, 0o600)
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise FileTooLarge(f"Received more than {limit} bytes", limit=limit)
        # A chunk is at most a few dozen KB: writing it to the page cache takes
        # microseconds, less than a hop to a worker thread and back.
        _write_all(fd, chunk)
    return size


def _discard(dest: Path) -> None:
    """Remove a refused or failed download."""
    dest.unlink(missing_ok=True)


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data``; ``os.write`` may write fewer at once."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def clean_filename(name: str) -> str:
    """Make a user's file name safe to show and to keep as a label.

    Drops any directory part, control and format characters (bidi overrides,
    zero-width marks), leading dots and extra spaces, and shortens it to
    ``MAX_NAME_CHARS`` while keeping the extension.

    Args:
        name: The name as the chat platform gave it.

    Returns:
        The cleaned name, or ``"document"`` when nothing is left.
    """
    text = unicodedata.normalize("NFC", name)
    text = re.split(r"[/\\]", text)[-1]
    text = "".join(char for char in text if not _is_invisible(char))
    text = _SPACES.sub(" ", text).strip(" .")
    return _shorten(text) if text else FALLBACK_NAME


def _is_invisible(char: str) -> bool:
    """Control, format (bidi, zero-width), surrogate, private or unassigned code."""
    return unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn"}


def _shorten(name: str) -> str:
    """Cut ``name`` to the length limit, keeping a short extension intact."""
    if len(name) <= MAX_NAME_CHARS:
        return name
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem or len(extension) > MAX_EXTENSION_CHARS:
        return name[:MAX_NAME_CHARS].rstrip(" .")
    room = MAX_NAME_CHARS - len(extension) - 1
    return f"{stem[:room].rstrip(' .')}.{extension}"
