"""What an uploaded file is: its declared kind, its real kind, and its pages."""

from __future__ import annotations

import io
import re
import warnings

from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader

# Extension in ``File=1.<ext>`` -> kind of file the simulator can print.
KIND_BY_EXTENSION = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}
EXTENSION_BY_KIND = {"pdf": "pdf", "jpeg": "jpg", "png": "png"}
KINDS_BY_CONTENT_TYPE = {
    "application/pdf": {"pdf"},
    "image/jpeg": {"jpeg"},
    "image/png": {"png"},
    "application/octet-stream": {"pdf", "jpeg", "png"},
}
# Photo mode takes pictures only; document mode takes all three.
KINDS_BY_PRINT_MODE = {"document": {"pdf", "jpeg", "png"}, "photo": {"jpeg", "png"}}
_FILE_NAME = re.compile(r"1\.([A-Za-z0-9]+)")
_MAGIC = ((b"%PDF-", "pdf"), (b"\xff\xd8\xff", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"))


class UnreadableDocument(Exception):
    """Raised when a file is not the PDF, JPEG or PNG it claims to be."""


def file_name_extension(file_name: str) -> str | None:
    """Return the lower-case extension of a ``File=1.<ext>`` value, or ``None``."""
    match = _FILE_NAME.fullmatch(file_name)
    return match.group(1).lower() if match else None


def content_type_fits(content_type: str, kind: str) -> bool:
    """Say whether an upload's ``Content-Type`` may carry a file of ``kind``.

    A request without a content type is taken as raw bytes, as the spec's own
    code samples send it.
    """
    if not content_type:
        return True
    return kind in KINDS_BY_CONTENT_TYPE.get(content_type.lower(), set())


def sniff(data: bytes) -> str | None:
    """Return the kind the file's first bytes announce, or ``None``."""
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def count_pages(data: bytes, kind: str) -> int:
    """Return how many pages ``data`` prints.

    Raises:
        UnreadableDocument: the bytes are not a readable file of ``kind``.
    """
    if sniff(data) != kind:
        raise UnreadableDocument(f"file does not start like a {kind} file")
    if kind == "pdf":
        return _pdf_pages(data)
    _check_image(data)
    return 1


def _pdf_pages(data: bytes) -> int:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pages = len(PdfReader(io.BytesIO(data)).pages)
    # A damaged PDF can make pypdf fail in many ways; each means "unreadable".
    except Exception as exc:
        raise UnreadableDocument(f"PDF cannot be read: {exc}") from exc
    if pages < 1:
        raise UnreadableDocument("PDF has no pages")
    return pages


def _check_image(data: bytes) -> None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise UnreadableDocument(f"image cannot be read: {exc}") from exc


def printable_pages(data: bytes | None, kind: str | None, print_mode: str) -> int:
    """Return the pages of an uploaded file that ``print_mode`` can print.

    Raises:
        UnreadableDocument: nothing was uploaded, the kind does not suit the print
            mode (photo mode takes JPEG and PNG only), or the file is damaged.
    """
    if data is None or kind is None:
        raise UnreadableDocument("nothing was uploaded")
    if kind not in KINDS_BY_PRINT_MODE[print_mode]:
        raise UnreadableDocument(f"{print_mode} mode cannot print a {kind} file")
    return count_pages(data, kind)
