"""Print times as people type them (``at=14:30``), turned into Epson's UTC slots.

Epson Connect takes a scheduled print time in UTC, on a quarter hour, from 15
minutes to 14 days ahead (API-SUMMARY section 5.5). People type a wall-clock time
in their own zone; this module checks the text when the options are parsed and
resolves it to a slot when the job is scheduled.

A local time that does not exist (the hour skipped when clocks go forward) is
read with the offset from before the change, so it lands just after the gap; a
time that happens twice (clocks going back) means the first of the two.
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from bot.errors import ChatprintError

MIN_LEAD = timedelta(minutes=15)
MAX_LEAD = timedelta(days=14)
SLOT = timedelta(minutes=15)
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_LOCAL = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})[t ]([0-9]{1,2}):([0-9]{2})")


class ScheduleOutOfRange(ChatprintError):
    """The print time is under 15 minutes or over 14 days away."""

    default_key = "schedule.out_of_range"


def parse_time_text(text: str) -> str:
    """Check a print time's form and return it in canonical form.

    Args:
        text: ``HH:MM`` or ``YYYY-MM-DDTHH:MM`` (a space may replace the ``T``).

    Returns:
        ``HH:MM`` or ``YYYY-MM-DDTHH:MM`` with zero-padded fields.

    Raises:
        OptionError: ``options.bad_time`` when it is neither form, or names a
            date or time that does not exist.
    """
    cleaned = text.strip().lower()
    if match := _CLOCK.fullmatch(cleaned):
        return _clock(match, text).strftime("%H:%M")
    if match := _LOCAL.fullmatch(cleaned):
        return _local(match, text).strftime("%Y-%m-%dT%H:%M")
    raise _bad_time(text)


def canonical_timezone(name: str) -> str:
    """Return the IANA zone named, spelled as the database spells it.

    Args:
        name: A zone name in any letter case, such as ``asia/taipei``.

    Returns:
        The canonical spelling, such as ``Asia/Taipei``.

    Raises:
        OptionError: ``options.bad_timezone`` when no such zone exists.
    """
    found = _zone_names().get(name.strip().lower())
    if found is None:
        # Imported here because bot.options imports this module.
        from bot.options import OptionError

        raise OptionError(
            f"unknown time zone {name[:40]!r}",
            key="options.bad_timezone",
            option="tz",
            value=name[:40],
        )
    return found


def resolve_print_time(text: str, *, timezone: str, now: datetime) -> datetime:
    """Turn a typed print time into the UTC quarter hour Epson will accept.

    ``HH:MM`` is the next such time in ``timezone``: today when that is still at
    least 15 minutes ahead once rounded, else tomorrow (or the day after, when
    tomorrow's is just past midnight and still too close). A full date-time is
    read as local time in ``timezone``. Either is rounded up to a quarter hour.

    Args:
        text: ``HH:MM`` or ``YYYY-MM-DDTHH:MM``.
        timezone: An IANA zone name, any letter case.
        now: The current time, timezone-aware.

    Returns:
        The print time in UTC, on a quarter hour.

    Raises:
        OptionError: ``options.bad_time`` or ``options.bad_timezone``.
        ScheduleOutOfRange: Less than 15 minutes or more than 14 days ahead.
        ValueError: ``now`` is naive (a programming error).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware, e.g. datetime.now(UTC)")
    zone = zoneinfo.ZoneInfo(canonical_timezone(timezone))
    canonical = parse_time_text(text)
    try:
        when = _resolve_canonical(canonical, zone, now)
    except OverflowError as exc:
        # Dates near year 1 or 9999 cannot even be converted: far out of range.
        raise ScheduleOutOfRange(
            f"print time {canonical} overflows", when=canonical
        ) from exc
    _check_range(when, now, zone)
    return when


def round_up(moment: datetime) -> datetime:
    """Return the first UTC quarter hour at or after ``moment`` (aware)."""
    utc = moment.astimezone(UTC)
    floor = utc.replace(minute=utc.minute - utc.minute % 15, second=0, microsecond=0)
    return floor if floor == utc else floor + SLOT


def local_text(moment: datetime, timezone: str) -> str:
    """Show a moment as ``YYYY-MM-DD HH:MM`` wall-clock time in ``timezone``.

    Args:
        moment: A timezone-aware time.
        timezone: A zone name accepted by :func:`canonical_timezone`.

    Returns:
        The local date and time followed by the zone name, for chat messages.
    """
    zone_name = canonical_timezone(timezone)
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    return f"{local:%Y-%m-%d %H:%M} ({zone_name})"


def _resolve_canonical(
    canonical: str, zone: zoneinfo.ZoneInfo, now: datetime
) -> datetime:
    if len(canonical) == len("HH:MM"):
        return _next_clock_time(time.fromisoformat(canonical), zone, now)
    return round_up(datetime.fromisoformat(canonical).replace(tzinfo=zone))


def _next_clock_time(clock: time, zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    today = now.astimezone(zone).date()
    # Days by the calendar, not by 24 hours, so DST days keep the clock time. The
    # day after tomorrow is needed too: "00:00" asked at 23:50 is 10 minutes away.
    candidates = (
        round_up(datetime.combine(today + timedelta(days=days), clock, tzinfo=zone))
        for days in range(3)
    )
    return next(when for when in candidates if when - now >= MIN_LEAD)


def _check_range(when: datetime, now: datetime, zone: zoneinfo.ZoneInfo) -> None:
    if MIN_LEAD <= when - now <= MAX_LEAD:
        return
    local = when.astimezone(zone)
    raise ScheduleOutOfRange(
        f"print time {when:%Y-%m-%d %H:%M} UTC is not 15 min to 14 days ahead",
        when=f"{local:%Y-%m-%d %H:%M} ({zone.key})",
    )


def _clock(match: re.Match[str], text: str) -> time:
    try:
        return time(int(match[1]), int(match[2]))
    except ValueError as exc:
        raise _bad_time(text) from exc


def _local(match: re.Match[str], text: str) -> datetime:
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
        return datetime.combine(day, time(int(match[4]), int(match[5])))
    except ValueError as exc:
        raise _bad_time(text) from exc


def _bad_time(text: str) -> ChatprintError:
    # Imported here because bot.options imports this module.
    from bot.options import OptionError

    return OptionError(
        f"print time {text[:40]!r} not understood",
        key="options.bad_time",
        option="at",
        value=text[:40],
    )


@cache
def _zone_names() -> dict[str, str]:
    # The zone database is case-sensitive on most systems; people are not.
    return {name.lower(): name for name in zoneinfo.available_timezones()}
