"""A small PNG picture of the first page of a printable file."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
from PIL import Image

from bot.convert.errors import CorruptFile
from bot.convert.images import load_image, upright_rgb
from bot.convert.kinds import FileKind, detect_kind
from bot.convert.workfiles import removed_on_error


def preview_path(printable: Path) -> Path:
    """Where the preview of ``printable`` goes: beside it, named after it."""
    return printable.with_name(f"{printable.stem}.preview.png")


def render_preview(path: Path, dest: Path, *, max_side: int = 800) -> Path:
    """Draw page 1 of a PDF, or the image itself, as a PNG at most ``max_side`` wide.

    Args:
        path: A PDF or an image file.
        dest: Where to write the PNG.
        max_side: The longest side of the picture, in pixels.

    Returns:
        ``dest``.

    Raises:
        CorruptFile: The file does not render.
        UnsupportedFile: It is neither a PDF nor an image.
    """
    kind = detect_kind(path)
    if kind is FileKind.PDF:
        picture = _render_pdf(path, max_side)
    else:
        picture = upright_rgb(load_image(path, kind))
        picture.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    with removed_on_error(dest):
        picture.save(dest, "PNG")
    return dest


def _render_pdf(path: Path, max_side: int) -> Image.Image:
    """Page 1 rendered with pdfium at the scale that fits ``max_side``."""
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        raise CorruptFile("pdfium cannot open the PDF", kind="PDF") from exc
    try:
        page = document[0]
        width, height = page.get_size()
        scale = max_side / max(width, height, 1.0)
        image: Image.Image = page.render(scale=scale).to_pil()
        return image.convert("RGB")
    finally:
        document.close()
