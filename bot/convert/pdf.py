"""PDF checks, page counts, page selection and several pages per sheet (n-up)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from pypdf import PageObject, PasswordType, PdfReader, PdfWriter, Transformation

from bot.convert.errors import CorruptFile, EncryptedPdf, TooManyPages
from bot.convert.paper import MM_PER_INCH, POINTS_PER_INCH, get_paper
from bot.convert.pdf_structure import quick_page_count
from bot.convert.workfiles import output_path, removed_on_error

logger = logging.getLogger(__name__)

MAX_PDF_PAGES = 500
NUP_GAP_MM = 4.0


@contextmanager
def reading_pdf(path: Path) -> Iterator[PdfReader]:
    """Open the PDF at ``path`` as :func:`open_pdf` does, reading it from disk.

    pypdf reads a file given by name into memory whole; given an open file it
    reads only the parts it needs, so a 19 MB scan costs kilobytes to check.
    """
    with path.open("rb") as handle:
        yield open_pdf(handle)


def open_pdf(path: Path | BinaryIO) -> PdfReader:
    """Open a PDF that must be readable, unlocked and of an acceptable length.

    A PDF locked only by an owner password (no password needed to open) is
    unlocked in memory; the caller writes a copy when it needs the file itself.
    Prefer :func:`reading_pdf` for files that may be large.

    Raises:
        CorruptFile: The file does not parse as a PDF or has no pages.
        EncryptedPdf: Opening it needs a password.
        TooManyPages: It has more than ``MAX_PDF_PAGES`` pages.
    """
    try:
        reader = PdfReader(path, strict=False)
        _unlock(reader)
        count = len(reader.pages)
    except EncryptedPdf:
        raise
    # pypdf raises many types on malformed input; every one means "unreadable".
    except Exception as exc:
        raise CorruptFile(f"Unreadable PDF: {type(exc).__name__}", kind="PDF") from exc
    _check_page_count(count)
    return reader


def count_plain_pages(path: Path) -> int | None:
    """The page count of a plainly written PDF, read without pypdf.

    Most PDFs (one classic cross-reference table, no encryption, no later
    revisions) are read this way for a small share of what pypdf costs.

    Returns:
        The page count, checked as :func:`open_pdf` checks it; None when the
        file is of another shape, and only :func:`open_pdf` can tell.

    Raises:
        CorruptFile: The PDF has no pages.
        TooManyPages: It has more than ``MAX_PDF_PAGES`` pages.
    """
    count = quick_page_count(path, max_pages=MAX_PDF_PAGES)
    if count is not None:
        _check_page_count(count)
    return count


def _check_page_count(count: int) -> None:
    """Refuse a PDF without pages or with more than we send in one job."""
    if count == 0:
        raise CorruptFile("A PDF without pages", kind="PDF")
    if count > MAX_PDF_PAGES:
        raise TooManyPages(f"A PDF of {count} pages", limit=MAX_PDF_PAGES)


def _unlock(reader: PdfReader) -> None:
    """Open an encrypted PDF with the empty password, or refuse it."""
    if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
        raise EncryptedPdf("The PDF needs a password")


def count_pages(path: Path) -> int:
    """The number of pages in the PDF at ``path``, without pypdf when it can.

    Raises:
        CorruptFile, EncryptedPdf, TooManyPages: As :func:`open_pdf`.
    """
    count = count_plain_pages(path)
    if count is not None:
        return count
    with reading_pdf(path) as reader:
        return len(reader.pages)


def write_unlocked(reader: PdfReader, work_dir: Path) -> Path:
    """Save a decrypted copy of an owner-locked PDF in ``work_dir``."""
    dest = output_path(work_dir, ".pdf")
    with removed_on_error(dest):
        writer = PdfWriter(clone_from=reader)
        writer.write(dest)
    return dest


def write_selection(
    src: Path, work_dir: Path, *, pages: Sequence[int] | None, nup: int, paper: str
) -> tuple[Path, int]:
    """Write the chosen pages of ``src``, ``nup`` to a sheet of ``paper``.

    Args:
        src: A PDF already checked by :func:`open_pdf`.
        work_dir: Where the new file goes.
        pages: 1-based page numbers in print order; None for every page.
        nup: Pages per sheet: 1, 2 or 4.
        paper: The Epson paper-size value of the sheets.

    Returns:
        The new file and its sheet count.

    Raises:
        ValueError: A page number is out of range or ``nup`` is not 1, 2 or 4.
    """
    if nup not in (1, 2, 4):
        raise ValueError(f"nup must be 1, 2 or 4, not {nup}")
    dest = output_path(work_dir, ".pdf")
    with reading_pdf(src) as reader, removed_on_error(dest):
        chosen = list(_chosen_pages(reader, pages))
        writer = PdfWriter()
        placed = [writer.add_page(page) for page in chosen]
        if nup > 1:
            _arrange(writer, placed, nup, paper)
        writer.write(dest)
    return dest, len(writer.pages)


def _chosen_pages(
    reader: PdfReader, pages: Sequence[int] | None
) -> Iterator[PageObject]:
    """The reader's pages in the order asked, checking each number."""
    numbers = range(1, len(reader.pages) + 1) if pages is None else pages
    for number in numbers:
        if not 1 <= number <= len(reader.pages):
            raise ValueError(f"Page {number} is outside 1..{len(reader.pages)}")
        yield reader.pages[number - 1]


def _arrange(writer: PdfWriter, pages: list[PageObject], nup: int, paper: str) -> None:
    """Place pages on sheets in reading order, slots shaped like the first page.

    Portrait pages go 2-up side by side on a landscape sheet and 4-up on a portrait
    one; landscape pages go 2-up one above the other on a portrait sheet and 4-up
    on a landscape one.
    """
    size = get_paper(paper)
    sheet_w, sheet_h = size.width_pt, size.height_pt
    if _is_landscape(pages[0]) != (nup == 2):
        sheet_w, sheet_h = sheet_h, sheet_w
    cols, rows = (2, 2) if nup == 4 else (2, 1) if sheet_w > sheet_h else (1, 2)
    slot_w, slot_h = sheet_w / cols, sheet_h / rows

    for first in range(0, len(pages), nup):
        sheet = writer.add_blank_page(sheet_w, sheet_h)
        for index, page in enumerate(pages[first : first + nup]):
            col, row = index % cols, index // cols
            origin = (col * slot_w, sheet_h - (row + 1) * slot_h)
            _place(sheet, page, origin, (slot_w, slot_h))

    # pypdf only transforms pages that belong to a writer: the pages were added to
    # place them, and now go, with the objects only they used.
    for _ in pages:
        writer.remove_page(0)
    writer.compress_identical_objects()
    logger.debug("Arranged %d pages %d-up on %s", len(pages), nup, paper)


def _is_landscape(page: PageObject) -> bool:
    """Whether the page shows wider than tall, its /Rotate included."""
    wide = float(page.cropbox.width) > float(page.cropbox.height)
    return wide != (page.rotation % 180 == 90)


def _place(
    sheet: PageObject,
    page: PageObject,
    origin: tuple[float, float],
    slot: tuple[float, float],
) -> None:
    """Scale ``page`` into the slot at ``origin``, centred, turned to fit best."""
    page.transfer_rotation_to_content()
    box = page.cropbox
    width, height = float(box.width), float(box.height)
    move = Transformation().translate(-float(box.left), -float(box.bottom))
    if (width > height) != (slot[0] > slot[1]):
        move = move.rotate(90).translate(height, 0)
        width, height = height, width

    gap = NUP_GAP_MM / MM_PER_INCH * POINTS_PER_INCH
    room_w, room_h = slot[0] - 2 * gap, slot[1] - 2 * gap
    scale = min(room_w / width, room_h / height)
    x = origin[0] + (slot[0] - width * scale) / 2
    y = origin[1] + (slot[1] - height * scale) / 2
    sheet.merge_transformed_page(page, move.scale(scale).translate(x, y))
