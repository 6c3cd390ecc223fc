"""Content sniffing: the kind comes from the bytes, never from the name."""

from __future__ import annotations

import contextlib
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.convert import EmptyFile, FileKind, IntakeError, UnsupportedFile, detect_kind
from tests.convert.conftest import (
    build_docx,
    build_image,
    build_ole,
    build_opendocument,
    build_pdf,
    build_pptx_manifest,
    build_xlsx,
)


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("JPEG", FileKind.JPEG),
        ("PNG", FileKind.PNG),
        ("GIF", FileKind.GIF),
        ("BMP", FileKind.BMP),
        ("TIFF", FileKind.TIFF),
        ("WEBP", FileKind.WEBP),
        ("HEIF", FileKind.HEIF),
    ],
)
def test_detect_kind_names_each_image_format(
    tmp_path: Path, fmt: str, kind: FileKind
) -> None:
    path = build_image(tmp_path / "picture.bin", (32, 24), fmt)

    assert detect_kind(path) is kind


@pytest.mark.parametrize(
    ("mimetype", "kind"),
    [
        ("application/vnd.oasis.opendocument.text", FileKind.ODT),
        ("application/vnd.oasis.opendocument.spreadsheet", FileKind.ODS),
        ("application/vnd.oasis.opendocument.presentation", FileKind.ODP),
    ],
)
def test_detect_kind_reads_opendocument_mimetype(
    tmp_path: Path, mimetype: str, kind: FileKind
) -> None:
    path = build_opendocument(tmp_path / "doc.zip", mimetype)

    assert detect_kind(path) is kind


def test_detect_kind_reads_ooxml_content_types(tmp_path: Path) -> None:
    docx = build_docx(tmp_path / "a.bin", ["Hello"])
    xlsx = build_xlsx(tmp_path / "b.bin", "Hi")
    pptx = build_pptx_manifest(tmp_path / "c.bin")

    assert [detect_kind(p) for p in (docx, xlsx, pptx)] == [
        FileKind.DOCX,
        FileKind.XLSX,
        FileKind.PPTX,
    ]


@pytest.mark.parametrize(
    ("stream", "kind"),
    [
        ("WordDocument", FileKind.DOC),
        ("Workbook", FileKind.XLS),
        ("PowerPoint Document", FileKind.PPT),
    ],
)
def test_detect_kind_reads_ole2_directory(
    tmp_path: Path, stream: str, kind: FileKind
) -> None:
    path = build_ole(tmp_path / "old.bin", stream)

    assert detect_kind(path) is kind


def test_detect_kind_refuses_ole2_without_office_stream(tmp_path: Path) -> None:
    path = build_ole(tmp_path / "thumbs.db", "Catalog")

    with pytest.raises(UnsupportedFile):
        detect_kind(path)


def test_detect_kind_reads_pdf_and_rtf(tmp_path: Path) -> None:
    pdf = build_pdf(tmp_path / "a.txt", 1)
    rtf = tmp_path / "b.txt"
    rtf.write_bytes(b"{\\rtf1\\ansi Hello}")

    assert (detect_kind(pdf), detect_kind(rtf)) == (FileKind.PDF, FileKind.RTF)


def test_name_hint_only_tells_markdown_from_text(tmp_path: Path) -> None:
    text = tmp_path / "notes"
    text.write_text("# Title\n\nSome *text*.\n", encoding="utf-8")
    pdf = build_pdf(tmp_path / "x", 1)

    assert detect_kind(text) is FileKind.TEXT
    assert detect_kind(text, name_hint="notes.md") is FileKind.MARKDOWN
    assert detect_kind(pdf, name_hint="notes.md") is FileKind.PDF


def test_detect_kind_accepts_utf8_text_in_any_script(tmp_path: Path) -> None:
    path = tmp_path / "note.txt"
    path.write_text("列印測試\tprint test ✓\r\n", encoding="utf-8")

    assert detect_kind(path) is FileKind.TEXT


def test_detect_kind_refuses_executable(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(56) + b"\x03\x00\x3e\x00")

    with pytest.raises(UnsupportedFile):
        detect_kind(path, name_hint="photo.jpg")


def test_detect_kind_refuses_zip_renamed_pdf(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a document")

    with pytest.raises(UnsupportedFile):
        detect_kind(path, name_hint="report.pdf")


def test_detect_kind_refuses_pdf_zip_polyglot(tmp_path: Path) -> None:
    pdf = build_pdf(tmp_path / "a.pdf", 1)
    archive = build_docx(tmp_path / "b.docx", ["hidden"])
    polyglot = tmp_path / "both.pdf"
    polyglot.write_bytes(pdf.read_bytes() + archive.read_bytes())

    with pytest.raises(UnsupportedFile):
        detect_kind(polyglot)


def test_detect_kind_refuses_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.pdf"
    path.touch()

    with pytest.raises(EmptyFile):
        detect_kind(path)


@pytest.mark.parametrize(
    "content",
    [
        b"\xff\xfe\x00\x00binary",
        b"text with a NUL\x00 inside",
        b"\x1b[31mANSI is fine\x1b[0m but a bell is not\x07",
        b"\x89PNH not quite",
    ],
)
def test_detect_kind_refuses_binary_content(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "blob"
    path.write_bytes(content)

    with pytest.raises(UnsupportedFile):
        detect_kind(path)


def test_detect_kind_refuses_avif_as_heif(tmp_path: Path) -> None:
    path = tmp_path / "a.avif"
    path.write_bytes(
        b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(64)
    )

    with pytest.raises(UnsupportedFile):
        detect_kind(path)


def test_detect_kind_names_first_gif_frame_file_as_gif(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), color) for color in ("red", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])

    assert detect_kind(path) is FileKind.GIF


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.binary(min_size=0, max_size=2048))
def test_detect_kind_on_random_bytes_raises_only_intake_errors(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "random.bin"
    path.write_bytes(content)

    try:
        kind = detect_kind(path)
    except IntakeError:
        return
    assert isinstance(kind, FileKind)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    prefix=st.sampled_from(
        [b"%PDF-1.7\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"RIFF"]
    ),
    tail=st.binary(max_size=1024),
)
def test_detect_kind_on_broken_containers_raises_only_intake_errors(
    tmp_path: Path, prefix: bytes, tail: bytes
) -> None:
    path = tmp_path / "broken.bin"
    path.write_bytes(prefix + tail)

    with contextlib.suppress(IntakeError):
        detect_kind(path)
