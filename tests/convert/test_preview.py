"""Preview pictures of page 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bot.convert import CorruptFile, render_preview
from tests.convert.conftest import build_image, build_pdf


def test_preview_of_a_pdf_is_a_png_of_page_one(tmp_path: Path) -> None:
    src = build_pdf(tmp_path / "in.pdf", 3)

    dest = render_preview(src, tmp_path / "preview.png", max_side=400)

    with Image.open(dest) as image:
        assert image.format == "PNG"
        assert max(image.size) == 400
        assert image.height > image.width
        darkest, _ = image.convert("L").getextrema()
        assert isinstance(darkest, int)
        assert darkest < 100  # the text is drawn


def test_preview_of_an_image_keeps_its_shape(tmp_path: Path) -> None:
    src = build_image(tmp_path / "in.heic", (1600, 900), "HEIF")

    dest = render_preview(src, tmp_path / "preview.png")

    with Image.open(dest) as image:
        assert image.size == (800, 450)


def test_preview_of_a_broken_pdf_fails_cleanly(tmp_path: Path) -> None:
    src = tmp_path / "bad.pdf"
    src.write_bytes(b"%PDF-1.7\nnot really\n")
    dest = tmp_path / "preview.png"

    with pytest.raises(CorruptFile):
        render_preview(src, dest)

    assert not dest.exists()
