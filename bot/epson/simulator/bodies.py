"""Validation of API request bodies: job names, print modes, print settings, dates.

Shape errors (a missing field, a wrong type, a value outside the spec's enum)
answer 400 ``invalid_resource``; well-formed settings a printer cannot print are
refused later by the printer with ``invalid_print_settings``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import cast

from aiohttp import web

from bot.epson.simulator.errors import Refused
from bot.epson.simulator.shapes import (
    COLOR_MODES,
    DOUBLE_SIDED,
    PAPER_SIZES,
    PAPER_SOURCES,
    PAPER_TYPES,
    PRINT_MODES,
    PRINT_QUALITIES,
    PrintSettingsWire,
)

REQUIRED_SETTINGS = (
    "paperSize",
    "paperType",
    "borderless",
    "printQuality",
    "paperSource",
    "colorMode",
)
# The spec's defaults, which are not the values of its own examples.
SETTING_DEFAULTS: dict[str, object] = {
    "doubleSided": "none",
    "reverseOrder": True,
    "copies": 1,
    "collate": False,
}
ENUM_SETTINGS: dict[str, tuple[str, ...]] = {
    "paperSize": PAPER_SIZES,
    "paperType": PAPER_TYPES,
    "printQuality": PRINT_QUALITIES,
    "paperSource": PAPER_SOURCES,
    "colorMode": COLOR_MODES,
    "doubleSided": DOUBLE_SIDED,
}
BOOLEAN_SETTINGS = ("borderless", "reverseOrder", "collate")
MAX_COPIES = 99
MAX_JOB_NAME = 256
QUARTER_MINUTES = (0, 15, 30, 45)
_PRINT_DATE_TIME = re.compile(r"\d{12}")

JsonObject = dict[str, object]


def invalid_resource() -> Refused:
    """Return the refusal for a body that does not fit the spec."""
    return Refused(400, "invalid_resource")


async def read_object(request: web.Request) -> JsonObject:
    """Return the request's JSON object body.

    Raises:
        Refused: 400 ``invalid_resource`` for a body that is not a JSON object.
    """
    try:
        body = json.loads(await request.read() or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_resource() from exc
    if not isinstance(body, dict):
        raise invalid_resource()
    return body


def text_field(body: Mapping[str, object], name: str, low: int, high: int) -> str:
    """Return ``body[name]`` when it is a string of ``low`` to ``high`` characters."""
    value = body.get(name)
    if not isinstance(value, str) or not low <= len(value) <= high:
        raise invalid_resource()
    return value


def job_name(body: Mapping[str, object]) -> str:
    """Return the body's ``jobName`` (1 to 256 characters)."""
    return text_field(body, "jobName", 1, MAX_JOB_NAME)


def print_mode(body: Mapping[str, object]) -> str:
    """Return the body's ``printMode`` (``document`` or ``photo``)."""
    value = body.get("printMode")
    if not isinstance(value, str) or value not in PRINT_MODES:
        raise invalid_resource()
    return value


def full_settings(value: object) -> PrintSettingsWire:
    """Return complete settings from a create body's ``printSettings``.

    The six required fields must be present; the four others take the spec's
    defaults.
    """
    given = _settings_object(value)
    if any(name not in given for name in REQUIRED_SETTINGS):
        raise invalid_resource()
    return cast(PrintSettingsWire, {**SETTING_DEFAULTS, **given})


def merged_settings(base: PrintSettingsWire, value: object) -> PrintSettingsWire:
    """Return ``base`` with the fields a copy body's ``printSettings`` names."""
    if value is None:
        return base.copy()
    return cast(PrintSettingsWire, {**base, **_settings_object(value)})


def _settings_object(value: object) -> JsonObject:
    if not isinstance(value, dict):
        raise invalid_resource()
    known = {k: v for k, v in value.items() if _is_setting(k)}
    for name, setting in known.items():
        _check_setting(name, setting)
    return known


def _is_setting(name: str) -> bool:
    return name in ENUM_SETTINGS or name in BOOLEAN_SETTINGS or name == "copies"


def _check_setting(name: str, value: object) -> None:
    if name in ENUM_SETTINGS and value not in ENUM_SETTINGS[name]:
        raise invalid_resource()
    if name in BOOLEAN_SETTINGS and not isinstance(value, bool):
        raise invalid_resource()
    if name == "copies":
        _check_copies(value)


def _check_copies(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_resource()
    if not 1 <= value <= MAX_COPIES:
        # A count the printer cannot make, rather than a malformed body.
        raise Refused(400, "invalid_print_settings")


def print_date_time(value: object) -> datetime:
    """Return the UTC time a ``printDateTime`` (``YYYYMMDDHHMM``) names.

    Raises:
        Refused: 400 ``invalid_resource`` for another format, an impossible date,
            or minutes other than 00, 15, 30 and 45.
    """
    if not isinstance(value, str) or not _PRINT_DATE_TIME.fullmatch(value):
        raise invalid_resource()
    try:
        moment = datetime.strptime(value, "%Y%m%d%H%M").replace(tzinfo=UTC)
    except ValueError as exc:
        raise invalid_resource() from exc
    if moment.minute not in QUARTER_MINUTES:
        raise invalid_resource()
    return moment


def format_print_date_time(moment: datetime) -> str:
    """Return ``moment`` as a ``printDateTime`` string."""
    return moment.strftime("%Y%m%d%H%M")
