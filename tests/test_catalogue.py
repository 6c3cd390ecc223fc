"""Tests for the message catalogue: loading rules, rendering, the shipped files."""

from __future__ import annotations

import logging
import string
from pathlib import Path

import pytest

from bot import catalogue
from bot.catalogue import (
    FALLBACK_SENTENCES,
    LANGUAGES,
    Catalogue,
    language_for,
    load_catalogue,
    render,
    render_error,
)
from bot.errors import ChatprintError
from bot.options import OPTION_NAMES, OptionError
from bot.page_ranges import PageRangeOutside
from bot.schedule_time import ScheduleOutOfRange

GOOD = """
[en.job]
done = "Printed {file}: {pages} {pages:page|pages}."
[en]
hello = "Hello {{literally}}"
["zh-TW".job]
done = "已列印 {file}，共 {pages} 頁。"
["zh-TW"]
hello = "你好 {{literally}}"
"""

# Keys this area promises to the others (brief, core and adapters).
OWN_KEYS = [
    *(f"options.{name}" for name in ("unknown", "bad_value", "bad_copies")),
    *(f"options.{name}" for name in ("bad_pages", "bad_time", "bad_timezone")),
    *(f"options.{name}" for name in ("bad_printer", "duplicate", "too_long")),
    "options.unclosed_quote",
    "pages.outside",
    "schedule.out_of_range",
    *(f"job.{name}" for name in ("accepted", "converting", "uploading", "waiting")),
    *(f"job.{name}" for name in ("printing", "completed", "canceled", "failed")),
    *(f"job.{name}" for name in ("expired", "scheduled", "cancel_too_late", "resumed")),
    *(f"job.paused.{name}" for name in ("media_empty", "media_jam")),
    "job.paused.marker_supply_empty",
    "job.paused.stopped_other",
    "command.help",
    *(f"link.{name}" for name in ("not_linked", "prompt", "done", "broken")),
    "link.unlinked",
    "forget.done",
    "printers.line",
    "jobs.none",
    "settings.saved",
    "limit.rate",
    "printer.busy",
    "error.unexpected",
]
COMMANDS = [
    "link",
    "unlink",
    "printers",
    "print",
    "status",
    "jobs",
    "cancel",
    "settings",
    "forget",
    "help",
]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(*files: Path) -> str:
    with pytest.raises(RuntimeError) as caught:
        load_catalogue(files)
    return str(caught.value)


@pytest.fixture
def good(tmp_path: Path) -> Catalogue:
    return load_catalogue([write(tmp_path, "good.toml", GOOD)])


def test_loader_flattens_nested_tables_into_dotted_keys(good: Catalogue) -> None:
    assert good.keys() == frozenset({"job.done", "hello"})
    assert good.has_key("job.done")
    assert not good.has_key("job")


def test_loader_merges_several_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", GOOD)
    second = write(tmp_path, "b.toml", '[en]\nbye = "Bye"\n["zh-TW"]\nbye = "再見"\n')

    merged = load_catalogue([first, second])

    assert merged.keys() == frozenset({"job.done", "hello", "bye"})
    assert merged.render("bye", "zh-TW") == "再見"


def test_loader_refuses_a_key_defined_in_two_files(tmp_path: Path) -> None:
    first = write(tmp_path, "a.toml", GOOD)
    second = write(tmp_path, "b.toml", GOOD)

    message = refusal(first, second)

    assert "'job.done'" in message or "'hello'" in message
    assert "a.toml" in message
    assert "b.toml" in message


def test_loader_refuses_a_key_defined_twice_in_one_file(tmp_path: Path) -> None:
    text = '[en]\na = "A"\na = "B"\n["zh-TW"]\na = "甲"\n'

    message = refusal(write(tmp_path, "twice.toml", text))

    assert "twice.toml" in message


@pytest.mark.parametrize(
    ("text", "missing"),
    [
        ('[en]\na = "A"\nb = "B"\n["zh-TW"]\na = "甲"\n', "zh-TW"),
        ('[en]\na = "A"\n["zh-TW"]\na = "甲"\nb = "乙"\n', "en"),
        ('[en]\na = "A"\n', "zh-TW"),
    ],
)
def test_loader_refuses_a_key_missing_in_one_language(
    tmp_path: Path, text: str, missing: str
) -> None:
    message = refusal(write(tmp_path, "half.toml", text))

    assert "half.toml" in message
    assert f"missing in {missing}" in message


def test_loader_refuses_placeholders_that_differ_between_languages(
    tmp_path: Path,
) -> None:
    text = '[en]\na = "Hi {name}"\n["zh-TW"]\na = "你好 {nmae}"\n'

    message = refusal(write(tmp_path, "typo.toml", text))

    assert "typo.toml" in message
    assert "'a'" in message
    assert "nmae" in message


@pytest.mark.parametrize(
    "sentence",
    ["{a.b}", "{a[0]}", "{0}", "{}", "{a!r}", "{a:>5}", "{a:x|y|z}", "{a", "a}"],
)
def test_loader_refuses_placeholders_of_other_forms(
    tmp_path: Path, sentence: str
) -> None:
    text = f'[en]\nbad = "{sentence}"\n["zh-TW"]\nbad = "{sentence}"\n'

    message = refusal(write(tmp_path, "forms.toml", text))

    assert "forms.toml" in message
    assert "'bad'" in message


@pytest.mark.parametrize(
    "text",
    [
        '[en]\na = 1\n["zh-TW"]\na = 1\n',
        '[en]\na = "A"\n["zh-TW"]\na = "甲"\n[fr]\na = "A"\n',
        'en = "x"\n["zh-TW"]\n',
        "[en\n",
    ],
)
def test_loader_refuses_malformed_files_naming_them(tmp_path: Path, text: str) -> None:
    assert "broken.toml" in refusal(write(tmp_path, "broken.toml", text))


def test_render_fills_params_and_plurals(good: Catalogue) -> None:
    assert good.render("job.done", "en", file="a.pdf", pages=1) == (
        "Printed a.pdf: 1 page."
    )
    assert good.render("job.done", "en", file="a.pdf", pages=3) == (
        "Printed a.pdf: 3 pages."
    )
    assert good.render("job.done", "zh-TW", file="a.pdf", pages=3) == (
        "已列印 a.pdf，共 3 頁。"
    )


def test_render_keeps_literal_braces_and_ignores_extra_params(good: Catalogue) -> None:
    assert good.render("hello", "en", unused=1) == "Hello {literally}"


def test_render_accepts_params_named_like_its_arguments(tmp_path: Path) -> None:
    text = '[en]\na = "{key} {language}"\n["zh-TW"]\na = "{key}{language}"\n'
    messages = load_catalogue([write(tmp_path, "names.toml", text)])

    assert messages.render("a", "en", key="k", language="l") == "k l"
    assert render_error(ChatprintError("x", language="fr"), "zh-TW") == render(
        "error.unexpected", "zh-TW"
    )


def test_render_maps_platform_language_codes(good: Catalogue) -> None:
    assert good.render("hello", "zh-Hant") == "你好 {literally}"
    assert good.render("hello", "fr") == "Hello {literally}"


def test_render_of_missing_param_shows_a_mark_and_warns(
    good: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.catalogue"):
        text = good.render("job.done", "en", file="a.pdf")

    assert text == "Printed a.pdf: ? pages."
    assert "job.done" in caplog.text
    assert "pages" in caplog.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_render_of_unknown_key_gives_fallback_and_warns(
    good: Catalogue, caplog: pytest.LogCaptureFixture, language: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.catalogue"):
        text = good.render("no.such.key", language)

    assert text == FALLBACK_SENTENCES[language]
    assert "no.such.key" in caplog.text


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh-TW", "zh-TW"),
        ("zh-Hant", "zh-TW"),
        ("zh-hant", "zh-TW"),
        ("zh-HK", "zh-TW"),
        ("zh_TW", "zh-TW"),
        ("zh-tw", "zh-TW"),
        ("zh_Hant_HK", "zh-TW"),
        ("zh", "zh-TW"),
        ("zh-CN", "zh-TW"),
        ("zh-hans", "zh-TW"),
        ("en", "en"),
        ("en-US", "en"),
        ("ja", "en"),
        ("fr-CA", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_language_for_maps_codes(code: str | None, language: str) -> None:
    assert language_for(code) == language


def test_shipped_files_include_this_areas_files() -> None:
    names = {source.name for source in catalogue.package_sources()}

    assert {"options.toml", "status.toml", "commands.toml"} <= names


def test_shipped_catalogue_has_every_promised_key() -> None:
    missing = [key for key in OWN_KEYS if not catalogue.has_key(key)]

    assert missing == []


def test_shipped_catalogue_has_the_error_keys_of_this_area() -> None:
    classes: list[type[ChatprintError]] = [
        OptionError,
        PageRangeOutside,
        ScheduleOutOfRange,
        ChatprintError,
    ]

    assert all(catalogue.has_key(cls.default_key) for cls in classes)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("command", COMMANDS)
def test_command_descriptions_fit_discord_and_telegram(
    command: str, language: str
) -> None:
    description = render(f"command.{command}.description", language)

    assert 1 <= len(description) <= 100
    assert "\n" not in description


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_names_every_command_and_option(language: str) -> None:
    text = render("command.help", language)

    assert [command for command in COMMANDS if f"/{command}" not in text] == []
    assert [name for name in OPTION_NAMES if name not in text] == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_shipped_key_renders_with_its_params(
    language: str, caplog: pytest.LogCaptureFixture
) -> None:
    shipped = catalogue.default_catalogue()

    for key in sorted(catalogue.all_keys()):
        sentence = shipped.sentences[language][key]
        names = {name for _, name, _, _ in string.Formatter().parse(sentence) if name}
        params = dict.fromkeys(names, 2)

        text = render(key, language, **params)

        assert text.strip(), key
    assert not caplog.records


def test_render_error_uses_key_and_params() -> None:
    error = PageRangeOutside("outside", pages="9", page_count=1)

    assert render_error(error, "en") == (
        "This document has 1 page, so pages=9 cannot be printed."
    )
    assert render_error(error, "zh-TW") == "這份文件只有 1 頁，無法列印 pages=9。"
