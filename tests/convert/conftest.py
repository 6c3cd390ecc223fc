"""Builders for the files the conversion tests feed in, all made at test time."""

from __future__ import annotations

import io
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfWriter

A4_PT = (595.28, 841.89)


def _has_uno() -> bool:
    python = Path("/usr/bin/python3")
    if not python.exists():
        return False
    probe = subprocess.run(
        [python, "-c", "import uno"], capture_output=True, check=False
    )
    return probe.returncode == 0


# The warm LibreOffice path needs Debian's python3-uno; without it conversions go
# cold, and the tests that check the warm path itself skip.
needs_uno = pytest.mark.skipif(not _has_uno(), reason="python3-uno is not installed")

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels"
 ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
{overrides}
</Types>"""
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOC_REL = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
OOXML_MAIN = "application/vnd.openxmlformats-officedocument"


def _override(part: str, content_type: str) -> str:
    return f'<Override PartName="{part}" ContentType="{content_type}"/>'


def _relationship(target: str, kind: str = OFFICE_DOC_REL) -> str:
    return (
        f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" '
        f'Type="{kind}" Target="{target}"/></Relationships>'
    )


def _write_zip(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            compress = (
                zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            )
            archive.writestr(name, content, compress_type=compress)
    return path


def build_docx(path: Path, paragraphs: list[str], *, page_breaks: int = 0) -> Path:
    """A minimal valid Word document; each page break adds a page."""
    runs = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in paragraphs)
    breaks = '<w:p><w:r><w:br w:type="page"/><w:t>next</w:t></w:r></w:p>' * page_breaks
    document = (
        f'<w:document xmlns:w="{WORD_NS}"><w:body>{runs}{breaks}</w:body></w:document>'
    )
    main = _override(
        "/word/document.xml", f"{OOXML_MAIN}.wordprocessingml.document.main+xml"
    )
    return _write_zip(
        path,
        {
            "[Content_Types].xml": CONTENT_TYPES.format(overrides=main),
            "_rels/.rels": _relationship("word/document.xml"),
            "word/document.xml": document,
        },
    )


def build_xlsx(path: Path, cell: str) -> Path:
    """A minimal valid workbook with one sheet and one cell."""
    overrides = _override(
        "/xl/workbook.xml", f"{OOXML_MAIN}.spreadsheetml.sheet.main+xml"
    ) + _override(
        "/xl/worksheets/sheet1.xml", f"{OOXML_MAIN}.spreadsheetml.worksheet+xml"
    )
    workbook = (
        f'<workbook xmlns="{SHEET_NS}" xmlns:r="{REL_NS}"><sheets>'
        '<sheet name="One" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    sheet = (
        f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
        f"<is><t>{cell}</t></is></c></row></sheetData></worksheet>"
    )
    return _write_zip(
        path,
        {
            "[Content_Types].xml": CONTENT_TYPES.format(overrides=overrides),
            "_rels/.rels": _relationship("xl/workbook.xml"),
            "xl/workbook.xml": workbook,
            "xl/_rels/workbook.xml.rels": _relationship(
                "worksheets/sheet1.xml", f"{REL_NS}/worksheet"
            ),
            "xl/worksheets/sheet1.xml": sheet,
        },
    )


def build_pptx_manifest(path: Path) -> Path:
    """Only the parts that name a presentation: enough to detect, not to convert."""
    main = _override(
        "/ppt/presentation.xml", f"{OOXML_MAIN}.presentationml.presentation.main+xml"
    )
    return _write_zip(
        path, {"[Content_Types].xml": CONTENT_TYPES.format(overrides=main)}
    )


def build_opendocument(
    path: Path, mimetype: str, text: str = "Hello", *, content: str = ""
) -> Path:
    """A minimal OpenDocument; a valid text document unless ``content`` is given."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    manifest_ns = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
    content = content or (
        f'<office:document-content xmlns:office="{office}" xmlns:text="{text_ns}" '
        'office:version="1.2"><office:body><office:text>'
        f"<text:p>{text}</text:p></office:text></office:body></office:document-content>"
    )
    manifest = (
        f'<manifest:manifest xmlns:manifest="{manifest_ns}" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" '
        f'manifest:media-type="{mimetype}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" '
        'manifest:media-type="text/xml"/></manifest:manifest>'
    )
    return _write_zip(
        path,
        {
            "mimetype": mimetype,
            "META-INF/manifest.xml": manifest,
            "content.xml": content,
        },
    )


def build_odp(path: Path, text: str) -> Path:
    """A minimal valid presentation with one slide holding ``text``."""
    office = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
    draw = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
    text_ns = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    svg = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
    content = (
        f'<office:document-content xmlns:office="{office}" xmlns:draw="{draw}" '
        f'xmlns:text="{text_ns}" xmlns:svg="{svg}" office:version="1.2">'
        '<office:body><office:presentation><draw:page draw:name="one">'
        '<draw:frame svg:x="2cm" svg:y="2cm" svg:width="10cm" svg:height="3cm">'
        f"<draw:text-box><text:p>{text}</text:p></draw:text-box></draw:frame>"
        "</draw:page></office:presentation></office:body></office:document-content>"
    )
    mimetype = "application/vnd.oasis.opendocument.presentation"
    return build_opendocument(path, mimetype, content=content)


def build_ole(path: Path, stream: str) -> Path:
    """An OLE2 header and one directory sector holding a root and ``stream``."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    header[30:32] = (9).to_bytes(2, "little")

    def entry(name: str, entry_type: int) -> bytes:
        encoded = name.encode("utf-16-le") + b"\x00\x00"
        raw = bytearray(128)
        raw[: len(encoded)] = encoded
        raw[64:66] = len(encoded).to_bytes(2, "little")
        raw[66] = entry_type
        return bytes(raw)

    directory = entry("Root Entry", 5) + entry(stream, 2) + bytes(256)
    path.write_bytes(bytes(header) + directory)
    return path


def build_pdf(path: Path, pages: int, *, size: tuple[float, float] = A4_PT) -> Path:
    """A PDF of numbered pages ("Page 1", "Page 2", ...) of the given size."""
    pdf = FPDF(unit="pt", format=size)
    pdf.set_font("Helvetica", size=24)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Page {number}")
    pdf.output(str(path))
    return path


def build_blank_pdf(path: Path, pages: int) -> Path:
    """A PDF of blank pages, small however many there are."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(*A4_PT)
    writer.write(path)
    return path


def build_image(path: Path, size: tuple[int, int], fmt: str, **save: object) -> Path:
    """A gradient picture (so encoders have something to encode) in ``fmt``."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    image.save(path, fmt, **save)
    return path


def build_png_bomb(path: Path, side: int = 30_000) -> Path:
    """A valid, all-black, 1-bit PNG of side x side pixels in a small file."""
    row = b"\x00" + bytes((side + 7) // 8)
    compressor = zlib.compressobj(9)
    block = row * 256
    chunks = [compressor.compress(block) for _ in range(side // 256)]
    chunks.append(compressor.compress(row * (side % 256)))
    chunks.append(compressor.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    data = b"".join(chunks)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", data)
        + _png_chunk(b"IEND", b"")
    )  # fmt: skip
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data)
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def jpeg_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "JPEG")
    return buffer.getvalue()


def listing(directory: Path) -> list[Path]:
    """The entries of ``directory``, sorted (a plain call, fine inside async tests)."""
    return sorted(directory.iterdir())


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    """Where received files sit, apart from the work directory."""
    path = tmp_path / "inbox"
    path.mkdir()
    return path


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The caller's work directory; tests check that failures leave it empty."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture(scope="session")
def png_bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 30000 x 30000 PNG of about 110 KB, built once per run."""
    return build_png_bomb(tmp_path_factory.mktemp("bomb") / "bomb.png")
