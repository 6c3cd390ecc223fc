"""Plain text and Markdown laid out as a PDF on the chosen paper size.

Known shortcoming: where no CJK font is installed (Noto CJK, WenQuanYi, Droid Sans
Fallback), characters that DejaVu lacks print as a replacement mark; install
``fonts-noto-cjk`` on the host to print Chinese text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from fpdf import FPDF

from bot.convert.errors import TooManyPages
from bot.convert.fonts import FontSet, covered_codepoints, find_fonts
from bot.convert.paper import get_paper
from bot.convert.pdf import MAX_PDF_PAGES
from bot.convert.workfiles import output_path, removed_on_error

logger = logging.getLogger(__name__)

BODY_PT = 10.5
MONO_PT = 9.5
LINE_FACTOR = 1.35
HEADING_PT = {1: 20.0, 2: 16.0, 3: 13.5, 4: 12.0, 5: 11.0, 6: 11.0}
TAB_WIDTH = 4
REPLACEMENT = "\ufffd"
PT_PER_MM = 72 / 25.4
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$")
_QUOTE = re.compile(r"^\s*>\s?(.*)$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")
_INLINE = re.compile(
    r"!\[(?P<alt>[^\]]*)\]\([^)]*\)"
    r"|\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)[^)]*\)"
    r"|`(?P<code>[^`]+)`"
    r"|(\*\*|__)(?P<bold>.+?)\5"
    r"|(?<![\w*])\*(?P<star>[^*\s][^*]*?)\*(?![\w*])"
    r"|(?<![\w_])_(?P<under>[^_\s][^_]*?)_(?![\w_])"
)
_FPDF_MARKERS = ("**", "__", "~~", "--")


class _Page:
    """An fpdf2 document on one paper size with our fonts and a page-count guard."""

    def __init__(self, paper: str, fonts: FontSet) -> None:
        size = get_paper(paper)
        margin = min(15.0, size.width_mm * 0.08)
        self.pdf = FPDF(unit="mm", format=(size.width_mm, size.height_mm))
        self.pdf.set_margins(margin, margin, margin)
        self.pdf.set_auto_page_break(True, margin)
        self.sans, self.mono = _register_fonts(self.pdf, fonts)
        self.cover = _coverage(fonts)
        self.pdf.add_page()

    def clean(self, text: str) -> str:
        """Swap characters no installed font can draw for a replacement mark."""
        if self.cover is None:
            return text.encode("latin-1", "replace").decode("latin-1")
        mark = REPLACEMENT if ord(REPLACEMENT) in self.cover else "?"
        return "".join(c if ord(c) in self.cover or c == "\n" else mark for c in text)

    def write(self, text: str, *, size: float, markdown: bool = False) -> None:
        """Write a wrapped block at the current position, then move below it."""
        self.pdf.multi_cell(
            0, size / PT_PER_MM * LINE_FACTOR, text, markdown=markdown,
            align="L", new_x="LMARGIN", new_y="NEXT",
        )  # fmt: skip
        if self.pdf.page > MAX_PDF_PAGES:
            raise TooManyPages("Text longer than the page limit", limit=MAX_PDF_PAGES)

    def lines_per_page(self, size: float) -> int:
        """How many lines of the given font size fit on one page."""
        usable = self.pdf.h - self.pdf.t_margin - self.pdf.b_margin
        return int(usable / (size / PT_PER_MM * LINE_FACTOR))

    def gap(self, size: float) -> None:
        """Leave a blank line of the given font size."""
        self.pdf.ln(size / PT_PER_MM * LINE_FACTOR)

    def save(self, work_dir: Path) -> Path:
        """Write the document to a new file in ``work_dir``."""
        dest = output_path(work_dir, ".pdf")
        with removed_on_error(dest):
            self.pdf.output(str(dest))
        return dest


def _register_fonts(pdf: FPDF, fonts: FontSet) -> tuple[str, str]:
    """Add the found fonts to ``pdf``; returns the sans and mono family names."""
    if fonts.sans is None or fonts.mono is None:
        logger.warning("DejaVu fonts not found: text prints in Latin-1 core fonts")
        return "Helvetica", "Courier"
    pdf.add_font("sans", "", fonts.sans)
    pdf.add_font("sans", "B", fonts.sans_bold or fonts.sans)
    pdf.add_font("sans", "I", fonts.sans_italic or fonts.sans)
    pdf.add_font("sans", "BI", fonts.sans_bold or fonts.sans)
    pdf.add_font("mono", "", fonts.mono)
    if fonts.cjk is not None and _add_cjk(pdf, fonts.cjk):
        pdf.set_fallback_fonts(["cjk"])
    return "sans", "mono"


def _add_cjk(pdf: FPDF, path: Path) -> bool:
    """Add the CJK font as a fallback; a font fpdf2 cannot read is skipped."""
    try:
        pdf.add_font("cjk", "", path)
    # fpdf2 and fontTools raise assorted errors on fonts they cannot embed.
    except Exception:
        logger.warning("CJK font %s could not be loaded; skipping it", path)
        return False
    return True


def _coverage(fonts: FontSet) -> frozenset[int] | None:
    """Code points some registered font draws; None for core (Latin-1) fonts."""
    if fonts.sans is None or fonts.mono is None:
        return None
    paths = [fonts.sans, fonts.mono] + ([fonts.cjk] if fonts.cjk else [])
    cover: frozenset[int] = frozenset()
    for path in paths:
        cover |= covered_codepoints(path)
    return cover


def write_text_pdf(text: str, work_dir: Path, *, paper: str) -> Path:
    """Lay out plain text in a monospace font, wrapping long lines.

    Raises:
        TooManyPages: The text needs more than ``MAX_PDF_PAGES`` pages.
    """
    page = _Page(paper, find_fonts())
    page.pdf.set_font(page.mono, size=MONO_PT)
    lines = list(_lines(text))
    if len(lines) > MAX_PDF_PAGES * page.lines_per_page(MONO_PT):
        # Each line takes at least one line of height: refuse before laying out.
        raise TooManyPages(f"{len(lines)} lines of text", limit=MAX_PDF_PAGES)
    for line in lines:
        if line.strip():
            page.write(page.clean(line), size=MONO_PT)
        else:
            page.gap(MONO_PT)
    return page.save(work_dir)


def _lines(text: str) -> Iterable[str]:
    """Lines with tabs expanded and a leading byte-order mark removed."""
    for line in text.removeprefix("\ufeff").splitlines():
        yield line.expandtabs(TAB_WIDTH)


def write_markdown_pdf(text: str, work_dir: Path, *, paper: str) -> Path:
    """Lay out Markdown: headings, paragraphs, lists, quotes, code, bold, italics.

    Tables, nested quotes and HTML print as the text they are written in.

    Raises:
        TooManyPages: The text needs more than ``MAX_PDF_PAGES`` pages.
    """
    page = _Page(paper, find_fonts())
    for block, kind in _blocks(list(_lines(text))):
        _BLOCK_WRITERS[kind](page, block)
    return page.save(work_dir)


def _blocks(lines: list[str]) -> Iterable[tuple[str, str]]:
    """Split Markdown lines into (text, kind) blocks."""
    paragraph: list[str] = []
    in_code = False
    for line in lines:
        if _FENCE.match(line):
            in_code = not in_code
            yield from _flush(paragraph)
            continue
        if in_code:
            yield line, "code"
            continue
        kind = _line_kind(line)
        if kind == "paragraph":
            paragraph.append(line.strip())
            continue
        yield from _flush(paragraph)
        yield line, kind
    yield from _flush(paragraph)


def _flush(paragraph: list[str]) -> Iterable[tuple[str, str]]:
    """The pending paragraph as one block, emptying the list."""
    if paragraph:
        yield " ".join(paragraph), "paragraph"
        paragraph.clear()


def _line_kind(line: str) -> str:
    """What one Markdown line outside code fences starts."""
    if not line.strip():
        return "blank"
    if _RULE.match(line):
        return "rule"
    for pattern, kind in (
        (_HEADING, "heading"),
        (_LIST_ITEM, "item"),
        (_QUOTE, "quote"),
    ):
        if pattern.match(line):
            return kind
    return "paragraph"


def _write_heading(page: _Page, line: str) -> None:
    match = _HEADING.match(line)
    assert match is not None
    size = HEADING_PT[len(match.group(1))]
    page.gap(BODY_PT / 2)
    page.pdf.set_font(page.sans, "B", size)
    page.write(_inline(page.clean(match.group(2))), size=size, markdown=True)


def _write_paragraph(page: _Page, text: str) -> None:
    page.pdf.set_font(page.sans, "", BODY_PT)
    page.write(_inline(page.clean(text)), size=BODY_PT, markdown=True)


def _write_item(page: _Page, line: str) -> None:
    match = _LIST_ITEM.match(line)
    assert match is not None
    depth = len(match.group(1).expandtabs(TAB_WIDTH)) // 2
    marker = match.group(2) if match.group(2)[0].isdigit() else "\u2022"
    page.pdf.set_font(page.sans, "", BODY_PT)
    page.pdf.set_x(page.pdf.l_margin + 5 * min(depth, 6))
    page.pdf.cell(6, BODY_PT / PT_PER_MM * LINE_FACTOR, marker)
    page.write(_inline(page.clean(match.group(3))), size=BODY_PT, markdown=True)


def _write_quote(page: _Page, line: str) -> None:
    match = _QUOTE.match(line)
    assert match is not None
    page.pdf.set_font(page.sans, "I", BODY_PT)
    page.pdf.set_x(page.pdf.l_margin + 6)
    page.write(_inline(page.clean(match.group(1))), size=BODY_PT, markdown=True)


def _write_code(page: _Page, line: str) -> None:
    page.pdf.set_font(page.mono, "", MONO_PT)
    page.pdf.set_x(page.pdf.l_margin + 4)
    page.write(page.clean(line) or " ", size=MONO_PT)


def _write_rule(page: _Page, _line: str) -> None:
    pdf = page.pdf
    y = pdf.get_y() + 2
    pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
    pdf.set_y(y + 2)


def _write_blank(page: _Page, _line: str) -> None:
    page.gap(BODY_PT / 2)


_BLOCK_WRITERS: dict[str, Callable[[_Page, str], None]] = {
    "heading": _write_heading,
    "paragraph": _write_paragraph,
    "item": _write_item,
    "quote": _write_quote,
    "code": _write_code,
    "rule": _write_rule,
    "blank": _write_blank,
}


def _inline(text: str) -> str:
    """Markdown emphasis rewritten as fpdf2 markup, every other marker escaped."""
    out: list[str] = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_escape(text[position : match.start()]))
        out.append(_inline_span(match))
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def _inline_span(match: re.Match[str]) -> str:
    """One Markdown span in fpdf2 markup: bold ``**``, italics ``__``."""
    if match.group("bold") is not None:
        return f"**{_escape(match.group('bold'))}**"
    italic = match.group("star") or match.group("under")
    if italic is not None:
        return f"__{_escape(italic)}__"
    if match.group("label") is not None:
        return _escape(f"{match.group('label')} <{match.group('url')}>")
    if match.group("code") is not None:
        return _escape(match.group("code"))
    return _escape(f"[{match.group('alt') or 'image'}]")


def _escape(text: str) -> str:
    """Text that fpdf2's markup reads literally."""
    text = text.replace("\\", "\\\\")
    for marker in _FPDF_MARKERS:
        text = text.replace(marker, "\\" + marker)
    return text
