"""Tests for page ranges: parsing, canonical text and resolving against a document."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.options import OptionError
from bot.page_ranges import MAX_PARTS, PageRangeOutside, PageRanges


@pytest.mark.parametrize(
    ("text", "ranges"),
    [
        ("1-3,5,7-", ((1, 3), (5, 5), (7, None))),
        (" 2 - 4 , 9 ", ((2, 4), (9, 9))),
        ("3-3", ((3, 3),)),
        ("all", ((1, None),)),
        ("ALL", ((1, None),)),
        ("1-", ((1, None),)),
        ("007", ((7, 7),)),
    ],
)
def test_parse_reads_ranges_in_written_order(
    text: str, ranges: tuple[tuple[int, int | None], ...]
) -> None:
    parsed = PageRanges.parse(text)

    assert parsed.ranges == ranges


@pytest.mark.parametrize(
    "text",
    ["", "0", "0-3", "-2", "5-3", "1,,2", "1,", "a", "1-2-3", "1.5", "٣", "1234567890"],
)
def test_parse_refuses_malformed_ranges(text: str) -> None:
    with pytest.raises(OptionError) as caught:
        PageRanges.parse(text)

    assert caught.value.key == "options.bad_pages"
    assert caught.value.params["option"] == "pages"


def test_parse_refuses_more_parts_than_the_limit() -> None:
    text = ",".join(str(n) for n in range(1, MAX_PARTS + 2))

    with pytest.raises(OptionError):
        PageRanges.parse(text)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [("1-3, 5,7-", "1-3,5,7-"), ("4-4", "4"), ("1-", "all"), ("all", "all")],
)
def test_str_gives_canonical_form(text: str, canonical: str) -> None:
    assert str(PageRanges.parse(text)) == canonical


def test_resolve_lists_pages_in_written_order_each_once() -> None:
    ranges = PageRanges.parse("5,1-3,2,7-")

    assert ranges.resolve(8) == [5, 1, 2, 3, 7, 8]


def test_resolve_all_lists_every_page() -> None:
    assert PageRanges.all().resolve(3) == [1, 2, 3]


@pytest.mark.parametrize("text", ["1-6", "6", "6-", "2,9"])
def test_resolve_refuses_a_page_past_the_document(text: str) -> None:
    with pytest.raises(PageRangeOutside) as caught:
        PageRanges.parse(text).resolve(5)

    assert caught.value.key == "pages.outside"
    assert caught.value.params == {"pages": text, "page_count": 5}


def test_resolve_checks_a_huge_range_without_listing_it() -> None:
    ranges = PageRanges.parse("1-999999999")

    with pytest.raises(PageRangeOutside):
        ranges.resolve(10)


def test_is_all_only_for_every_page() -> None:
    assert PageRanges.parse("all").is_all
    assert not PageRanges.parse("1-3").is_all


@given(st.text(max_size=60))
def test_parse_raises_only_option_error_on_any_text(text: str) -> None:
    try:
        parsed = PageRanges.parse(text)
    except OptionError:
        return
    assert PageRanges.parse(str(parsed)) == parsed


@given(
    st.lists(
        st.tuples(st.integers(1, 50), st.one_of(st.none(), st.integers(0, 50))),
        min_size=1,
        max_size=8,
    ),
    st.integers(1, 60),
)
def test_resolve_returns_unique_pages_within_the_document(
    pairs: list[tuple[int, int | None]], page_count: int
) -> None:
    text = ",".join(f"{a}-{a + b}" if b is not None else f"{a}-" for a, b in pairs)
    ranges = PageRanges.parse(text)

    try:
        pages = ranges.resolve(page_count)
    except PageRangeOutside:
        assert any(
            a > page_count or (b is not None and a + b > page_count) for a, b in pairs
        )
        return
    assert len(pages) == len(set(pages))
    assert all(1 <= page <= page_count for page in pages)
    assert pages[0] == pairs[0][0]
