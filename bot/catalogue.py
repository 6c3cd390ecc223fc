"""The message catalogue: every sentence a chat user reads, in each language we ship.

Sentences live in ``bot/messages/*.toml``. Each file has an ``[en]`` and a
``["zh-TW"]`` table; nested tables flatten into dotted keys, so ``[en.job]``
``completed = "..."`` is the key ``job.completed``. All files in the package are
merged, and loading refuses (``RuntimeError`` naming file and key):

- a key defined in two files, or defined with anything but a string;
- a key present in one language and missing in the other;
- sentences whose placeholders differ between the languages;
- a placeholder other than a plain ``{name}`` or a plural ``{name:one|other}``,
  which shows ``one`` when the param equals 1 and ``other`` otherwise
  (``{pages} {pages:page|pages}``).

Sentences are plain text: an adapter that sends HTML or Markdown escapes them.
Rendering never raises: an unknown key gives a general sentence, a missing param
shows as ``?``, and both log a WARNING naming the key.
"""

from __future__ import annotations

import logging
import re
import string
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from bot.errors import ChatprintError

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "zh-TW")
DEFAULT_LANGUAGE = "en"
MISSING_PARAM = "?"
# Used only when a key is missing, so they cannot themselves come from the files.
FALLBACK_SENTENCES = {
    "en": "Sorry, something went wrong. Please try again later.",
    "zh-TW": "抱歉，發生了一些問題，請稍後再試。",
}
_PLURAL_SPEC = re.compile(r"[^|{}]+\|[^|{}]+")


class _Formatter(string.Formatter):
    """Fills a sentence, noting missing params instead of raising."""

    def __init__(self) -> None:
        super().__init__()
        self.missing: list[str] = []

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        self.missing.append(str(key))
        return MISSING_PARAM

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec:
            one, other = format_spec.split("|", 1)
            return one if value == 1 else other
        return str(value)


@dataclass(frozen=True)
class Catalogue:
    """Sentences by language, then key.

    Attributes:
        sentences: ``{"en": {"job.completed": "..."}, "zh-TW": {...}}``, with the
            same keys and placeholders in every language.
    """

    sentences: Mapping[str, Mapping[str, str]]

    def keys(self) -> frozenset[str]:
        """Every key the catalogue holds."""
        return frozenset(self.sentences[DEFAULT_LANGUAGE])

    def has_key(self, key: str) -> bool:
        """Whether ``key`` names a sentence."""
        return key in self.sentences[DEFAULT_LANGUAGE]

    def render(self, key: str, language: str, /, **params: object) -> str:
        """Fill the sentence ``key`` in ``language`` with ``params``.

        Args:
            key: A catalogue key such as ``job.completed``.
            language: One of :data:`LANGUAGES`; any other code is mapped by
                :func:`language_for`.
            **params: Values for the placeholders; extra ones are ignored. Any
                name is allowed, ``key`` and ``language`` too.

        Returns:
            The sentence; a general apology when the key is unknown.
        """
        language = language if language in LANGUAGES else language_for(language)
        sentence = self.sentences[language].get(key)
        if sentence is None:
            logger.warning("Catalogue has no sentence for key %s", key)
            return FALLBACK_SENTENCES[language]
        formatter = _Formatter()
        text = formatter.vformat(sentence, (), params)
        if formatter.missing:
            logger.warning(
                "Sentence %s (%s) rendered without params %s",
                key,
                language,
                ", ".join(dict.fromkeys(formatter.missing)),
            )
        return text


def language_for(code: str | None) -> str:
    """Pick the catalogue language for a platform's language or locale code.

    Every Chinese code maps to Traditional Chinese, the only Chinese we ship: it
    reads better to a Simplified Chinese reader than English would. Telegram
    sends ``zh-hans``/``zh-hant``, Discord ``zh-CN``/``zh-TW``.

    Args:
        code: ``zh-TW``, ``zh_Hant_HK``, ``en-US``, ``fr``..., or None.

    Returns:
        ``"zh-TW"`` for any ``zh`` code, else ``"en"``.
    """
    if code is None:
        return DEFAULT_LANGUAGE
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return "zh-TW" if primary == "zh" else DEFAULT_LANGUAGE


def load_catalogue(sources: Iterable[Traversable]) -> Catalogue:
    """Read and check message files.

    Args:
        sources: TOML files (paths or package resources), each with one table
            per language of :data:`LANGUAGES`.

    Returns:
        The merged catalogue.

    Raises:
        RuntimeError: A file cannot be read, or breaks a rule of this module's
            docstring; the message names the file and the key.
    """
    merged: dict[str, dict[str, str]] = {language: {} for language in LANGUAGES}
    origin: dict[str, str] = {}
    for source in sources:
        per_language = _read_file(source)
        _check_file(source.name, per_language)
        _claim_keys(origin, source.name, per_language[DEFAULT_LANGUAGE])
        for language in LANGUAGES:
            merged[language].update(per_language[language])
    return Catalogue(merged)


def package_sources() -> list[Traversable]:
    """List the message files shipped in ``bot/messages``, by name."""
    folder = resources.files("bot.messages")
    files = [entry for entry in folder.iterdir() if entry.name.endswith(".toml")]
    return sorted(files, key=lambda entry: entry.name)


@cache
def default_catalogue() -> Catalogue:
    """Load the package's catalogue once; call it at start to fail early.

    Raises:
        RuntimeError: A message file breaks a rule (see :func:`load_catalogue`).
    """
    catalogue = load_catalogue(package_sources())
    logger.debug("Catalogue loaded with %s keys", len(catalogue.keys()))
    return catalogue


def render(key: str, language: str, /, **params: object) -> str:
    """Fill sentence ``key`` of the package catalogue; see :meth:`Catalogue.render`."""
    return default_catalogue().render(key, language, **params)


def render_error(error: ChatprintError, language: str) -> str:
    """Show an error to a chat user in ``language``, from its key and params."""
    return render(error.key, language, **error.params)


def has_key(key: str) -> bool:
    """Whether the package catalogue has a sentence for ``key``."""
    return default_catalogue().has_key(key)


def all_keys() -> frozenset[str]:
    """Every key of the package catalogue."""
    return default_catalogue().keys()


def _read_file(source: Traversable) -> dict[str, dict[str, str]]:
    try:
        data = tomllib.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RuntimeError(f"message file {source.name} cannot be read: {exc}") from exc
    unknown = sorted(set(data) - set(LANGUAGES))
    if unknown:
        raise RuntimeError(
            f"message file {source.name} has table {unknown[0]!r}; "
            f"only {', '.join(LANGUAGES)} are allowed"
        )
    return {
        language: _flatten(source.name, language, data.get(language, {}))
        for language in LANGUAGES
    }


def _claim_keys(origin: dict[str, str], file: str, keys: Iterable[str]) -> None:
    """Record which file defines each key, refusing a key already claimed."""
    for key in keys:
        if key in origin:
            raise RuntimeError(
                f"message key {key!r} is defined in both {origin[key]} and {file}"
            )
        origin[key] = file


def _flatten(file: str, prefix: str, table: Any) -> dict[str, str]:
    """Turn nested tables into dotted keys; the language prefix is dropped."""
    if not isinstance(table, dict):
        raise RuntimeError(f"message file {file}: {prefix} must be a table")
    flat: dict[str, str] = {}
    for name, value in table.items():
        path = f"{prefix}.{name}"
        key = path.split(".", 1)[1]
        if isinstance(value, dict):
            flat.update(_flatten(file, path, value))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise RuntimeError(f"message file {file}: key {key!r} is not a string")
    return flat


def _check_file(file: str, per_language: Mapping[str, Mapping[str, str]]) -> None:
    english = per_language[DEFAULT_LANGUAGE]
    for language in LANGUAGES:
        sentences = per_language[language]
        for key in set(english) ^ set(sentences):
            missing = language if key in english else DEFAULT_LANGUAGE
            raise RuntimeError(
                f"message file {file}: key {key!r} is missing in {missing}"
            )
    for key, sentence in english.items():
        expected = _placeholders(file, key, sentence)
        for language in LANGUAGES[1:]:
            found = _placeholders(file, key, per_language[language][key])
            if found != expected:
                raise RuntimeError(
                    f"message file {file}: key {key!r} has placeholders "
                    f"{sorted(found)} in {language} but {sorted(expected)} in en"
                )


def _placeholders(file: str, key: str, sentence: str) -> frozenset[str]:
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in string.Formatter().parse(sentence)
            if name is not None
        ]
    except ValueError as exc:
        raise RuntimeError(f"message file {file}: key {key!r}: {exc}") from exc
    for name, spec, conversion in fields:
        if (
            not name.isidentifier()
            or conversion
            or (spec and not _PLURAL_SPEC.fullmatch(spec))
        ):
            raise RuntimeError(
                f"message file {file}: key {key!r} has placeholder {{{name}}} with "
                "attribute, index, conversion or format; use {name} or {name:one|other}"
            )
    return frozenset(name for name, _, _ in fields)
