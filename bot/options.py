"""Print options as people type them (``copies=2 pages=1-3 mono``), parsed and checked.

Every adapter hands the option text over verbatim: a Telegram caption after
``/print``, a console line, Discord fields joined by spaces. The syntax:

- Options are separated by spaces (commas also work: ``copies=2, mono``).
- An option is ``name=value``; spaces around ``=`` are fine and ``:`` may stand
  for ``=`` (``copies: 2``). A value with spaces goes in double quotes
  (``printer="Office 2F"``). Names and values ignore letter case, except the
  printer name, which keeps the case typed.
- Some options may be written as a bare word: ``mono``, ``bw``, ``color``,
  ``duplex`` (long edge), ``simplex``, ``document``, ``photo``, ``borderless``,
  ``reverse``, ``collate``.
- Page lists may have spaces after their commas (``pages=1-3, 5``), and a date
  and time may be split by a space (``at=2026-12-24 09:00``).
- Full-width characters typed with a CJK keyboard (``ｃｏｐｉｅｓ＝２``) and curly
  quotes count as their plain forms.
- Giving one option twice (``mono color``) is an error, as is an unknown name.

The Epson wire values (``ps_a4``, ``pt_plainpaper``) are plain strings here; the
Epson client checks them again against the printer's capabilities.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.catalogue import Catalogue, default_catalogue
from bot.errors import ChatprintError
from bot.page_ranges import PageRanges
from bot.schedule_time import canonical_timezone, parse_time_text

OPTION_NAMES: tuple[str, ...] = (
    "copies",
    "pages",
    "color",
    "duplex",
    "paper",
    "type",
    "quality",
    "mode",
    "borderless",
    "source",
    "nup",
    "at",
    "tz",
    "printer",
    "reverse",
    "collate",
)
MAX_COPIES = 99
MAX_TEXT = 1000
MAX_PRINTER_NAME = 100

# Short names of the paper sizes, the same in every language.
PAPER_NAMES: dict[str, str] = {
    "ps_a4": "A4",
    "ps_a3": "A3",
    "ps_a5": "A5",
    "ps_a6": "A6",
    "ps_b5": "B5",
    "ps_letter": "Letter",
    "ps_legal": "Legal",
    "ps_tabloid": "Tabloid",
    "ps_halfletter": "Half Letter",
    "ps_kg": "4x6",
    "ps_l": "3.5x5",
    "ps_2l": "5x7",
    "ps_8x10": "8x10",
    "ps_10x12": "10x12",
    "ps_hivision": "Hi-Vision",
    "ps_5x8": "5x8",
    "ps_postcard": "Postcard",
}

_KEY_ALIASES = {"colour": "color", "copy": "copies", "page": "pages", "timezone": "tz"}
_BARE_WORDS: dict[str, tuple[str, str]] = {
    "mono": ("color", "mono"),
    "bw": ("color", "mono"),
    "color": ("color", "color"),
    "colour": ("color", "color"),
    "duplex": ("duplex", "long"),
    "simplex": ("duplex", "none"),
    "document": ("mode", "document"),
    "photo": ("mode", "photo"),
    "borderless": ("borderless", "yes"),
    "reverse": ("reverse", "yes"),
    "collate": ("collate", "yes"),
}
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"'})
_SPLIT_DATE_TIME = re.compile(
    r"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2})\s+([0-9]{1,2}:[0-9]{2})"
)
# name=value; digits after a comma continue the value, so "pages=1, 3-5" stays whole.
_PAIR = re.compile(
    r'([a-z][a-z0-9_]*)\s*[=:]\s*(?:"([^"]*)"|([^\s",]*(?:\s*,\s*[0-9][^\s",]*)*))',
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\s,]+")
_GAP = re.compile(r"[\s,]*")
_PLAIN_PRINTER = re.compile(r'[^\s",=:]+')
_SEPARATORS = re.compile(r"[\s_-]+")


class OptionError(ChatprintError):
    """A print option that is not understood: unknown, malformed or repeated."""

    default_key = "options.bad_value"


@dataclass(frozen=True)
class _Choice:
    """A fixed set of words for one option; the first word of a value is its name."""

    words: Mapping[str, Any]
    # Paper names are written many ways: "half-letter", "Half Letter", "4×6".
    loose: bool = False

    @property
    def accepted(self) -> str:
        return ", ".join(dict.fromkeys(self.write(v) for v in self.words.values()))

    def read(self, option: str, text: str) -> Any:
        cleaned = text.strip().lower()
        if self.loose:
            cleaned = _SEPARATORS.sub("", cleaned).replace("×", "x")
        if cleaned not in self.words:
            raise _bad_value(option, text, self.accepted)
        return self.words[cleaned]

    def write(self, value: Any) -> str:
        for word, known in self.words.items():
            if known == value:
                return word
        raise ValueError(f"{value!r} is not a known value: build options by parsing")


_COLOR = _Choice({"color": "color", "mono": "mono", "colour": "color", "bw": "mono"})
_DUPLEX = _Choice(
    {"none": "none", "long": "long", "short": "short", "simplex": "none"}
    | {"off": "none", "no": "none", "on": "long", "yes": "long"}
)
_PAPER = _Choice(
    {
        name.lower().replace(" ", "").replace("-", ""): wire
        for wire, name in PAPER_NAMES.items()
    }
    | {"kg": "ps_kg", "l": "ps_l", "2l": "ps_2l", "hagaki": "ps_postcard"},
    loose=True,
)
_PAPER_TYPE = _Choice(
    {
        "plain": "pt_plainpaper",
        "photo": "pt_photopaper",
        "hagaki": "pt_hagaki",
        "hagakiphoto": "pt_hagakiphoto",
        "hagakiinkjet": "pt_hagakiinkjet",
        "roll": "pt_roll",
        "plainpaper": "pt_plainpaper",
        "photopaper": "pt_photopaper",
    }
)
_QUALITY = _Choice(
    {"draft": "draft", "normal": "normal", "high": "high"}
    | {"standard": "normal", "best": "high"}
)
_MODE = _Choice({"document": "document", "photo": "photo", "doc": "document"})
_SOURCE = _Choice(
    {
        word: word
        for word in ("auto", "rear", "front1", "front2", "front3", "front4", "roll")
    }
    | {"front": "front1"}
)
_NUP = _Choice({"1": 1, "2": 2, "4": 4})
_YES_NO = _Choice(
    {"yes": True, "no": False, "true": True, "false": False}
    | {"on": True, "off": False, "1": True, "0": False}
)


@dataclass(frozen=True)
class _Option:
    """How one option name reads text into a field and writes it back."""

    field: str
    read: Callable[[str, str], Any]
    write: Callable[[Any], str]


def _read_copies(option: str, text: str) -> int:
    cleaned = text.strip()
    if re.fullmatch(r"[0-9]{1,4}", cleaned) and 1 <= int(cleaned) <= MAX_COPIES:
        return int(cleaned)
    raise OptionError(
        f"copies={text[:40]!r} not accepted",
        key="options.bad_copies",
        option=option,
        value=text[:40],
        maximum=MAX_COPIES,
    )


def _read_pages(option: str, text: str) -> PageRanges:
    return PageRanges.parse(text)


def _read_time(option: str, text: str) -> str:
    return parse_time_text(text)


def _read_timezone(option: str, text: str) -> str:
    return canonical_timezone(text)


def _read_printer(option: str, text: str) -> str:
    name = " ".join(text.split())
    if name and len(name) <= MAX_PRINTER_NAME and _is_plain_text(name):
        return name
    raise OptionError(
        f"printer name {text[:40]!r} not accepted",
        key="options.bad_printer",
        option=option,
        value=text[:40],
        maximum=MAX_PRINTER_NAME,
    )


def _is_plain_text(name: str) -> bool:
    return name.isprintable() and '"' not in name


_OPTIONS: dict[str, _Option] = {
    "copies": _Option("copies", _read_copies, str),
    "pages": _Option("pages", _read_pages, str),
    "color": _Option("color_mode", _COLOR.read, _COLOR.write),
    "duplex": _Option("double_sided", _DUPLEX.read, _DUPLEX.write),
    "paper": _Option("paper_size", _PAPER.read, _PAPER.write),
    "type": _Option("paper_type", _PAPER_TYPE.read, _PAPER_TYPE.write),
    "quality": _Option("print_quality", _QUALITY.read, _QUALITY.write),
    "mode": _Option("print_mode", _MODE.read, _MODE.write),
    "borderless": _Option("borderless", _YES_NO.read, _YES_NO.write),
    "source": _Option("paper_source", _SOURCE.read, _SOURCE.write),
    "nup": _Option("nup", _NUP.read, _NUP.write),
    "at": _Option("at", _read_time, str),
    "tz": _Option("timezone", _read_timezone, str),
    "printer": _Option("printer", _read_printer, str),
    "reverse": _Option("reverse_order", _YES_NO.read, _YES_NO.write),
    "collate": _Option("collate", _YES_NO.read, _YES_NO.write),
}


# Fields whose "not given" value is not None.
_UNSET: dict[str, object] = {"nup": 1}


@dataclass(frozen=True)
class PrintOptions:
    """The print options of one request, or a user's saved defaults.

    ``None`` means "not given": the saved default, then the printer's own, apply.
    ``nup`` is the exception: 1 (one page per sheet) stands for "not given", so
    ``nup=1`` on a request cannot undo a saved ``nup=2``.
    Wire values are Epson's (``ps_a4``, ``pt_plainpaper``); build instances with
    :func:`parse_options` or :meth:`from_dict` so every value is checked.
    """

    copies: int | None = None
    pages: PageRanges | None = None
    color_mode: str | None = None
    double_sided: str | None = None
    paper_size: str | None = None
    paper_type: str | None = None
    print_quality: str | None = None
    print_mode: str | None = None
    borderless: bool | None = None
    paper_source: str | None = None
    nup: int = 1
    at: str | None = None
    timezone: str | None = None
    printer: str | None = None
    reverse_order: bool | None = None
    collate: bool | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, str]) -> PrintOptions:
        """Rebuild options from :meth:`to_dict` output, checking every value.

        Args:
            data: Option name to canonical text, as stored.

        Returns:
            The options.

        Raises:
            OptionError: An unknown name or a value that is not accepted.
        """
        return _build((name, value, True) for name, value in data.items())

    def to_dict(self) -> dict[str, str]:
        """Give option name to canonical text for each option that is set.

        Returns:
            A mapping such as ``{"copies": "2", "color": "mono"}``, in the order
            of :data:`OPTION_NAMES`, for storage and the settings card.
        """
        texts: dict[str, str] = {}
        for name, option in _OPTIONS.items():
            value = getattr(self, option.field)
            if value is not None and value != _UNSET.get(option.field):
                texts[name] = option.write(value)
        return texts

    def merged_over(self, defaults: PrintOptions) -> PrintOptions:
        """Fill the options not given here from ``defaults``.

        Args:
            defaults: Saved defaults; any option given here wins over them.

        Returns:
            The combined options.
        """
        mine = {
            field.name: getattr(self, field.name)
            for field in dataclasses.fields(self)
            if getattr(self, field.name) not in (None, _UNSET.get(field.name))
        }
        return dataclasses.replace(defaults, **mine)

    def as_defaults(self) -> PrintOptions:
        """Drop the options that only make sense for one request (``at``, ``pages``).

        Returns:
            The options worth saving as a user's defaults.
        """
        return dataclasses.replace(self, at=None, pages=None)

    def describe(self) -> str:
        """Write the options back as option text, in canonical form.

        Returns:
            One line such as ``copies=2 pages=1-3 mono duplex=long paper=a4`` that
            :func:`parse_options` reads back to equal options; empty when none set.
        """
        return " ".join(
            _describe_one(name, text) for name, text in self.to_dict().items()
        )


def parse_options(text: str) -> PrintOptions:
    """Read option text such as ``copies=2 pages=1-3 mono duplex``.

    Args:
        text: The options as typed; the syntax is in this module's docstring.

    Returns:
        The options given; the others are None.

    Raises:
        OptionError: An unknown or repeated option, or a value not accepted. The
            key is ``options.unknown``, ``options.duplicate``, ``options.too_long``,
            ``options.unclosed_quote``, ``options.bad_value`` or one of the
            ``options.bad_*`` keys for a particular option.
    """
    if len(text) > MAX_TEXT:
        raise OptionError(
            f"option text of {len(text)} characters",
            key="options.too_long",
            maximum=MAX_TEXT,
        )
    cleaned = _normalise(text)
    if cleaned.count('"') % 2:
        raise OptionError("unbalanced quote in options", key="options.unclosed_quote")
    return _build(_tokens(cleaned))


def settings_card(
    options: PrintOptions, language: str, messages: Catalogue | None = None
) -> list[tuple[str, str]]:
    """Label and show each option that is set, in ``language``, for a settings card.

    Args:
        options: The options to show.
        language: One of :data:`bot.catalogue.LANGUAGES` (others fall back).
        messages: The catalogue to use; the package's by default.

    Returns:
        ``(label, value)`` pairs such as ``("Color", "Black and white")``.
    """
    messages = messages or default_catalogue()
    return [
        (
            messages.render(f"option.label.{name}", language),
            _value_text(messages, name, text, language),
        )
        for name, text in options.to_dict().items()
    ]


def _value_text(messages: Catalogue, name: str, text: str, language: str) -> str:
    key = f"option.value.{name}.{text}"
    if messages.has_key(key):
        return messages.render(key, language)
    if name == "paper":
        return PAPER_NAMES[_PAPER.read(name, text)]
    return text


def _normalise(text: str) -> str:
    # NFKC turns full-width letters, digits and "=" from CJK keyboards into ASCII.
    plain = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPLIT_DATE_TIME.sub(r"\1T\2", plain)


def _tokens(text: str) -> Iterator[tuple[str, str, bool]]:
    """Yield ``(name, value, explicit)``; bare words have ``explicit`` False."""
    position = _skip_gap(text, 0)
    while position < len(text):
        pair = _PAIR.match(text, position)
        if pair is not None:
            value = pair[2] if pair[2] is not None else pair[3]
            yield pair[1].lower(), value, True
            position = pair.end()
        else:
            word = _WORD.match(text, position)
            assert word is not None  # a gap never ends on a non-space
            yield word[0], "", False
            position = word.end()
        position = _skip_gap(text, position)


def _skip_gap(text: str, position: int) -> int:
    gap = _GAP.match(text, position)
    return gap.end() if gap is not None else position


def _build(tokens: Iterable[tuple[str, str, bool]]) -> PrintOptions:
    values: dict[str, Any] = {}
    seen: set[str] = set()
    for token, text, explicit in tokens:
        name, value_text = _resolve_name(token, text, explicit)
        if name in seen:
            raise OptionError(
                f"option {name} given twice", key="options.duplicate", option=name
            )
        seen.add(name)
        option = _OPTIONS[name]
        values[option.field] = option.read(name, value_text)
    return PrintOptions(**values)


def _resolve_name(token: str, text: str, explicit: bool) -> tuple[str, str]:
    """Name the option a token sets, and the text of its value."""
    lowered = token.lower()
    if explicit:
        name = _KEY_ALIASES.get(lowered, lowered)
        if name in _OPTIONS:
            return name, text
    elif lowered in _BARE_WORDS:
        return _BARE_WORDS[lowered]
    elif lowered in _OPTIONS:
        # "copies" alone: name the option's accepted values rather than "unknown".
        return lowered, ""
    raise OptionError(
        f"unknown option {token[:40]!r}",
        key="options.unknown",
        option=token[:40],
        options=", ".join(OPTION_NAMES),
    )


def _describe_one(name: str, text: str) -> str:
    if name in ("color", "mode"):
        return text
    if name in ("borderless", "reverse", "collate") and text == "yes":
        return name
    if name == "printer" and not _PLAIN_PRINTER.fullmatch(text):
        return f'{name}="{text}"'
    return f"{name}={text}"


def _bad_value(option: str, text: str, accepted: str) -> OptionError:
    return OptionError(
        f"{option}={text[:40]!r} not accepted",
        key="options.bad_value",
        option=option,
        value=text[:40],
        accepted=accepted,
    )
