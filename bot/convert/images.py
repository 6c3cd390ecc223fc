"""Decoding pictures safely, and turning them into a JPEG or a page-sized PDF."""

from __future__ import annotations

import io
import logging
import warnings
from pathlib import Path

import pillow_heif
from fpdf import FPDF
from PIL import Image, ImageOps

from bot.convert.errors import CorruptFile, ImageTooLarge
from bot.convert.intake import MAX_UPLOAD_BYTES
from bot.convert.kinds import FileKind
from bot.convert.paper import MM_PER_INCH, POINTS_PER_INCH, get_paper
from bot.convert.workfiles import output_path, removed_on_error

logger = logging.getLogger(__name__)

MAX_IMAGE_PIXELS = 80_000_000
JPEG_QUALITY = 92
PRINT_DPI = 300
MARGIN_MM = 6.0
LOSSLESS_KINDS = frozenset({FileKind.PNG, FileKind.GIF, FileKind.BMP})
LOSSLESS_MAX_PIXELS = 4_000_000
SHRINK_TRIES = 4

# Pillow refuses images over twice its limit and only warns between once and twice;
# we make the warning an error once, here, so every decode sees the same limit.
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
warnings.filterwarnings("error", category=Image.DecompressionBombWarning)
pillow_heif.register_heif_opener()


def load_image(path: Path, kind: FileKind) -> Image.Image:
    """Decode the first frame of an image, refusing bombs and broken files.

    Args:
        path: The image file.
        kind: Its detected kind, named in the error when it does not decode.

    Returns:
        The decoded first frame (GIF, TIFF), as stored: orientation not applied.

    Raises:
        ImageTooLarge: It has more than ``MAX_IMAGE_PIXELS`` pixels.
        CorruptFile: It does not decode.
    """
    try:
        # From memory: a multi-frame file would otherwise keep its handle open.
        image = Image.open(io.BytesIO(path.read_bytes()))
        _check_pixels(image.size)
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageTooLarge(str(exc), limit=MAX_IMAGE_PIXELS) from exc
    except ImageTooLarge:
        raise
    # Decoders raise OSError, SyntaxError, ValueError and others on broken data.
    except Exception as exc:
        raise CorruptFile(f"Undecodable {kind}: {exc}", kind=kind.upper()) from exc
    return image


def _check_pixels(size: tuple[int, int]) -> None:
    """Refuse sizes over the limit even where a plug-in skips Pillow's check."""
    if size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise ImageTooLarge(f"{size[0]}x{size[1]} pixels", limit=MAX_IMAGE_PIXELS)


def upright_rgb(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation and flatten any transparency onto white."""
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def write_jpeg(src: Path, work_dir: Path, kind: FileKind) -> Path:
    """Save an upright, opaque JPEG of the image in ``work_dir``."""
    image = upright_rgb(load_image(src, kind))
    dest = output_path(work_dir, ".jpg")
    with removed_on_error(dest):
        _save_jpeg_within(image, dest, MAX_UPLOAD_BYTES)
    return dest


def _save_jpeg_within(image: Image.Image, dest: Path, limit: int) -> None:
    """Save as JPEG, shrinking a picture too detailed to fit the upload cap.

    Only huge, noisy pictures (tens of megapixels) need this; each try keeps
    three quarters of the width and height.
    """
    for _ in range(SHRINK_TRIES):
        image.save(dest, "JPEG", quality=JPEG_QUALITY, optimize=True)
        if dest.stat().st_size <= limit:
            return
        size = (max(1, image.width * 3 // 4), max(1, image.height * 3 // 4))
        logger.info("JPEG over %d bytes; shrinking to %dx%d", limit, *size)
        image = image.resize(size, Image.Resampling.LANCZOS)


def write_fitted_pdf(
    src: Path, work_dir: Path, kind: FileKind, *, paper: str, borderless: bool
) -> Path:
    """Save a one-page PDF of ``paper`` size with the image fitted on it.

    The image keeps its aspect ratio, is centred, turned a quarter when it is
    landscape (sheets are portrait), and scaled down to ``PRINT_DPI``.
    """
    image = upright_rgb(load_image(src, kind))
    if image.width > image.height:
        image = image.transpose(Image.Transpose.ROTATE_90)
    size = get_paper(paper)
    margin = 0.0 if borderless else MARGIN_MM / MM_PER_INCH * POINTS_PER_INCH
    box = (size.width_pt - 2 * margin, size.height_pt - 2 * margin)
    scale = min(box[0] / image.width, box[1] / image.height)
    draw = (image.width * scale, image.height * scale)
    encoded = _encode_for_pdf(_reduce(image, draw), kind)

    pdf = FPDF(unit="pt", format=(size.width_pt, size.height_pt))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.add_page()
    x, y = (size.width_pt - draw[0]) / 2, (size.height_pt - draw[1]) / 2
    pdf.image(encoded, x=x, y=y, w=draw[0], h=draw[1])
    return _save_pdf(pdf, work_dir)


def _reduce(image: Image.Image, draw: tuple[float, float]) -> Image.Image:
    """Scale down to what the printer resolves in the drawn area; never up."""
    target_w = round(draw[0] / POINTS_PER_INCH * PRINT_DPI)
    if image.width <= target_w:
        return image
    target_h = max(1, round(image.height * target_w / image.width))
    return image.resize((target_w, target_h), Image.Resampling.LANCZOS)


def _encode_for_pdf(image: Image.Image, kind: FileKind) -> io.BytesIO:
    """PNG for small lossless sources (screenshots stay sharp), JPEG otherwise."""
    buffer = io.BytesIO()
    if kind in LOSSLESS_KINDS and image.width * image.height <= LOSSLESS_MAX_PIXELS:
        image.save(buffer, "PNG")
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    buffer.seek(0)
    return buffer


def _save_pdf(pdf: FPDF, work_dir: Path) -> Path:
    """Write an fpdf2 document to a new file in ``work_dir``."""
    dest = output_path(work_dir, ".pdf")
    with removed_on_error(dest):
        pdf.output(str(dest))
    return dest
