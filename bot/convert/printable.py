"""Turning a received file into the one file Epson is sent, and choosing its pages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from bot.convert import images, pdf, text
from bot.convert.errors import (
    FileTooLarge,
    NupNeedsDocument,
    OfficeUnavailable,
    UnsupportedFile,
)
from bot.convert.intake import MAX_UPLOAD_BYTES
from bot.convert.kinds import IMAGE_KINDS, OFFICE_KINDS, FileKind
from bot.convert.office import OfficeConverter
from bot.convert.paper import get_paper

logger = logging.getLogger(__name__)

MODES = ("document", "photo")
KEPT_IN_PHOTO_MODE = {FileKind.JPEG: "jpg", FileKind.PNG: "png"}
# Every extension a printable file has.
PRINTABLE_EXTENSIONS = ("pdf", *KEPT_IN_PHOTO_MODE.values())
# PDFs up to this size are checked on the event loop, larger ones in a thread.
INLINE_PDF_BYTES = 128 * 1024


@dataclass(frozen=True)
class Printable:
    """The file that will be uploaded to Epson, and what it came from.

    Attributes:
        path: The file to upload.
        extension: ``"pdf"``, ``"jpg"`` or ``"png"``.
        page_count: Pages (sheets after n-up) in that file; 1 for an image.
        kind: What the user sent.
    """

    path: Path
    extension: str
    page_count: int
    kind: FileKind


async def to_printable(
    src: Path,
    work_dir: Path,
    *,
    kind: FileKind,
    mode: str,
    paper: str,
    borderless: bool = False,
    office: OfficeConverter | None = None,
) -> Printable:
    """Check or convert a received file into a PDF, JPEG or PNG for Epson.

    PDFs and (in photo mode) JPEG and PNG files are kept after checking; other
    images become a JPEG (photo mode) or a page-fitted PDF (document mode); text,
    Markdown and office files become PDFs on ``paper``.

    Args:
        src: The received file, as detected by ``detect_kind``.
        work_dir: Where new files go; the caller owns and removes it.
        kind: The detected kind of ``src``.
        mode: ``"document"`` or ``"photo"``.
        paper: The Epson paper-size value, such as ``"ps_a4"``.
        borderless: Fit images edge to edge instead of inside margins.
        office: The converter for office files; None when there is none.

    Returns:
        The printable file; it may be ``src`` itself.

    Raises:
        IntakeError: A subclass naming why the file cannot be printed.
        ValueError: ``mode`` or ``paper`` is not a known value.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    get_paper(paper)
    if kind in OFFICE_KINDS:
        result = await _from_office(src, work_dir, kind, office)
    elif _is_small_pdf(src, kind):
        result = _from_pdf(src, work_dir)
    else:
        result = await asyncio.to_thread(
            _convert_locally, src, work_dir, kind, mode, paper, borderless
        )
    _check_size(result, src)
    logger.debug(
        "Prepared %s as %s of %d pages", kind, result.extension, result.page_count
    )
    return result


def _is_small_pdf(src: Path, kind: FileKind) -> bool:
    """Whether ``src`` is a PDF to check on the event loop itself: reading a small
    one takes less time than the hand-over to a worker thread and back."""
    return kind is FileKind.PDF and src.stat().st_size <= INLINE_PDF_BYTES


def _convert_locally(
    src: Path, work_dir: Path, kind: FileKind, mode: str, paper: str, borderless: bool
) -> Printable:
    """Everything but office files, in a worker thread."""
    if kind is FileKind.PDF:
        return _from_pdf(src, work_dir)
    if kind in IMAGE_KINDS:
        return _from_image(src, work_dir, kind, mode, paper, borderless)
    if kind in (FileKind.TEXT, FileKind.MARKDOWN):
        return _from_text(src, work_dir, kind, paper)
    raise UnsupportedFile(f"No conversion for {kind}")


def _from_pdf(src: Path, work_dir: Path) -> Printable:
    """Keep a readable PDF, counted without pypdf when it is plainly written; an
    owner-locked one is saved unlocked."""
    pages = pdf.count_plain_pages(src)
    if pages is not None:
        return Printable(src, "pdf", pages, FileKind.PDF)
    with pdf.reading_pdf(src) as reader:
        path = pdf.write_unlocked(reader, work_dir) if reader.is_encrypted else src
        return Printable(path, "pdf", len(reader.pages), FileKind.PDF)


def _from_image(
    src: Path, work_dir: Path, kind: FileKind, mode: str, paper: str, borderless: bool
) -> Printable:
    """Photo mode: keep JPEG/PNG, make the rest JPEG. Document mode: fitted PDF."""
    if mode == "document":
        path = images.write_fitted_pdf(
            src, work_dir, kind, paper=paper, borderless=borderless
        )
        return Printable(path, "pdf", 1, kind)
    if kind in KEPT_IN_PHOTO_MODE:
        images.load_image(src, kind)
        return Printable(src, KEPT_IN_PHOTO_MODE[kind], 1, kind)
    return Printable(images.write_jpeg(src, work_dir, kind), "jpg", 1, kind)


def _from_text(src: Path, work_dir: Path, kind: FileKind, paper: str) -> Printable:
    """Lay out text or Markdown as a PDF on ``paper``."""
    content = src.read_text(encoding="utf-8", errors="replace")
    if kind is FileKind.MARKDOWN:
        path = text.write_markdown_pdf(content, work_dir, paper=paper)
    else:
        path = text.write_text_pdf(content, work_dir, paper=paper)
    return Printable(path, "pdf", pdf.count_pages(path), kind)


async def _from_office(
    src: Path, work_dir: Path, kind: FileKind, office: OfficeConverter | None
) -> Printable:
    """Convert through LibreOffice, then check the PDF like any other."""
    if office is None or not office.available:
        raise OfficeUnavailable(f"No LibreOffice to convert {kind}")
    path = await office.convert(src, work_dir, kind)
    try:
        pages = await asyncio.to_thread(pdf.count_pages, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Printable(path, "pdf", pages, kind)


def _check_size(result: Printable, src: Path) -> None:
    """Refuse a result over the upload cap, deleting it when we made it."""
    if result.path.stat().st_size <= MAX_UPLOAD_BYTES:
        return
    if result.path != src:
        result.path.unlink(missing_ok=True)
    raise FileTooLarge("The printable file is over the cap", limit=MAX_UPLOAD_BYTES)


def select_pages(
    printable: Printable,
    work_dir: Path,
    *,
    pages: Sequence[int] | None,
    nup: int,
    paper: str,
) -> Printable:
    """Keep the chosen pages, in order, and put ``nup`` of them on each sheet.

    Args:
        printable: The result of :func:`to_printable`.
        work_dir: Where the new file goes.
        pages: 1-based page numbers in print order; None for all.
        nup: Pages per sheet: 1, 2 or 4 (2-up turns the sheet to landscape).
        paper: The Epson paper-size value of the sheets.

    Returns:
        ``printable`` itself when nothing changes, else a new PDF whose
        ``page_count`` is its sheet count.

    Raises:
        NupNeedsDocument: ``nup`` > 1 asked of an image.
        ValueError: A page number is out of range or ``nup`` is not 1, 2 or 4.
    """
    if pages is None and nup == 1:
        return printable
    if printable.extension != "pdf":
        if nup > 1:
            raise NupNeedsDocument("Several pages per sheet need a document")
        if list(pages or []) != [1]:
            raise ValueError(f"An image has page 1 only, not {list(pages or [])}")
        return printable
    path, sheets = pdf.write_selection(
        printable.path, work_dir, pages=pages, nup=nup, paper=paper
    )
    _check_size(replace(printable, path=path), printable.path)
    return replace(printable, path=path, page_count=sheets)
