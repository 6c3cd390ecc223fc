"""Pictures: decode checks, photo-mode JPEGs and page-fitted PDFs."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from bot.convert import (
    CorruptFile,
    FileKind,
    ImageTooLarge,
    Printable,
    detect_kind,
    to_printable,
)
from bot.convert.images import _save_jpeg_within
from bot.convert.paper import get_paper
from tests.convert.conftest import build_image, build_png_bomb, listing


def _drawn_image_size(pdf_path: Path) -> tuple[int, int]:
    page = PdfReader(pdf_path).pages[0]
    [image] = page.images
    return image.image.size if image.image else (0, 0)


async def test_photo_mode_keeps_a_jpeg(inbox: Path, work: Path) -> None:
    src = build_image(inbox / "in.jpg", (640, 480), "JPEG")

    result = await to_printable(
        src, work, kind=FileKind.JPEG, mode="photo", paper="ps_kg"
    )

    assert result == Printable(src, "jpg", 1, FileKind.JPEG)
    assert listing(work) == []


async def test_photo_mode_keeps_a_png(inbox: Path, work: Path) -> None:
    src = build_image(inbox / "in.png", (64, 48), "PNG")

    result = await to_printable(
        src, work, kind=FileKind.PNG, mode="photo", paper="ps_kg"
    )

    assert (result.path, result.extension) == (src, "png")


@pytest.mark.parametrize(
    ("fmt", "kind"),
    [
        ("HEIF", FileKind.HEIF),
        ("WEBP", FileKind.WEBP),
        ("BMP", FileKind.BMP),
        ("TIFF", FileKind.TIFF),
        ("GIF", FileKind.GIF),
    ],
)
async def test_photo_mode_turns_other_images_into_jpeg(
    inbox: Path, work: Path, fmt: str, kind: FileKind
) -> None:
    src = build_image(inbox / "in.bin", (120, 80), fmt)

    result = await to_printable(src, work, kind=kind, mode="photo", paper="ps_kg")

    assert (result.extension, result.page_count, result.kind) == ("jpg", 1, kind)
    assert result.path.parent == work
    assert detect_kind(result.path) is FileKind.JPEG
    with Image.open(result.path) as image:
        assert image.size == (120, 80)


async def test_heic_photo_is_turned_upright_by_its_exif_orientation(
    inbox: Path, work: Path
) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: display rotated 90 degrees clockwise
    src = build_image(inbox / "in.heic", (200, 100), "HEIF", exif=exif.tobytes())

    result = await to_printable(
        src, work, kind=FileKind.HEIF, mode="photo", paper="ps_kg"
    )

    with Image.open(result.path) as image:
        assert image.size == (100, 200)


async def test_transparent_webp_is_flattened_on_white(inbox: Path, work: Path) -> None:
    src = inbox / "in.webp"
    Image.new("RGBA", (10, 10), (255, 0, 0, 0)).save(src, "WEBP", lossless=True)

    result = await to_printable(
        src, work, kind=FileKind.WEBP, mode="photo", paper="ps_kg"
    )

    with Image.open(result.path) as image:
        red, green, blue = image.convert("RGB").getpixel((5, 5))  # type: ignore[misc]
    assert min(red, green, blue) > 245


async def test_gif_prints_its_first_frame(inbox: Path, work: Path) -> None:
    frames = [Image.new("RGB", (8, 8), color) for color in ("blue", "red")]
    src = inbox / "anim.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:])

    result = await to_printable(
        src, work, kind=FileKind.GIF, mode="photo", paper="ps_kg"
    )

    with Image.open(result.path) as image:
        red, _, blue = image.convert("RGB").getpixel((4, 4))  # type: ignore[misc]
    assert blue > 200
    assert red < 50


async def test_document_mode_fits_a_portrait_image_on_the_paper(
    inbox: Path, work: Path
) -> None:
    src = build_image(inbox / "in.jpg", (300, 600), "JPEG")
    letter = get_paper("ps_letter")

    result = await to_printable(
        src, work, kind=FileKind.JPEG, mode="document", paper="ps_letter"
    )

    page = PdfReader(result.path).pages[0]
    assert (result.extension, result.page_count) == ("pdf", 1)
    assert float(page.mediabox.width) == pytest.approx(letter.width_pt)
    assert float(page.mediabox.height) == pytest.approx(letter.height_pt)
    assert _drawn_image_size(result.path) == (300, 600)


async def test_document_mode_turns_a_landscape_image_to_fit(
    inbox: Path, work: Path
) -> None:
    src = build_image(inbox / "in.png", (600, 300), "PNG")

    result = await to_printable(
        src, work, kind=FileKind.PNG, mode="document", paper="ps_a4"
    )

    assert _drawn_image_size(result.path) == (300, 600)


async def test_document_mode_scales_large_images_down_to_print_resolution(
    inbox: Path, work: Path
) -> None:
    src = build_image(inbox / "in.jpg", (2000, 4000), "JPEG")

    result = await to_printable(
        src, work, kind=FileKind.JPEG, mode="document", paper="ps_a6"
    )

    width, height = _drawn_image_size(result.path)
    assert width < 2000
    assert height < 4000
    assert width / height == pytest.approx(0.5, abs=0.01)


async def test_borderless_document_fills_more_of_the_page(
    inbox: Path, work: Path
) -> None:
    src = build_image(inbox / "in.jpg", (100, 100), "JPEG")

    framed = await to_printable(
        src, work, kind=FileKind.JPEG, mode="document", paper="ps_a4"
    )
    edge = await to_printable(
        src, work, kind=FileKind.JPEG, mode="document", paper="ps_a4", borderless=True
    )

    assert _image_width_pt(edge.path) > _image_width_pt(framed.path)
    assert _image_width_pt(edge.path) == pytest.approx(
        get_paper("ps_a4").width_pt, rel=0.01
    )


def _image_width_pt(path: Path) -> float:
    """The width the page's one image is drawn at, from its ``cm`` operator."""
    content = PdfReader(path).pages[0].get_contents()
    assert content is not None
    match = re.search(rb"q ([\d.]+) 0 0 [\d.]+ [\d.]+ [\d.]+ cm /I", content.get_data())
    assert match is not None
    return float(match.group(1))


async def test_truncated_jpeg_is_corrupt(inbox: Path, work: Path) -> None:
    data = build_image(inbox / "full.jpg", (400, 300), "JPEG").read_bytes()
    src = inbox / "cut.jpg"
    src.write_bytes(data[: len(data) // 2])

    with pytest.raises(CorruptFile) as caught:
        await to_printable(src, work, kind=FileKind.JPEG, mode="photo", paper="ps_kg")

    assert caught.value.params == {"kind": "JPEG"}
    assert listing(work) == []


@pytest.mark.parametrize("mode", ["photo", "document"])
async def test_decompression_bomb_png_is_refused(
    png_bomb: Path, work: Path, mode: str
) -> None:
    with pytest.raises(ImageTooLarge) as caught:
        await to_printable(png_bomb, work, kind=FileKind.PNG, mode=mode, paper="ps_a4")

    assert caught.value.params == {"limit_mp": 80}
    assert listing(work) == []


async def test_image_just_over_the_pixel_limit_is_refused(
    inbox: Path, work: Path
) -> None:
    src = build_png_bomb(inbox / "big.png", side=9000)

    with pytest.raises(ImageTooLarge):
        await to_printable(src, work, kind=FileKind.PNG, mode="photo", paper="ps_a4")


async def test_image_of_another_format_than_detected_is_still_decoded(
    inbox: Path, work: Path
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (20, 10), "green").save(buffer, "PNG")
    src = inbox / "in.png"
    src.write_bytes(buffer.getvalue())

    result = await to_printable(
        src, work, kind=FileKind.PNG, mode="document", paper="ps_a5"
    )

    assert result.page_count == 1


def test_jpeg_too_detailed_for_the_cap_is_shrunk_to_fit(tmp_path: Path) -> None:
    noise = Image.merge("RGB", [Image.effect_noise((400, 400), 120) for _ in range(3)])
    dest = tmp_path / "out.jpg"

    _save_jpeg_within(noise, dest, 60_000)

    assert dest.stat().st_size <= 60_000
    with Image.open(dest) as image:
        assert image.width < 400
