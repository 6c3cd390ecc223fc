"""Tests for print times: parsing, zones, DST, quarter-hour rounding and bounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.options import OptionError
from bot.schedule_time import (
    MAX_LEAD,
    MIN_LEAD,
    ScheduleOutOfRange,
    canonical_timezone,
    local_text,
    parse_time_text,
    resolve_print_time,
    round_up,
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("9:05", "09:05"),
        (" 23:59 ", "23:59"),
        ("2026-1-2 3:04", "2026-01-02T03:04"),
        ("2026-12-24t09:00", "2026-12-24T09:00"),
    ],
)
def test_parse_time_text_gives_canonical_form(text: str, canonical: str) -> None:
    assert parse_time_text(text) == canonical


@pytest.mark.parametrize(
    "text", ["", "24:00", "12:60", "1230", "noon", "2026-02-30T10:00", "12:3", "١٢:٣٠"]
)
def test_parse_time_text_refuses_malformed_times(text: str) -> None:
    with pytest.raises(OptionError) as caught:
        parse_time_text(text)

    assert caught.value.key == "options.bad_time"
    assert caught.value.params["option"] == "at"


def test_canonical_timezone_ignores_letter_case() -> None:
    assert canonical_timezone(" asia/TAIPEI ") == "Asia/Taipei"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "Asia"])
def test_canonical_timezone_refuses_unknown_zones(name: str) -> None:
    with pytest.raises(OptionError) as caught:
        canonical_timezone(name)

    assert caught.value.key == "options.bad_timezone"


def test_clock_time_later_today_is_today() -> None:
    when = resolve_print_time("11:00", timezone="UTC", now=utc(2026, 6, 1, 10, 0))

    assert when == utc(2026, 6, 1, 11, 0)


def test_clock_time_exactly_fifteen_minutes_ahead_is_today() -> None:
    when = resolve_print_time("10:15", timezone="UTC", now=utc(2026, 6, 1, 10, 0))

    assert when == utc(2026, 6, 1, 10, 15)


def test_clock_time_under_fifteen_minutes_ahead_is_tomorrow() -> None:
    now = datetime(2026, 6, 1, 10, 0, 30, tzinfo=UTC)

    when = resolve_print_time("10:15", timezone="UTC", now=now)

    assert when == utc(2026, 6, 2, 10, 15)


def test_clock_time_already_past_is_tomorrow() -> None:
    when = resolve_print_time("08:00", timezone="UTC", now=utc(2026, 6, 1, 10, 0))

    assert when == utc(2026, 6, 2, 8, 0)


def test_clock_time_just_after_midnight_too_close_is_the_day_after() -> None:
    now = utc(2026, 6, 1, 23, 50)

    when = resolve_print_time("00:00", timezone="UTC", now=now)

    assert when == utc(2026, 6, 3, 0, 0)


def test_clock_time_is_rounded_up_to_the_next_quarter_hour() -> None:
    when = resolve_print_time("11:07", timezone="UTC", now=utc(2026, 6, 1, 10, 0))

    assert when == utc(2026, 6, 1, 11, 15)


def test_clock_time_in_taipei_is_converted_to_utc() -> None:
    now = utc(2026, 12, 3, 14, 0)  # 22:00 in Taipei

    when = resolve_print_time("09:00", timezone="Asia/Taipei", now=now)

    assert when == utc(2026, 12, 4, 1, 0)


def test_local_date_time_in_taipei_is_converted_to_utc() -> None:
    now = utc(2026, 12, 3, 14, 0)

    when = resolve_print_time("2026-12-04T09:00", timezone="asia/taipei", now=now)

    assert when == utc(2026, 12, 4, 1, 0)


def test_kathmandu_offset_lands_on_a_quarter_hour() -> None:
    now = utc(2026, 6, 1, 0, 0)

    when = resolve_print_time("10:00", timezone="Asia/Kathmandu", now=now)

    assert when == utc(2026, 6, 1, 4, 15)


def test_clock_time_across_spring_forward_keeps_the_wall_clock() -> None:
    # New York moves from EST (-5) to EDT (-4) at 02:00 on 8 March 2026.
    now = utc(2026, 3, 7, 15, 0)  # 10:00 EST on the day before

    when = resolve_print_time("09:00", timezone="America/New_York", now=now)

    assert when == utc(2026, 3, 8, 13, 0)


def test_time_skipped_by_spring_forward_lands_after_the_gap() -> None:
    now = utc(2026, 3, 7, 15, 0)

    when = resolve_print_time("2026-03-08T02:30", timezone="America/New_York", now=now)

    assert when == utc(2026, 3, 8, 7, 30)  # 03:30 EDT


def test_time_repeated_by_fall_back_means_the_first_one() -> None:
    # New York moves from EDT (-4) back to EST (-5) at 02:00 on 1 November 2026.
    now = utc(2026, 10, 31, 16, 0)

    when = resolve_print_time("2026-11-01T01:30", timezone="America/New_York", now=now)

    assert when == utc(2026, 11, 1, 5, 30)  # 01:30 EDT


def test_clock_time_across_fall_back_keeps_the_wall_clock() -> None:
    now = utc(2026, 10, 31, 16, 0)  # 12:00 EDT

    when = resolve_print_time("09:00", timezone="America/New_York", now=now)

    assert when == utc(2026, 11, 1, 14, 0)  # 09:00 EST


def test_date_time_fourteen_days_ahead_is_accepted() -> None:
    now = utc(2026, 6, 1, 10, 0)

    when = resolve_print_time("2026-06-15T10:00", timezone="UTC", now=now)

    assert when - now == MAX_LEAD


@pytest.mark.parametrize(
    "text",
    ["2026-06-15T10:01", "2026-06-01T10:00", "2026-05-31T10:00", "9999-12-31T23:59"],
)
def test_date_time_out_of_bounds_is_refused(text: str) -> None:
    now = utc(2026, 6, 1, 10, 0)

    with pytest.raises(ScheduleOutOfRange) as caught:
        resolve_print_time(text, timezone="UTC", now=now)

    assert caught.value.key == "schedule.out_of_range"
    assert caught.value.params["when"]


def test_out_of_range_names_the_local_time() -> None:
    now = utc(2026, 6, 1, 10, 0)

    with pytest.raises(ScheduleOutOfRange) as caught:
        resolve_print_time("2026-07-01T09:00", timezone="Asia/Taipei", now=now)

    assert caught.value.params["when"] == "2026-07-01 09:00 (Asia/Taipei)"


def test_unknown_zone_is_refused_before_the_time() -> None:
    with pytest.raises(OptionError) as caught:
        resolve_print_time("10:00", timezone="Nowhere/City", now=utc(2026, 6, 1))

    assert caught.value.key == "options.bad_timezone"


def test_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        resolve_print_time("10:00", timezone="UTC", now=datetime(2026, 6, 1))


def test_round_up_keeps_a_quarter_hour_and_rounds_anything_else() -> None:
    assert round_up(utc(2026, 6, 1, 10, 30)) == utc(2026, 6, 1, 10, 30)
    assert round_up(datetime(2026, 6, 1, 10, 30, 0, 1, tzinfo=UTC)) == utc(
        2026, 6, 1, 10, 45
    )
    assert round_up(utc(2026, 6, 1, 23, 50)) == utc(2026, 6, 2, 0, 0)


def test_local_text_shows_wall_clock_and_zone() -> None:
    assert local_text(utc(2026, 12, 4, 1, 0), "asia/taipei") == (
        "2026-12-04 09:00 (Asia/Taipei)"
    )


ZONES = ["UTC", "Asia/Taipei", "America/New_York", "Europe/London", "Asia/Kathmandu"]


@given(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31)).map(
        lambda moment: moment.replace(tzinfo=UTC)
    ),
    st.integers(0, 23),
    st.integers(0, 59),
    st.sampled_from(ZONES),
)
def test_clock_times_always_resolve_to_a_valid_epson_slot(
    now: datetime, hour: int, minute: int, zone: str
) -> None:
    when = resolve_print_time(f"{hour}:{minute:02d}", timezone=zone, now=now)

    assert when.tzinfo is UTC
    assert (when.minute % 15, when.second, when.microsecond) == (0, 0, 0)
    assert MIN_LEAD <= when - now <= timedelta(days=2)


def test_date_time_just_under_fifteen_minutes_counts_after_rounding() -> None:
    now = utc(2026, 6, 1, 10, 0)

    when = resolve_print_time("2026-06-01T10:05", timezone="UTC", now=now)

    assert when == utc(2026, 6, 1, 10, 15)
