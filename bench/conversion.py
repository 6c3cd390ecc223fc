"""Conversion: DOCX to PDF with LibreOffice kept warm or started cold, and photos."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from PIL import Image

from bench.files import write_docx, write_photo
from bench.results import Figure, at_least, info
from bot.convert import FileKind, OfficeConverter, to_printable

WARM_TARGET = 3.0


async def office(root: Path, warm_files: int, cold_files: int) -> list[Figure]:
    """Seconds per DOCX through the warm LibreOffice and through cold starts."""
    await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    docx = write_docx(root / "letter.docx")
    async with OfficeConverter(warm=True, prewarm=True) as converter:
        await converter.convert(docx, root, FileKind.DOCX)  # the start is not timed
        warm = await _seconds_per_file(converter, docx, root, warm_files)
        stayed_warm = converter.warm
    async with OfficeConverter(warm=False) as converter:
        cold = await _seconds_per_file(converter, docx, root, cold_files)
    return [
        at_least(
            "conversion.docx_warm_speedup",
            cold / warm if stayed_warm else 0.0,
            WARM_TARGET,
            warm_ms=warm * 1000,
            cold_ms=cold * 1000,
        )
    ]


async def _seconds_per_file(
    converter: OfficeConverter, docx: Path, out: Path, count: int
) -> float:
    start = time.perf_counter()
    for _ in range(count):
        (await converter.convert(docx, out, FileKind.DOCX)).unlink()
    return (time.perf_counter() - start) / count


async def photos(root: Path, count: int) -> list[Figure]:
    """12-megapixel WebP photos to print-ready JPEGs, per second."""
    await asyncio.to_thread(root.mkdir, parents=True, exist_ok=True)
    source = write_photo(root / "photo.png")
    photo = root / "photo.webp"
    with Image.open(source) as image:
        image.save(photo, "WEBP", quality=90)
    start = time.perf_counter()
    for _ in range(count):
        printable = await to_printable(
            photo, root, kind=FileKind.WEBP, mode="photo", paper="ps_a4"
        )
        printable.path.unlink()
    elapsed = time.perf_counter() - start
    return [info("conversion.photos_per_second", count / elapsed, "/s", files=count)]
