"""The whole intake path as the core drives it: receive, detect, convert, preview."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.convert import (
    FileKind,
    detect_kind,
    receive,
    render_preview,
    select_pages,
    to_printable,
)
from tests.convert.conftest import build_image, build_pdf


async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _markdown(path: Path) -> Path:
    path.write_text("# Title\n\nHello **world**.\n", encoding="utf-8")
    return path


def _text(path: Path) -> Path:
    path.write_text("Hello world\n", encoding="utf-8")
    return path


CASES: list[tuple[str, Callable[[Path], Path], str, FileKind, str]] = [
    ("doc.pdf", lambda p: build_pdf(p, 2), "document", FileKind.PDF, "pdf"),
    (
        "pic.jpg",
        lambda p: build_image(p, (90, 60), "JPEG"),
        "photo",
        FileKind.JPEG,
        "jpg",
    ),
    (
        "pic.png",
        lambda p: build_image(p, (90, 60), "PNG"),
        "document",
        FileKind.PNG,
        "pdf",
    ),
    (
        "pic.heic",
        lambda p: build_image(p, (90, 60), "HEIF"),
        "photo",
        FileKind.HEIF,
        "jpg",
    ),
    (
        "pic.tif",
        lambda p: build_image(p, (90, 60), "TIFF"),
        "document",
        FileKind.TIFF,
        "pdf",
    ),
    ("notes.md", _markdown, "document", FileKind.MARKDOWN, "pdf"),
    ("notes.txt", _text, "document", FileKind.TEXT, "pdf"),
]


@pytest.mark.parametrize(("name", "build", "mode", "kind", "extension"), CASES)
async def test_received_file_becomes_a_printable_with_a_preview(
    tmp_path: Path,
    work: Path,
    name: str,
    build: Callable[[Path], Path],
    mode: str,
    kind: FileKind,
    extension: str,
) -> None:
    data = build(tmp_path / name).read_bytes()
    dest = work / "received"

    size = await receive(_chunks(data), dest, declared_size=len(data))
    detected = detect_kind(dest, name_hint=name)
    printable = await to_printable(dest, work, kind=detected, mode=mode, paper="ps_a4")
    chosen = select_pages(printable, work, pages=[1], nup=1, paper="ps_a4")
    preview = render_preview(chosen.path, work / "preview.png", max_side=200)

    assert size == len(data)
    assert (detected, printable.extension, chosen.page_count) == (kind, extension, 1)
    if extension == "pdf":
        assert len(PdfReader(chosen.path).pages) == 1
    with Image.open(preview) as image:
        assert 0 < max(image.size) <= 200


async def test_unknown_mode_or_paper_is_a_programming_error(tmp_path: Path) -> None:
    src = build_pdf(tmp_path / "a.pdf", 1)

    with pytest.raises(ValueError, match="mode"):
        await to_printable(
            src, tmp_path, kind=FileKind.PDF, mode="poster", paper="ps_a4"
        )
    with pytest.raises(ValueError, match="paper"):
        await to_printable(
            src, tmp_path, kind=FileKind.PDF, mode="photo", paper="ps_a0"
        )
