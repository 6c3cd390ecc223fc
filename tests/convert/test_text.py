"""Plain text and Markdown laid out as PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.convert import FileKind, TooManyPages, to_printable
from bot.convert.fonts import find_fonts
from bot.convert.paper import get_paper
from tests.convert.conftest import listing


def _text_of(path: Path) -> str:
    # CID-keyed (CJK) text extracts with NUL padding between characters.
    pages = (page.extract_text() for page in PdfReader(path).pages)
    return "\n".join(pages).replace("\x00", "")


def _fonts_of(path: Path) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(path).pages:
        fonts = page["/Resources"]["/Font"]  # type: ignore[index]
        names |= {str(fonts[key]["/BaseFont"]) for key in fonts}
    return names


async def test_text_becomes_a_pdf_on_the_paper_size(inbox: Path, work: Path) -> None:
    src = inbox / "note.txt"
    src.write_text("Shopping list\n\n\teggs\n\tmilk\n", encoding="utf-8")

    result = await to_printable(
        src, work, kind=FileKind.TEXT, mode="document", paper="ps_a5"
    )

    page = PdfReader(result.path).pages[0]
    assert (result.extension, result.page_count) == ("pdf", 1)
    assert float(page.mediabox.width) == pytest.approx(
        get_paper("ps_a5").width_pt, abs=0.01
    )
    assert "Shopping list" in _text_of(result.path)
    assert any("Mono" in name for name in _fonts_of(result.path))


async def test_long_lines_wrap_and_long_text_flows_onto_pages(
    inbox: Path, work: Path
) -> None:
    long_word = "x" * 500
    src = inbox / "long.txt"
    src.write_text(f"{long_word}\n" + "line\n" * 200, encoding="utf-8")

    result = await to_printable(
        src, work, kind=FileKind.TEXT, mode="document", paper="ps_a4"
    )

    assert result.page_count > 2
    assert _text_of(result.path).count("x") == 500


async def test_text_keeps_accents_and_marks_missing_glyphs(
    inbox: Path, work: Path
) -> None:
    src = inbox / "mixed.txt"
    src.write_text("Crème brûlée – Ελληνικά – 列印\n", encoding="utf-8")

    result = await to_printable(
        src, work, kind=FileKind.TEXT, mode="document", paper="ps_a4"
    )

    text = _text_of(result.path)
    assert "Crème brûlée" in text
    assert "Ελληνικά" in text
    if find_fonts().cjk is not None:
        assert "列印" in text
    else:
        assert "\ufffd" in text


async def test_markdown_renders_headings_lists_and_emphasis(
    inbox: Path, work: Path
) -> None:
    src = inbox / "readme.md"
    src.write_text(
        "# Party plan\n\nBring **snacks** and *drinks* -- see [map](https://x.y).\n\n"
        "- first\n- second\n  1. nested\n\n> quoted\n\n```\ncode  here\n```\n\n---\n",
        encoding="utf-8",
    )

    result = await to_printable(
        src, work, kind=FileKind.MARKDOWN, mode="document", paper="ps_letter"
    )

    text = _text_of(result.path)
    assert "Party plan" in text
    assert "#" not in text
    assert "snacks" in text
    assert "**" not in text
    assert "-- see map <https://x.y>" in text
    assert "\u2022" in text
    assert "nested" in text
    assert "code  here" in text
    assert any("Bold" in name for name in _fonts_of(result.path))


async def test_text_over_the_page_limit_is_refused(inbox: Path, work: Path) -> None:
    src = inbox / "huge.txt"
    src.write_text("line\n" * 60_000, encoding="utf-8")

    with pytest.raises(TooManyPages):
        await to_printable(
            src, work, kind=FileKind.TEXT, mode="document", paper="ps_kg"
        )

    assert listing(work) == []
