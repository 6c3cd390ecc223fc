"""Page ranges as people type them (``1-3,5,7-``), and their pages in a document.

A range list is parsed once, without knowing the document, and resolved later
against the page count. Parsing never builds page lists, so ``1-999999999`` costs
no more than ``1-3``; resolving checks every bound before listing a single page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.errors import ChatprintError

# Enough for any real request, and a bound on the work a hostile text can cause.
MAX_PARTS = 100
# Nine digits: past any document, and short enough that int() stays cheap.
_PART = re.compile(r"([0-9]{1,9})(?:\s*(-)\s*([0-9]{1,9})?)?")
_ALL_WORDS = frozenset({"all", "*"})


class PageRangeOutside(ChatprintError):
    """The ranges name a page the document does not have."""

    default_key = "pages.outside"


@dataclass(frozen=True)
class PageRanges:
    """Page ranges in the order written; ``end`` None means "to the last page".

    Attributes:
        ranges: ``(start, end)`` pairs, 1-based and inclusive, never empty.
    """

    ranges: tuple[tuple[int, int | None], ...]

    @classmethod
    def all(cls) -> PageRanges:
        """Every page of the document."""
        return cls(((1, None),))

    @classmethod
    def parse(cls, text: str) -> PageRanges:
        """Read ranges such as ``1-3,5,7-`` or ``all``; spaces are ignored.

        Args:
            text: The ranges as typed.

        Returns:
            The ranges, in the order written.

        Raises:
            OptionError: ``options.bad_pages`` for an empty part, page 0, a
                negative or reversed range, or more than ``MAX_PARTS`` parts.
        """
        cleaned = text.strip().lower()
        if cleaned in _ALL_WORDS:
            return cls.all()
        parts = cleaned.split(",")
        if len(parts) > MAX_PARTS:
            raise _malformed(text)
        return cls(tuple(_parse_part(part, text) for part in parts))

    @property
    def is_all(self) -> bool:
        """True when the ranges are just "every page"."""
        return self.ranges == ((1, None),)

    def resolve(self, page_count: int) -> list[int]:
        """List the pages to print, 1-based, in the written order, each once.

        Args:
            page_count: How many pages the document has.

        Returns:
            The page numbers.

        Raises:
            PageRangeOutside: A range starts or ends past ``page_count``.
        """
        if any(_is_outside(pair, page_count) for pair in self.ranges):
            raise PageRangeOutside(
                f"pages {self} outside a {page_count}-page document",
                pages=str(self),
                page_count=page_count,
            )
        return _unique_pages(self.ranges, page_count)

    def __str__(self) -> str:
        if self.is_all:
            return "all"
        return ",".join(_part_text(start, end) for start, end in self.ranges)


def _parse_part(part: str, text: str) -> tuple[int, int | None]:
    match = _PART.fullmatch(part.strip())
    if match is None:
        raise _malformed(text)
    start = int(match[1])
    if match[2] is None:
        end: int | None = start
    else:
        end = int(match[3]) if match[3] is not None else None
    if start < 1 or (end is not None and end < start):
        raise _malformed(text)
    return start, end


def _is_outside(pair: tuple[int, int | None], page_count: int) -> bool:
    start, end = pair
    return start > page_count or (end is not None and end > page_count)


def _unique_pages(
    ranges: tuple[tuple[int, int | None], ...], page_count: int
) -> list[int]:
    seen: set[int] = set()
    pages: list[int] = []
    for start, end in ranges:
        for page in range(start, (end or page_count) + 1):
            if page not in seen:
                seen.add(page)
                pages.append(page)
    return pages


def _part_text(start: int, end: int | None) -> str:
    if end is None:
        return f"{start}-"
    return str(start) if start == end else f"{start}-{end}"


def _malformed(text: str) -> ChatprintError:
    # Imported here because bot.options imports this module for PageRanges.
    from bot.options import OptionError

    return OptionError(
        f"page ranges {text[:40]!r} not understood",
        key="options.bad_pages",
        option="pages",
        value=text[:40],
    )
