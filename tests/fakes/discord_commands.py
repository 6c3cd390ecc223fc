"""Discord's rules for application command registrations, as the fake checks them.

``command_errors`` returns Discord's nested "Invalid Form Body" error tree for a
bulk overwrite payload, empty when the payload is valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

# The locales Discord accepts as keys of *_localizations.
LOCALES = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it",
        "lt", "hu", "nl", "no", "pl", "pt-BR", "ro", "fi", "sv-SE", "vi", "tr",
        "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja", "zh-TW", "ko",
    }
)  # fmt: skip
# Chat input names: 1-32 word characters or dashes, no upper case letters.
_SLASH_NAME = re.compile(r"^[-_'\w]{1,32}$")
_OPTION_TYPES = range(1, 12)
_CHOICE_TYPES = {3: str, 4: int, 10: float}
_RANGE_TYPES = (4, 10)
_MAX_OPTIONS = 25
_MAX_CHOICES = 25
_MAX_GLOBAL_SLASH = 100
_MAX_CONTEXT_MENU = 5

Errors = dict[str, Any]


def command_errors(commands: object) -> Errors:
    """Check a PUT .../commands payload; return Discord's error tree (or ``{}``)."""
    errors: Errors = {}
    if not isinstance(commands, list):
        _add(errors, (), "BASE_TYPE_ARRAY", "Must be an array.")
        return errors
    for index, command in enumerate(commands):
        _check_command(errors, (str(index),), command)
    _check_counts(errors, commands)
    return errors


def _check_counts(errors: Errors, commands: list[Any]) -> None:
    kinds = [c.get("type", 1) for c in commands if isinstance(c, dict)]
    if kinds.count(1) > _MAX_GLOBAL_SLASH:
        _add(errors, (), "APPLICATION_COMMANDS_TOO_MANY", "Too many commands.")
    if kinds.count(3) > _MAX_CONTEXT_MENU or kinds.count(2) > _MAX_CONTEXT_MENU:
        _add(errors, (), "APPLICATION_COMMANDS_TOO_MANY", "Too many menu commands.")
    keys = [(c.get("type", 1), c.get("name")) for c in commands if isinstance(c, dict)]
    if len(keys) != len(set(keys)):
        _add(errors, (), "APPLICATION_COMMANDS_DUPLICATE_NAME", "Duplicate name.")


def _check_command(errors: Errors, path: tuple[str, ...], command: object) -> None:
    if not isinstance(command, dict):
        _add(errors, path, "MODEL_TYPE_CONVERT", "Must be an object.")
        return
    kind = command.get("type", 1)
    if kind not in (1, 2, 3):
        _add(errors, (*path, "type"), "BASE_TYPE_CHOICES", f"Bad type {kind!r}.")
        return
    slash = kind == 1
    _check_name(errors, (*path, "name"), command.get("name"), slash)
    _check_name_localizations(errors, path, command, slash)
    if slash:
        _check_description(errors, path, command)
        _check_options(errors, path, command.get("options") or [])
    elif command.get("description") or command.get("options"):
        message = "Context menu commands cannot have a description or options."
        _add(errors, (*path, "description"), "CONTEXT_MENU_FIELDS", message)


def _check_name(
    errors: Errors, path: tuple[str, ...], name: object, slash: bool
) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 32:
        _add(errors, path, "BASE_TYPE_BAD_LENGTH", "Must be 1 to 32 characters.")
    elif slash and (not _SLASH_NAME.match(name) or name != name.lower()):
        message = f"Command name {name!r} is invalid (lowercase words and dashes)."
        _add(errors, path, "APPLICATION_COMMAND_INVALID_NAME", message)


def _check_description(
    errors: Errors, path: tuple[str, ...], item: Mapping[str, Any]
) -> None:
    description = item.get("description")
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        message = "Must be between 1 and 100 in length."
        _add(errors, (*path, "description"), "BASE_TYPE_BAD_LENGTH", message)
    translations = item.get("description_localizations") or {}
    for locale, text in _localizations(errors, path, translations, "description"):
        if not isinstance(text, str) or not 1 <= len(text) <= 100:
            where = (*path, "description_localizations", locale)
            _add(errors, where, "BASE_TYPE_BAD_LENGTH", "Must be 1 to 100 long.")


def _check_name_localizations(
    errors: Errors, path: tuple[str, ...], item: Mapping[str, Any], slash: bool
) -> None:
    translations = item.get("name_localizations") or {}
    for locale, name in _localizations(errors, path, translations, "name"):
        _check_name(errors, (*path, "name_localizations", locale), name, slash)


def _localizations(
    errors: Errors, path: tuple[str, ...], translations: object, field: str
) -> list[tuple[str, object]]:
    """The valid (locale, text) pairs of a *_localizations map; flags bad keys."""
    if not isinstance(translations, dict):
        where = (*path, f"{field}_localizations")
        _add(errors, where, "MODEL_TYPE_CONVERT", "Must be an object.")
        return []
    valid = []
    for locale, text in translations.items():
        if locale in LOCALES:
            valid.append((locale, text))
        else:
            where = (*path, f"{field}_localizations", locale)
            _add(errors, where, "LOCALE_INVALID", f"Invalid locale {locale!r}.")
    return valid


def _check_options(errors: Errors, path: tuple[str, ...], options: object) -> None:
    if not isinstance(options, list) or len(options) > _MAX_OPTIONS:
        message = "Must be a list of at most 25 options."
        _add(errors, (*path, "options"), "BASE_TYPE_MAX_LENGTH", message)
        return
    seen_optional = False
    for index, item in enumerate(options):
        where = (*path, "options", str(index))
        if not isinstance(item, dict):
            _add(errors, where, "MODEL_TYPE_CONVERT", "Must be an object.")
            continue
        _check_option(errors, where, item)
        if item.get("required") and seen_optional:
            message = "Required options must be placed before non-required options."
            _add(errors, where, "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", message)
        seen_optional = seen_optional or not item.get("required")


def _check_option(
    errors: Errors, path: tuple[str, ...], item: Mapping[str, Any]
) -> None:
    kind = item.get("type")
    if not isinstance(kind, int) or kind not in _OPTION_TYPES:
        _add(errors, (*path, "type"), "BASE_TYPE_CHOICES", f"Bad type {kind!r}.")
        return
    _check_name(errors, (*path, "name"), item.get("name"), True)
    _check_name_localizations(errors, path, item, True)
    _check_description(errors, path, item)
    _check_choices(errors, path, kind, item)
    if kind not in _RANGE_TYPES and ("min_value" in item or "max_value" in item):
        message = "min_value and max_value suit integer and number options only."
        _add(errors, path, "APPLICATION_COMMAND_OPTION_RANGE", message)
    if kind in (1, 2):
        _check_options(errors, path, item.get("options") or [])


def _check_choices(
    errors: Errors, path: tuple[str, ...], kind: int, item: Mapping[str, Any]
) -> None:
    choices = item.get("choices")
    if choices is None:
        return
    expected = _CHOICE_TYPES.get(kind)
    if expected is None or not isinstance(choices, list) or item.get("autocomplete"):
        message = (
            "Choices suit string, integer and number options without autocomplete."
        )
        _add(errors, (*path, "choices"), "APPLICATION_COMMAND_CHOICES_INVALID", message)
        return
    if len(choices) > _MAX_CHOICES:
        _add(errors, (*path, "choices"), "BASE_TYPE_MAX_LENGTH", "At most 25 choices.")
    for index, choice in enumerate(choices):
        _check_choice(errors, (*path, "choices", str(index)), expected, choice)


def _check_choice(
    errors: Errors, path: tuple[str, ...], expected: type, choice: object
) -> None:
    if not isinstance(choice, dict):
        _add(errors, path, "MODEL_TYPE_CONVERT", "Must be an object.")
        return
    name = choice.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        _add(errors, (*path, "name"), "BASE_TYPE_BAD_LENGTH", "Must be 1 to 100 long.")
    value = choice.get("value")
    if not isinstance(value, expected) or isinstance(value, bool):
        message = f"Value must be a {expected.__name__}."
        _add(errors, (*path, "value"), "BASE_TYPE_BAD_TYPE", message)
    for locale, text in _localizations(
        errors, path, choice.get("name_localizations") or {}, "name"
    ):
        if not isinstance(text, str) or not 1 <= len(text) <= 100:
            where = (*path, "name_localizations", locale)
            _add(errors, where, "BASE_TYPE_BAD_LENGTH", "Must be 1 to 100 long.")


def _add(errors: Errors, path: Sequence[str], code: str, message: str) -> None:
    """Append one error at ``path`` in Discord's nested ``_errors`` layout."""
    node = errors
    for key in path:
        node = node.setdefault(key, {})
    node.setdefault("_errors", []).append({"code": code, "message": message})
