"""Hostile files a user might send, each built small and fresh for a test."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter

BOMB_SIDE = 30_000  # 900 megapixels declared, a few kilobytes on disk
HUGE_PAGES = 2_000


def huge_page_count_pdf(path: Path) -> Path:
    """A valid PDF of far more blank pages than anyone prints at once."""
    writer = PdfWriter()
    for _ in range(HUGE_PAGES):
        writer.add_blank_page(595, 842)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def decompression_bomb_png(path: Path) -> Path:
    """A valid 1-bit PNG whose pixels would fill gigabytes once decoded."""
    row = b"\x00" + bytes((BOMB_SIDE + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row * 1000) for _ in range(BOMB_SIDE // 1000))
    data += packer.flush()
    header = struct.pack(">IIBBBBB", BOMB_SIDE, BOMB_SIDE, 1, 0, 0, 0, 0)
    chunks = [_chunk(b"IHDR", header), _chunk(b"IDAT", data), _chunk(b"IEND", b"")]
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"".join(chunks))
    return path


def pdf_zip_polyglot(path: Path) -> Path:
    """A file that opens as a ZIP archive and starts like a PDF."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as members:
        members.writestr("payload.html", "<script>alert(1)</script>")
    path.write_bytes(b"%PDF-1.7\n%" + archive.getvalue())
    return path


def truncated_jpeg(path: Path) -> Path:
    """The first third of a real photo."""
    photo = io.BytesIO()
    Image.new("RGB", (800, 600), "teal").save(photo, "JPEG", quality=95)
    path.write_bytes(photo.getvalue()[: len(photo.getvalue()) // 3])
    return path


def encrypted_pdf(path: Path) -> Path:
    """A PDF that needs a password to open."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="secret")
    writer = PdfWriter(clone_from=io.BytesIO(bytes(pdf.output())))
    writer.encrypt(user_password="open sesame", algorithm="AES-128")
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def zip_named_pdf(path: Path) -> Path:
    """A ZIP archive renamed to .pdf."""
    with zipfile.ZipFile(path, "w") as members:
        members.writestr("notes.txt", "not a document")
    return path


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


# Each hostile file, the name it is sent under, and words of the message it gets.
CORPUS: dict[str, tuple[Callable[[Path], Path], str, str]] = {
    "huge page count": (huge_page_count_pdf, "report.pdf", "too many pages"),
    "decompression bomb": (decompression_bomb_png, "photo.png", "too large"),
    "pdf-zip polyglot": (pdf_zip_polyglot, "invoice.pdf", "can't print this kind"),
    "truncated jpeg": (truncated_jpeg, "holiday.jpg", "damaged"),
    "encrypted pdf": (encrypted_pdf, "statement.pdf", "password"),
    "zip renamed pdf": (zip_named_pdf, "contract.pdf", "can't print this kind"),
}
