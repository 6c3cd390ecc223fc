"""The files the benchmarks send: a 1-page PDF, a large PDF, a DOCX and photos."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from fpdf import FPDF
from PIL import Image

# A page that draws one line of text; the padding object makes the file large
# with bytes no compressor can shrink, as a scanned document would be.
_PAGE = b"BT /F1 24 Tf 72 720 Td (chatprint benchmark) Tj ET"
_DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.'
    'org/officeDocument/2006/relationships/officeDocument" '
    'Target="word/document.xml"/></Relationships>'
)
_DOCX_BODY = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/'
    '2006/main"><w:body>{paragraphs}</w:body></w:document>'
)


def one_page_pdf() -> bytes:
    """A real one-page PDF of a few kilobytes."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=24)
    pdf.add_page()
    pdf.cell(text="chatprint benchmark")
    return bytes(pdf.output())


def large_pdf(size: int) -> bytes:
    """A valid one-page PDF of exactly ``size`` bytes, most of it random padding."""
    head = _objects(b"")
    padding = os.urandom(max(0, size - len(head) - 200))
    body = _objects(padding)
    return body + b" " * max(0, size - len(body) - 1) + b"\n"


def _objects(padding: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        _stream(_PAGE),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        _stream(padding),
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1))
    out.write(b"startxref\n%d\n%%%%EOF" % xref)
    return out.getvalue()


def _stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def write_docx(path: Path, paragraphs: int = 20) -> Path:
    """A small Word document of ``paragraphs`` lines, built without Word."""
    text = "".join(
        f"<w:p><w:r><w:t>Paragraph {n} of the chatprint benchmark.</w:t></w:r></w:p>"
        for n in range(1, paragraphs + 1)
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as docx:
        docx.writestr("[Content_Types].xml", _DOCX_TYPES)
        docx.writestr("_rels/.rels", _DOCX_RELS)
        docx.writestr("word/document.xml", _DOCX_BODY.format(paragraphs=text))
    return path


def write_photo(path: Path, width: int = 4000, height: int = 3000) -> Path:
    """A phone-sized photo: a colour gradient saved as a PNG (a lossless original)."""
    gradient = Image.linear_gradient("L").resize((width, height))
    photo = Image.merge("RGB", (gradient, gradient.rotate(90), gradient.rotate(180)))
    photo.save(path, "PNG", compress_level=1)
    return path
