"""What kind of file a user sent, decided from its content alone."""

from __future__ import annotations

import re
import zipfile
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO

from bot.convert.errors import EmptyFile, UnsupportedFile

HEAD_BYTES = 4096
MAX_TEXT_BYTES = 20_000_000
MAX_MANIFEST_BYTES = 1_000_000
PDF_HEADER_WINDOW = 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE_ENTRY_SIZE = 128
HEIF_BRANDS = frozenset(
    {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
)
BMP_HEADER_SIZES = frozenset({12, 40, 52, 56, 64, 108, 124})
# C0 controls that plain text never holds; tab, newlines, form feed and ESC pass.
_BINARY_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
_MARKDOWN_HINTS = (".md", ".markdown", ".mdown", ".mkd")


class FileKind(StrEnum):
    """A kind of file we know how to print."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    HEIF = "heif"
    WEBP = "webp"
    GIF = "gif"
    BMP = "bmp"
    TIFF = "tiff"
    TEXT = "text"
    MARKDOWN = "markdown"
    DOCX = "docx"
    XLSX = "xlsx"
    PPTX = "pptx"
    ODT = "odt"
    ODS = "ods"
    ODP = "odp"
    DOC = "doc"
    XLS = "xls"
    PPT = "ppt"
    RTF = "rtf"


IMAGE_KINDS = frozenset(
    {
        FileKind.JPEG,
        FileKind.PNG,
        FileKind.HEIF,
        FileKind.WEBP,
        FileKind.GIF,
        FileKind.BMP,
        FileKind.TIFF,
    }
)
OFFICE_KINDS = frozenset(
    {
        FileKind.DOCX,
        FileKind.XLSX,
        FileKind.PPTX,
        FileKind.ODT,
        FileKind.ODS,
        FileKind.ODP,
        FileKind.DOC,
        FileKind.XLS,
        FileKind.PPT,
        FileKind.RTF,
    }
)

_OPENDOCUMENT_TYPES = {
    b"application/vnd.oasis.opendocument.text": FileKind.ODT,
    b"application/vnd.oasis.opendocument.spreadsheet": FileKind.ODS,
    b"application/vnd.oasis.opendocument.presentation": FileKind.ODP,
}
# Main-part content types in [Content_Types].xml, macro-enabled variants included:
# the macros never run, LibreOffice opens these with macro execution off.
_OOXML_TYPES = (
    (b"wordprocessingml.document.main+xml", FileKind.DOCX),
    (b"ms-word.document.macroenabled.main+xml", FileKind.DOCX),
    (b"spreadsheetml.sheet.main+xml", FileKind.XLSX),
    (b"ms-excel.sheet.macroenabled.main+xml", FileKind.XLSX),
    (b"presentationml.presentation.main+xml", FileKind.PPTX),
    (b"presentationml.slideshow.main+xml", FileKind.PPTX),
    (b"ms-powerpoint.presentation.macroenabled.main+xml", FileKind.PPTX),
)
_OLE_STREAMS = (
    ("WordDocument", FileKind.DOC),
    ("Workbook", FileKind.XLS),
    ("Book", FileKind.XLS),
    ("PowerPoint Document", FileKind.PPT),
)


def detect_kind(path: Path, *, name_hint: str = "") -> FileKind:
    """Tell what kind of file ``path`` holds, from its bytes.

    Args:
        path: The received file.
        name_hint: The name the user gave it; only tells Markdown from plain text.

    Returns:
        The kind of file.

    Raises:
        EmptyFile: The file holds no bytes.
        UnsupportedFile: The content is no kind we print, or looks like two at once.
    """
    with path.open("rb") as stream:
        head = stream.read(HEAD_BYTES)
        if not head:
            raise EmptyFile("The file is empty")
        kind = _kind_from_magic(head)
        # A PDF's end is looked at through the same handle: opening a file
        # costs more than reading its last bytes.
        if kind is FileKind.PDF and _is_zip(stream):
            raise UnsupportedFile(
                "A PDF header on a zip archive: refusing a polyglot file"
            )
    kind = kind or _kind_from_container(path, head)
    if kind is None:
        kind = _kind_from_text(path, name_hint)
    return kind


def _kind_from_magic(head: bytes) -> FileKind | None:
    """The image, PDF or RTF kind its first bytes declare, if any."""
    if head.startswith(b"%PDF-"):
        return FileKind.PDF
    if head.startswith(b"\xff\xd8\xff"):
        return FileKind.JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FileKind.PNG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return FileKind.GIF
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return FileKind.TIFF
    if head.startswith(b"{\\rtf"):
        return FileKind.RTF
    kind = _kind_from_boxes(head)
    if kind is None and b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        # Readers accept a PDF header anywhere in the first kilobyte.
        return FileKind.PDF
    return kind


def _kind_from_boxes(head: bytes) -> FileKind | None:
    """WebP, HEIF or BMP, whose signatures need a look past the first bytes."""
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return FileKind.WEBP
    if head[4:8] == b"ftyp" and _is_heif(head):
        return FileKind.HEIF
    dib_size = int.from_bytes(head[14:18], "little")
    if head.startswith(b"BM") and len(head) >= 18 and dib_size in BMP_HEADER_SIZES:
        return FileKind.BMP
    return None


def _is_heif(head: bytes) -> bool:
    """Whether the ``ftyp`` box names a HEIF brand (AVIF is not ours to decode)."""
    box_size = min(int.from_bytes(head[:4], "big"), len(head))
    brands = {head[i : i + 4] for i in range(8, box_size, 4)} - {b"\x00" * 4}
    return bool(brands & HEIF_BRANDS) and b"avif" not in brands


def _kind_from_container(path: Path, head: bytes) -> FileKind | None:
    """The office kind of a zip or OLE2 container, or None when it is neither."""
    if head.startswith(b"PK\x03\x04"):
        return _kind_from_zip(path)
    if head.startswith(OLE_MAGIC):
        return _kind_from_ole(path)
    return None


def _is_zip(stream: BinaryIO) -> bool:
    """Whether the open file ends like a zip archive, wherever it starts."""
    try:
        return zipfile.is_zipfile(stream)
    except OSError:
        return False


def _kind_from_zip(path: Path) -> FileKind:
    """OpenDocument by its ``mimetype`` member, OOXML by its content types."""
    try:
        with zipfile.ZipFile(path) as archive:
            mimetype = _read_member(archive, "mimetype")
            manifest = _read_member(archive, "[Content_Types].xml")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise UnsupportedFile("A zip archive that does not open") from exc

    if mimetype is not None and mimetype.strip() in _OPENDOCUMENT_TYPES:
        return _OPENDOCUMENT_TYPES[mimetype.strip()]
    lowered = (manifest or b"").lower()
    for content_type, kind in _OOXML_TYPES:
        if content_type in lowered:
            return kind
    raise UnsupportedFile("A zip archive that is no office document")


def _read_member(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """One small member of the archive, or None when absent or suspiciously big."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_MANIFEST_BYTES:
        return None
    with archive.open(info) as member:
        return member.read(MAX_MANIFEST_BYTES)


def _kind_from_ole(path: Path) -> FileKind:
    """Word, Excel or PowerPoint 97-2003, by the streams in the OLE2 directory.

    Directory entries are 128 bytes and sectors are 512 or 4096 bytes, so every
    entry sits at a 128-byte boundary; a stream name found there, with the entry
    type "stream", is taken as the directory's.
    """
    data = path.read_bytes()
    for name, kind in _OLE_STREAMS:
        if _has_ole_stream(data, name):
            return kind
    raise UnsupportedFile("An OLE2 file that is no Word, Excel or PowerPoint file")


def _has_ole_stream(data: bytes, name: str) -> bool:
    """Whether an aligned directory entry names the stream ``name``."""
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    start = data.find(encoded, 512)
    while start != -1:
        entry = data[start : start + OLE_ENTRY_SIZE]
        aligned = start % OLE_ENTRY_SIZE == 0 and len(entry) == OLE_ENTRY_SIZE
        named = aligned and int.from_bytes(entry[64:66], "little") == len(encoded)
        if named and entry[66] == 2:
            return True
        start = data.find(encoded, start + 1)
    return False


def _kind_from_text(path: Path, name_hint: str) -> FileKind:
    """Plain text or Markdown for valid UTF-8 without binary control characters."""
    data = path.read_bytes()[:MAX_TEXT_BYTES]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsupportedFile("Content of no kind we print") from exc
    if _BINARY_CONTROLS.search(text):
        raise UnsupportedFile("Text with binary control characters")
    if name_hint.lower().endswith(_MARKDOWN_HINTS):
        return FileKind.MARKDOWN
    return FileKind.TEXT
