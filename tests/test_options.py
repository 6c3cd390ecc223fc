"""Tests for the print-option parser: every option, alias and error."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.catalogue import LANGUAGES, Catalogue, load_catalogue
from bot.options import (
    MAX_TEXT,
    OPTION_NAMES,
    PAPER_NAMES,
    OptionError,
    PrintOptions,
    parse_options,
    settings_card,
)
from bot.page_ranges import PageRanges

MESSAGES = Path(__file__).resolve().parents[1] / "bot" / "messages"


@cache
def own_messages() -> Catalogue:
    """The option sentences alone, so other areas' files cannot break these tests."""
    return load_catalogue([MESSAGES / "options.toml"])


def rejection(text: str) -> OptionError:
    with pytest.raises(OptionError) as caught:
        parse_options(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("copies=1", {"copies": 1}),
        ("copies=99", {"copies": 99}),
        ("copies=07", {"copies": 7}),
        ("copy=3", {"copies": 3}),
        ("pages=1-3,5,7-", {"pages": PageRanges.parse("1-3,5,7-")}),
        ("page=all", {"pages": PageRanges.all()}),
        ("color=mono", {"color_mode": "mono"}),
        ("color=color", {"color_mode": "color"}),
        ("color=bw", {"color_mode": "mono"}),
        ("colour=colour", {"color_mode": "color"}),
        ("mono", {"color_mode": "mono"}),
        ("bw", {"color_mode": "mono"}),
        ("color", {"color_mode": "color"}),
        ("colour", {"color_mode": "color"}),
        ("duplex=none", {"double_sided": "none"}),
        ("duplex=long", {"double_sided": "long"}),
        ("duplex=short", {"double_sided": "short"}),
        ("duplex=simplex", {"double_sided": "none"}),
        ("duplex=yes", {"double_sided": "long"}),
        ("duplex=off", {"double_sided": "none"}),
        ("duplex", {"double_sided": "long"}),
        ("simplex", {"double_sided": "none"}),
        ("type=plain", {"paper_type": "pt_plainpaper"}),
        ("type=plainpaper", {"paper_type": "pt_plainpaper"}),
        ("type=photo", {"paper_type": "pt_photopaper"}),
        ("type=hagaki", {"paper_type": "pt_hagaki"}),
        ("type=hagakiphoto", {"paper_type": "pt_hagakiphoto"}),
        ("type=hagakiinkjet", {"paper_type": "pt_hagakiinkjet"}),
        ("type=roll", {"paper_type": "pt_roll"}),
        ("quality=draft", {"print_quality": "draft"}),
        ("quality=normal", {"print_quality": "normal"}),
        ("quality=standard", {"print_quality": "normal"}),
        ("quality=high", {"print_quality": "high"}),
        ("mode=document", {"print_mode": "document"}),
        ("mode=photo", {"print_mode": "photo"}),
        ("document", {"print_mode": "document"}),
        ("photo", {"print_mode": "photo"}),
        ("borderless", {"borderless": True}),
        ("borderless=yes", {"borderless": True}),
        ("borderless=no", {"borderless": False}),
        ("borderless=off", {"borderless": False}),
        ("source=auto", {"paper_source": "auto"}),
        ("source=rear", {"paper_source": "rear"}),
        ("source=front1", {"paper_source": "front1"}),
        ("source=front4", {"paper_source": "front4"}),
        ("source=front", {"paper_source": "front1"}),
        ("source=roll", {"paper_source": "roll"}),
        ("nup=1", {"nup": 1}),
        ("nup=2", {"nup": 2}),
        ("nup=4", {"nup": 4}),
        ("at=9:30", {"at": "09:30"}),
        ("at=2026-12-24T09:00", {"at": "2026-12-24T09:00"}),
        ("at=2026-12-24 09:00", {"at": "2026-12-24T09:00"}),
        ("tz=Asia/Taipei", {"timezone": "Asia/Taipei"}),
        ("timezone=america/new_york", {"timezone": "America/New_York"}),
        ("printer=Office", {"printer": "Office"}),
        ('printer="Office 2F"', {"printer": "Office 2F"}),
        ("printer=“Home  printer”", {"printer": "Home printer"}),
        ("reverse", {"reverse_order": True}),
        ("reverse=no", {"reverse_order": False}),
        ("collate", {"collate": True}),
        ("collate=yes", {"collate": True}),
        ("collate=no", {"collate": False}),
    ],
)
def test_parse_reads_every_option_and_alias(
    text: str, expected: dict[str, Any]
) -> None:
    assert parse_options(text) == PrintOptions(**expected)


@pytest.mark.parametrize(
    ("word", "wire"),
    [
        ("a4", "ps_a4"),
        ("a3", "ps_a3"),
        ("a5", "ps_a5"),
        ("a6", "ps_a6"),
        ("b5", "ps_b5"),
        ("letter", "ps_letter"),
        ("legal", "ps_legal"),
        ("tabloid", "ps_tabloid"),
        ("halfletter", "ps_halfletter"),
        ("half-letter", "ps_halfletter"),
        ('"Half Letter"', "ps_halfletter"),
        ("Hi-Vision", "ps_hivision"),
        ("4x6", "ps_kg"),
        ("4×6", "ps_kg"),
        ("kg", "ps_kg"),
        ("l", "ps_l"),
        ("3.5x5", "ps_l"),
        ("2l", "ps_2l"),
        ("5x7", "ps_2l"),
        ("8x10", "ps_8x10"),
        ("10x12", "ps_10x12"),
        ("hivision", "ps_hivision"),
        ("5x8", "ps_5x8"),
        ("postcard", "ps_postcard"),
        ("hagaki", "ps_postcard"),
    ],
)
def test_parse_maps_paper_sizes_to_wire_values(word: str, wire: str) -> None:
    assert parse_options(f"paper={word}").paper_size == wire


def test_every_wire_paper_size_has_a_short_name_and_a_word() -> None:
    for wire in PAPER_NAMES:
        options = PrintOptions(paper_size=wire)

        assert parse_options(options.describe()).paper_size == wire


def test_parse_ignores_case_spacing_and_separators() -> None:
    text = "  COPIES = 2 ,Pages: 1-3, 5  Mono\tDUPLEX=Short paper=A4 "

    options = parse_options(text)

    assert options == PrintOptions(
        copies=2,
        pages=PageRanges.parse("1-3,5"),
        color_mode="mono",
        double_sided="short",
        paper_size="ps_a4",
    )


def test_parse_reads_full_width_text_from_cjk_keyboards() -> None:
    options = parse_options("ｃｏｐｉｅｓ＝３　ｍｏｎｏ　ｐａｇｅｓ＝１－２，４")

    assert options == PrintOptions(
        copies=3, color_mode="mono", pages=PageRanges.parse("1-2,4")
    )


def test_parse_keeps_printer_name_case() -> None:
    assert parse_options("PRINTER=OfficeJet").printer == "OfficeJet"


def test_parse_of_empty_text_gives_no_options() -> None:
    assert parse_options("  ") == PrintOptions()


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("copies=1 copies=2", "copies"),
        ("copy=1 copies=2", "copies"),
        ("mono color", "color"),
        ("mono color=mono", "color"),
        ("duplex simplex", "duplex"),
        ("photo mode=document", "mode"),
        ("borderless borderless=no", "borderless"),
        ("tz=UTC timezone=UTC", "tz"),
    ],
)
def test_parse_refuses_an_option_given_twice(text: str, option: str) -> None:
    error = rejection(text)

    assert error.key == "options.duplicate"
    assert error.params == {"option": option}


@pytest.mark.parametrize(
    ("text", "option"),
    [
        ("size=a4", "size"),
        ("staple", "staple"),
        ("3", "3"),
        ("=5", "=5"),
        ("mono=yes", "mono"),
        ("/print", "/print"),
    ],
)
def test_parse_refuses_unknown_options_naming_them(text: str, option: str) -> None:
    error = rejection(text)

    assert error.key == "options.unknown"
    assert error.params["option"] == option
    assert error.params["options"] == ", ".join(OPTION_NAMES)


@pytest.mark.parametrize(
    ("text", "option", "accepted"),
    [
        ("color=red", "color", "color, mono"),
        ("duplex=both", "duplex", "none, long, short"),
        ("paper=a9", "paper", "a4, a3, a5"),
        ("type=glossy", "type", "plain, photo, hagaki, hagakiphoto"),
        ("quality=ultra", "quality", "draft, normal, high"),
        ("mode=poster", "mode", "document, photo"),
        ("borderless=maybe", "borderless", "yes, no"),
        ("source=top", "source", "auto, rear, front1, front2, front3, front4, roll"),
        ("nup=3", "nup", "1, 2, 4"),
        ("nup=-2", "nup", "1, 2, 4"),
        ("collate=-1", "collate", "yes, no"),
        ("reverse=sometimes", "reverse", "yes, no"),
        ("collate=2", "collate", "yes, no"),
        ("paper", "paper", "a4"),
        ("color=", "color", "color, mono"),
    ],
)
def test_parse_refuses_a_bad_value_listing_accepted_ones(
    text: str, option: str, accepted: str
) -> None:
    error = rejection(text)

    assert error.key == "options.bad_value"
    assert error.params["option"] == option
    assert str(error.params["accepted"]).startswith(accepted)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("copies=0", "options.bad_copies"),
        ("copies=100", "options.bad_copies"),
        ("copies=two", "options.bad_copies"),
        ("copies=-1", "options.bad_copies"),
        ("copies=1.5", "options.bad_copies"),
        ("copies", "options.bad_copies"),
        ("pages=0", "options.bad_pages"),
        ("pages=5-3", "options.bad_pages"),
        ("pages", "options.bad_pages"),
        ("at=25:00", "options.bad_time"),
        ("at=tomorrow", "options.bad_time"),
        ("tz=Mars/Olympus", "options.bad_timezone"),
        ('printer=""', "options.bad_printer"),
        ("printer=" + "x" * 101, "options.bad_printer"),
        ('printer="Office', "options.unclosed_quote"),
        ("mono " * (MAX_TEXT // 5 + 1), "options.too_long"),
    ],
)
def test_parse_refuses_malformed_values_with_their_own_key(text: str, key: str) -> None:
    assert rejection(text).key == key


# What each error sentence must name, in every language, to be of use.
ERROR_WORDS = {
    "color=red": ["color", "color, mono"],
    "paper=a9": ["paper", "a4", "postcard"],
    "nup=3": ["nup", "1, 2, 4"],
    "copies=100": ["copies", "1", "99"],
    "pages=5-3": ["pages", "1-3,5,7-"],
    "at=25:00": ["at", "14:30", "2026-12-24T09:00"],
    "tz=Mars/Olympus": ["tz", "Asia/Taipei", "Mars/Olympus"],
    "size=a4": ["size", "copies", "collate"],
    "mono mono": ["color"],
    'printer=""': ["printer", "100"],
    'printer="x': ["printer="],
    "x" * (MAX_TEXT + 1): ["1000"],
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("text", ERROR_WORDS)
def test_error_sentences_name_the_option_and_accepted_values(
    text: str, language: str, caplog: pytest.LogCaptureFixture
) -> None:
    error = rejection(text)

    sentence = own_messages().render(error.key, language, **error.params)

    for word in ERROR_WORDS[text]:
        assert word in sentence
    assert "?" not in sentence
    assert not caplog.records


def test_to_dict_gives_canonical_text_in_option_order() -> None:
    options = parse_options("tz=utc bw paper=kg copies=1")

    assert options.to_dict() == {
        "copies": "1",
        "color": "mono",
        "paper": "4x6",
        "tz": "UTC",
    }
    assert list(options.to_dict()) == ["copies", "color", "paper", "tz"]


def test_from_dict_reads_back_to_dict() -> None:
    options = parse_options(
        "copies=2 pages=1-3,9- bw duplex=short paper=l type=photo quality=high photo "
        'borderless source=rear nup=4 at=08:15 tz=Asia/Taipei printer="A B" reverse '
        "collate=no"
    )

    assert PrintOptions.from_dict(options.to_dict()) == options


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"staple": "yes"}, "options.unknown"),
        ({"copies": "500"}, "options.bad_copies"),
        ({"color": "purple"}, "options.bad_value"),
    ],
)
def test_from_dict_refuses_what_parse_refuses(data: dict[str, str], key: str) -> None:
    with pytest.raises(OptionError) as caught:
        PrintOptions.from_dict(data)

    assert caught.value.key == key


def test_describe_gives_the_canonical_line() -> None:
    options = parse_options("paper=A4 duplex BW pages=1-3 copies=2")

    assert options.describe() == "copies=2 pages=1-3 mono duplex=long paper=a4"


def test_describe_quotes_printer_names_with_spaces() -> None:
    options = PrintOptions(printer="Office 2F", borderless=False, reverse_order=True)

    assert options.describe() == 'borderless=no printer="Office 2F" reverse'


def test_describe_of_no_options_is_empty() -> None:
    assert PrintOptions().describe() == ""


def test_describe_refuses_a_value_no_option_produces() -> None:
    with pytest.raises(ValueError, match="not a known value"):
        PrintOptions(color_mode="purple").describe()


def test_merged_over_lets_request_options_win() -> None:
    defaults = parse_options("copies=3 mono paper=a4 borderless nup=2")
    request = parse_options("copies=1 color borderless=no")

    merged = request.merged_over(defaults)

    assert merged == parse_options("copies=1 color paper=a4 borderless=no nup=2")


def test_merged_over_keeps_defaults_when_request_is_empty() -> None:
    defaults = parse_options("duplex tz=Asia/Taipei")

    assert PrintOptions().merged_over(defaults) == defaults


def test_as_defaults_drops_one_request_options() -> None:
    options = parse_options("pages=2 at=10:00 copies=2 printer=Home")

    assert options.as_defaults() == parse_options("copies=2 printer=Home")


@pytest.mark.parametrize("language", LANGUAGES)
def test_settings_card_labels_every_option_in_the_language(language: str) -> None:
    options = parse_options(
        "copies=2 pages=1-3 mono duplex paper=postcard type=photo quality=high "
        "photo borderless source=rear nup=2 at=10:00 tz=UTC printer=Home reverse "
        "collate"
    )

    card = settings_card(options, language, own_messages())

    assert len(card) == len(OPTION_NAMES)
    assert all(label and value for label, value in card)
    assert len({label for label, _ in card}) == len(OPTION_NAMES)


def test_settings_card_shows_localized_and_short_names() -> None:
    options = parse_options("mono paper=4x6 copies=2")

    english = dict(settings_card(options, "en", own_messages()))
    chinese = dict(settings_card(options, "zh-TW", own_messages()))

    assert english == {"Copies": "2", "Color": "Black and white", "Paper size": "4x6"}
    assert chinese == {"份數": "2", "色彩": "黑白", "紙張大小": "4x6"}


@given(st.text(max_size=80))
def test_parse_raises_only_option_error_on_any_text(text: str) -> None:
    try:
        options = parse_options(text)
    except OptionError:
        return
    assert parse_options(options.describe()) == options


WORDS = st.sampled_from(
    [
        "copies=2",
        "pages=1-3,5",
        "mono",
        "color",
        "duplex=short",
        "paper=a4",
        "type=photo",
        "quality=draft",
        "photo",
        "borderless=no",
        "source=front2",
        "nup=4",
        "at=23:45",
        "tz=europe/london",
        'printer="Living room"',
        "reverse",
        "collate=no",
        "staple",
        "=",
        '"',
        ",",
        "copies=100",
    ]
)


@given(st.lists(WORDS, max_size=8), st.sampled_from([" ", ", ", "\t", "  "]))
def test_parse_of_option_like_text_is_stable(words: list[str], gap: str) -> None:
    try:
        options = parse_options(gap.join(words))
    except OptionError as error:
        refused = error.key
    else:
        refused = "options.none"
        assert parse_options(options.describe()) == options
        assert PrintOptions.from_dict(options.to_dict()) == options
    assert refused.startswith("options.")
