"""PDF checks, page selection and n-up sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from bot.convert import (
    CorruptFile,
    EncryptedPdf,
    FileKind,
    NupNeedsDocument,
    Printable,
    TooManyPages,
    count_pages,
    select_pages,
    to_printable,
)
from bot.convert.paper import get_paper
from tests.convert.conftest import build_blank_pdf, build_image, build_pdf, listing


def _page_texts(path: Path) -> list[str]:
    return [page.extract_text().strip() for page in PdfReader(path).pages]


def _pdf_printable(path: Path) -> Printable:
    return Printable(path, "pdf", count_pages(path), FileKind.PDF)


async def test_pdf_is_kept_as_it_is(inbox: Path, work: Path) -> None:
    src = build_pdf(inbox / "in.pdf", 3)

    result = await to_printable(
        src, work, kind=FileKind.PDF, mode="document", paper="ps_a4"
    )

    assert result == Printable(src, "pdf", 3, FileKind.PDF)
    assert listing(work) == []


async def test_encrypted_pdf_is_refused(inbox: Path, work: Path) -> None:
    writer = PdfWriter(clone_from=build_pdf(inbox / "plain.pdf", 1))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-128")
    src = inbox / "locked.pdf"
    writer.write(src)

    with pytest.raises(EncryptedPdf) as caught:
        await to_printable(src, work, kind=FileKind.PDF, mode="document", paper="ps_a4")

    assert caught.value.key == "intake.encrypted_pdf"
    assert listing(work) == []


async def test_owner_locked_pdf_is_printed_from_an_unlocked_copy(
    inbox: Path, work: Path
) -> None:
    writer = PdfWriter(clone_from=build_pdf(inbox / "plain.pdf", 2))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    src = inbox / "restricted.pdf"
    writer.write(src)

    result = await to_printable(
        src, work, kind=FileKind.PDF, mode="document", paper="ps_a4"
    )

    assert result.path.parent == work
    assert not PdfReader(result.path).is_encrypted
    assert _page_texts(result.path) == ["Page 1", "Page 2"]


@pytest.mark.parametrize("fraction", [0.3, 0.9])
async def test_truncated_pdf_is_corrupt(
    inbox: Path, work: Path, fraction: float
) -> None:
    data = build_pdf(inbox / "full.pdf", 3).read_bytes()
    src = inbox / "cut.pdf"
    src.write_bytes(data[: int(len(data) * fraction)])

    with pytest.raises(CorruptFile) as caught:
        await to_printable(src, work, kind=FileKind.PDF, mode="document", paper="ps_a4")

    assert caught.value.params == {"kind": "PDF"}
    assert listing(work) == []


async def test_pdf_with_too_many_pages_is_refused(inbox: Path, work: Path) -> None:
    src = build_blank_pdf(inbox / "long.pdf", 501)

    with pytest.raises(TooManyPages) as caught:
        await to_printable(src, work, kind=FileKind.PDF, mode="document", paper="ps_a4")

    assert caught.value.params == {"limit": 500}


def test_select_pages_keeps_the_asked_order(inbox: Path, work: Path) -> None:
    printable = _pdf_printable(build_pdf(inbox / "in.pdf", 4))

    result = select_pages(printable, work, pages=[3, 1], nup=1, paper="ps_a4")

    assert result.page_count == 2
    assert _page_texts(result.path) == ["Page 3", "Page 1"]


def test_select_pages_without_change_returns_the_same_printable(
    inbox: Path, work: Path
) -> None:
    printable = _pdf_printable(build_pdf(inbox / "in.pdf", 2))

    assert select_pages(printable, work, pages=None, nup=1, paper="ps_a4") is printable


def test_two_up_puts_pages_side_by_side_on_a_landscape_sheet(
    inbox: Path, work: Path
) -> None:
    printable = _pdf_printable(build_pdf(inbox / "in.pdf", 5))
    a4 = get_paper("ps_a4")

    result = select_pages(printable, work, pages=None, nup=2, paper="ps_a4")

    sheets = PdfReader(result.path).pages
    assert result.page_count == len(sheets) == 3
    assert float(sheets[0].mediabox.width) == pytest.approx(a4.height_pt)
    assert float(sheets[0].mediabox.height) == pytest.approx(a4.width_pt)
    assert _page_texts(result.path)[0].split() == ["Page", "1", "Page", "2"]


def test_four_up_with_selection_counts_sheets(inbox: Path, work: Path) -> None:
    printable = _pdf_printable(build_pdf(inbox / "in.pdf", 6))

    result = select_pages(
        printable, work, pages=[6, 5, 4, 3, 2], nup=4, paper="ps_letter"
    )

    sheets = PdfReader(result.path).pages
    assert result.page_count == len(sheets) == 2
    assert float(sheets[0].mediabox.width) < float(sheets[0].mediabox.height)
    assert "Page 6" in _page_texts(result.path)[0]
    assert _page_texts(result.path)[1] == "Page 2"


def test_four_up_of_landscape_pages_uses_a_landscape_sheet(
    inbox: Path, work: Path
) -> None:
    printable = _pdf_printable(build_pdf(inbox / "wide.pdf", 4, size=(842, 595)))

    result = select_pages(printable, work, pages=None, nup=4, paper="ps_a4")

    sheet = PdfReader(result.path).pages[0]
    assert result.page_count == 1
    assert float(sheet.mediabox.width) > float(sheet.mediabox.height)
    assert _page_texts(result.path)[0].splitlines() == [
        "Page 1 Page 2",
        "Page 3 Page 4",
    ]


def test_two_up_of_landscape_pages_stacks_them_on_a_portrait_sheet(
    inbox: Path, work: Path
) -> None:
    printable = _pdf_printable(build_pdf(inbox / "wide.pdf", 2, size=(842, 595)))

    result = select_pages(printable, work, pages=None, nup=2, paper="ps_a4")

    sheet = PdfReader(result.path).pages[0]
    assert float(sheet.mediabox.width) < float(sheet.mediabox.height)
    assert _page_texts(result.path)[0].splitlines() == ["Page 1", "Page 2"]


def test_n_up_turns_a_page_that_does_not_match_the_slot(
    inbox: Path, work: Path
) -> None:
    writer = PdfWriter(clone_from=build_pdf(inbox / "in.pdf", 2))
    writer.pages[1].rotate(90)
    src = inbox / "mixed.pdf"
    writer.write(src)

    result = select_pages(_pdf_printable(src), work, pages=None, nup=2, paper="ps_a4")

    assert result.page_count == 1
    assert _page_texts(result.path)[0].split() == ["Page", "1", "Page", "2"]


def test_select_pages_refuses_page_out_of_range(inbox: Path, work: Path) -> None:
    printable = _pdf_printable(build_pdf(inbox / "in.pdf", 2))

    with pytest.raises(ValueError, match="outside"):
        select_pages(printable, work, pages=[3], nup=1, paper="ps_a4")

    assert listing(work) == []


def test_n_up_of_an_image_needs_a_document(inbox: Path, work: Path) -> None:
    src = build_image(inbox / "a.jpg", (40, 30), "JPEG")
    printable = Printable(src, "jpg", 1, FileKind.JPEG)

    with pytest.raises(NupNeedsDocument) as caught:
        select_pages(printable, work, pages=None, nup=2, paper="ps_a4")

    assert caught.value.key == "intake.nup_needs_document"


def test_image_printable_without_changes_is_returned_unchanged(
    inbox: Path, work: Path
) -> None:
    src = build_image(inbox / "a.jpg", (40, 30), "JPEG")
    printable = Printable(src, "jpg", 1, FileKind.JPEG)

    assert select_pages(printable, work, pages=None, nup=1, paper="ps_a4") is printable
