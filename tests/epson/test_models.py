"""Tests for the Epson domain objects: enums, settings, capability, parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.epson import wire
from bot.epson.errors import InvalidCallback, InvalidSchedule, InvalidSettings
from bot.epson.models import (
    Capability,
    ColorMode,
    Destination,
    DestinationService,
    DeviceInfo,
    DoubleSided,
    JobInfo,
    JobStatus,
    NotificationSetting,
    PaperSize,
    PaperSource,
    PaperType,
    PrintMode,
    PrintQuality,
    PrintSettings,
    PrintType,
    Schedule,
    TokenSet,
    check_print_at,
    parse_callback,
    parse_print_datetime,
    print_datetime_wire,
    settings_patch_to_wire,
)

NOW = datetime(2026, 12, 3, 14, 7, 30, tzinfo=UTC)

A4_PLAIN = PrintSettings(
    paper_size=PaperSize.A4,
    paper_type=PaperType.PLAIN,
    borderless=False,
    print_quality=PrintQuality.NORMAL,
    paper_source=PaperSource.AUTO,
    color_mode=ColorMode.COLOR,
)

CAPABILITY_BODY: dict[str, Any] = {
    "colorModes": ["color", "mono"],
    "resolutions": [300, 600],
    "paperSizes": [
        {
            "paperSize": "ps_a4",
            "paperTypes": [
                {
                    "paperType": "pt_plainpaper",
                    "borderless": False,
                    "paperSources": ["auto", "rear"],
                    "printQualities": ["normal", "draft"],
                    "doubleSided": True,
                },
                {
                    "paperType": "pt_photopaper",
                    "borderless": True,
                    "paperSources": ["rear"],
                    "printQualities": ["high"],
                    "doubleSided": False,
                },
                {
                    "paperType": "pt_photopaper",
                    "borderless": False,
                    "paperSources": ["auto"],
                    "printQualities": ["normal"],
                    "doubleSided": False,
                },
            ],
        },
        {
            "paperSize": "ps_l",
            "paperTypes": [
                {
                    "paperType": "pt_photopaper",
                    "borderless": True,
                    "paperSources": ["rear"],
                    "printQualities": ["high"],
                    "doubleSided": False,
                }
            ],
        },
    ],
}


def _capability(body: dict[str, Any] | None = None) -> Capability:
    return Capability.from_wire(_as(body or CAPABILITY_BODY))


def _as(body: Any) -> Any:
    # Tests hand plain dicts where the code expects a wire TypedDict.
    return body


def _spec_enum(spec_path: Path, name: str) -> list[str]:
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    return list(spec["components"]["schemas"][name]["enum"])


@pytest.mark.parametrize(
    ("schema", "enum"),
    [
        ("printMode", PrintMode),
        ("paperSize", PaperSize),
        ("paperType", PaperType),
        ("paperSource", PaperSource),
        ("printQuality", PrintQuality),
        ("doubleSided", DoubleSided),
        ("colorMode", ColorMode),
        ("status", JobStatus),
        ("printType", PrintType),
        ("type", DestinationService),
    ],
)
def test_enums_hold_exactly_the_spec_values(
    epson_spec_path: Path, schema: str, enum: type[StrEnum]
) -> None:
    expected = _spec_enum(epson_spec_path, schema)

    values = [member.value for member in enum]

    assert values == expected


def test_final_and_paused_statuses_are_the_documented_groups() -> None:
    final = {s for s in JobStatus if s.is_final}
    paused = {s for s in JobStatus if s.is_paused}

    assert final == {"canceled", "error_occurred", "completed", "expired"}
    assert paused == {
        "media_empty",
        "media_jam",
        "marker_supply_empty",
        "stopped_other",
    }
    assert not JobStatus.PROCESSING.is_final
    assert not JobStatus.PROCESSING.is_paused


def test_settings_to_wire_sends_all_ten_fields_with_humane_defaults() -> None:
    body = A4_PLAIN.to_wire()

    assert body == {
        "paperSize": "ps_a4",
        "paperType": "pt_plainpaper",
        "borderless": False,
        "printQuality": "normal",
        "paperSource": "auto",
        "colorMode": "color",
        "doubleSided": "none",
        "reverseOrder": False,
        "copies": 1,
        "collate": True,
    }


def test_settings_from_wire_applies_spec_defaults_to_missing_fields() -> None:
    body = {k: v for k, v in A4_PLAIN.to_wire().items() if k in _REQUIRED}

    settings = PrintSettings.from_wire(_as(body))

    assert settings.double_sided is DoubleSided.NONE
    assert settings.reverse_order is True
    assert settings.copies == 1
    assert settings.collate is False


_REQUIRED = {
    "paperSize",
    "paperType",
    "borderless",
    "printQuality",
    "paperSource",
    "colorMode",
}


@given(
    paper_size=st.sampled_from(PaperSize),
    paper_type=st.sampled_from(PaperType),
    borderless=st.booleans(),
    quality=st.sampled_from(PrintQuality),
    source=st.sampled_from(PaperSource),
    color=st.sampled_from(ColorMode),
    double_sided=st.sampled_from(DoubleSided),
    reverse=st.booleans(),
    copies=st.integers(1, 99),
    collate=st.booleans(),
)
def test_settings_survive_a_round_trip_through_the_wire(
    paper_size: PaperSize,
    paper_type: PaperType,
    borderless: bool,
    quality: PrintQuality,
    source: PaperSource,
    color: ColorMode,
    double_sided: DoubleSided,
    reverse: bool,
    copies: int,
    collate: bool,
) -> None:
    settings = PrintSettings(
        paper_size,
        paper_type,
        borderless,
        quality,
        source,
        color,
        double_sided,
        reverse,
        copies,
        collate,
    )

    settings.validate()
    again = PrintSettings.from_wire(settings.to_wire())

    assert again == settings


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"copies": 0}, "copies"),
        ({"copies": 100}, "copies"),
        ({"copies": True}, "copies"),
        ({"paper_size": "ps_a4"}, "paper_size"),
        ({"borderless": 1}, "borderless"),
        ({"double_sided": "long"}, "double_sided"),
    ],
)
def test_validate_refuses_settings_no_printer_accepts(
    change: dict[str, Any], field: str
) -> None:
    settings = PrintSettings(**{**A4_PLAIN.__dict__, **change})

    with pytest.raises(InvalidSettings) as caught:
        settings.validate()

    assert caught.value.key == "settings.invalid"
    assert caught.value.params["field"] == field
    assert not isinstance(caught.value, ValueError)


def test_validate_accepts_the_copy_limits() -> None:
    for copies in (1, 99):
        PrintSettings(**{**A4_PLAIN.__dict__, "copies": copies}).validate()


def test_settings_patch_uses_wire_keys_and_accepts_members_or_strings() -> None:
    patch = settings_patch_to_wire(
        {"copies": 3, "paper_size": "ps_a5", "color_mode": ColorMode.MONO}
    )

    assert patch == {"copies": 3, "paperSize": "ps_a5", "colorMode": "mono"}


def test_settings_patch_refuses_an_unknown_field_name_as_misuse() -> None:
    with pytest.raises(ValueError, match="paperSize"):
        settings_patch_to_wire({"paperSize": "ps_a4"})


@pytest.mark.parametrize(
    "overrides",
    [{"copies": 0}, {"paper_size": "ps_a9"}, {"collate": "yes"}],
)
def test_settings_patch_refuses_bad_values(overrides: dict[str, object]) -> None:
    with pytest.raises(InvalidSettings):
        settings_patch_to_wire(overrides)


def test_capability_accepts_settings_the_printer_lists() -> None:
    capability = _capability()

    reason = capability.check(A4_PLAIN)

    assert reason is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"paper_size": PaperSize.A3}, "paper_size"),
        ({"paper_type": PaperType.HAGAKI}, "paper_type"),
        ({"borderless": True}, "borderless"),
        ({"paper_source": PaperSource.FRONT1}, "paper_source"),
        ({"print_quality": PrintQuality.HIGH}, "print_quality"),
        (
            {"paper_type": PaperType.PHOTO, "double_sided": DoubleSided.LONG},
            "double_sided",
        ),
    ],
)
def test_capability_names_the_first_setting_the_printer_cannot_do(
    change: dict[str, Any], reason: str
) -> None:
    settings = PrintSettings(**{**A4_PLAIN.__dict__, **change})

    assert _capability().check(settings) == reason


def test_capability_refuses_colour_on_a_mono_printer() -> None:
    capability = _capability({**CAPABILITY_BODY, "colorModes": ["mono"]})

    assert capability.check(A4_PLAIN) == "color_mode"
    assert not capability.supports_color()


def test_capability_matches_each_borderless_entry_of_a_paper_type_apart() -> None:
    borderless_photo = PrintSettings(
        **{
            **A4_PLAIN.__dict__,
            "paper_type": PaperType.PHOTO,
            "borderless": True,
            "paper_source": PaperSource.REAR,
            "print_quality": PrintQuality.HIGH,
        }
    )
    framed_photo_from_rear = PrintSettings(
        **{**borderless_photo.__dict__, "borderless": False}
    )

    capability = _capability()

    assert capability.check(borderless_photo) is None
    assert capability.check(framed_photo_from_rear) == "paper_source"


def test_capability_helpers_summarise_the_printer() -> None:
    capability = _capability()

    assert capability.paper_sizes_list() == [PaperSize.A4, PaperSize.L]
    assert capability.supports_double_sided()
    assert capability.supports_color()
    assert capability.resolutions == (300, 600)


def test_capability_drops_values_this_code_does_not_know() -> None:
    body = {
        "colorModes": ["color", "sepia"],
        "resolutions": [360],
        "paperSizes": [
            {"paperSize": "ps_a9", "paperTypes": []},
            {
                "paperSize": "ps_a4",
                "paperTypes": [
                    {
                        "paperType": "pt_vellum",
                        "borderless": False,
                        "paperSources": ["auto"],
                        "printQualities": ["normal"],
                        "doubleSided": False,
                    },
                    {
                        "paperType": "pt_plainpaper",
                        "borderless": False,
                        "paperSources": ["auto", "tray9"],
                        "printQualities": ["normal", "ultra"],
                        "doubleSided": False,
                    },
                ],
            },
        ],
    }

    capability = _capability(body)

    assert capability.color_modes == (ColorMode.COLOR,)
    assert capability.paper_sizes_list() == [PaperSize.A4]
    only_type = capability.paper_sizes[0].paper_types
    assert [t.paper_type for t in only_type] == [PaperType.PLAIN]
    assert only_type[0].paper_sources == (PaperSource.AUTO,)
    assert only_type[0].print_qualities == (PrintQuality.NORMAL,)


def test_device_info_reads_the_spec_example() -> None:
    body = {
        "productName": "DummyPrinter",
        "serialNumber": "ABCDE12345",
        "multiByteDisplay": False,
        "connected": True,
    }

    info = DeviceInfo.from_wire(_as(body))

    assert info == DeviceInfo("DummyPrinter", "ABCDE12345", False, True)


def test_device_info_refuses_a_field_of_the_wrong_type() -> None:
    body = {
        "productName": "DummyPrinter",
        "serialNumber": "ABCDE12345",
        "multiByteDisplay": "no",
        "connected": True,
    }

    with pytest.raises(TypeError):
        DeviceInfo.from_wire(_as(body))


def test_job_info_reads_utc_dates() -> None:
    body = {
        "status": "completed",
        "jobName": "sample",
        "totalPages": 1,
        "startDate": "2021-08-06 02:00:45",
        "updateDate": "2021-08-06 02:01:26",
    }

    info = JobInfo.from_wire(_as(body))

    assert info.status is JobStatus.COMPLETED
    assert info.start_date == datetime(2021, 8, 6, 2, 0, 45, tzinfo=UTC)
    assert info.update_date == datetime(2021, 8, 6, 2, 1, 26, tzinfo=UTC)
    assert info.total_pages == 1


@pytest.mark.parametrize("date", ["", None, "6 Aug 2021"])
def test_job_info_treats_an_empty_or_odd_date_as_unknown(date: str | None) -> None:
    body = {"status": "pending", "jobName": "x", "totalPages": 0, "startDate": date}

    info = JobInfo.from_wire(_as(body))

    assert info.start_date is None
    assert info.update_date is None


def test_job_info_refuses_an_unknown_status() -> None:
    with pytest.raises(ValueError, match="on_fire"):
        JobInfo.from_wire(_as({"status": "on_fire", "jobName": "x", "totalPages": 0}))


def test_token_set_counts_expiry_from_the_local_clock_and_hides_tokens() -> None:
    body: wire.TokenResponse = {
        "access_token": "access-abcdef",
        "refresh_token": "refresh-abcdef",
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "device",
    }

    tokens = TokenSet.from_wire(body, now=NOW)

    assert tokens.expires_at == NOW + timedelta(hours=1)
    assert tokens.access_token.reveal() == "access-abcdef"
    assert tokens.refresh_token is not None
    assert tokens.refresh_token.reveal() == "refresh-abcdef"
    assert "abcdef" not in repr(tokens)
    assert tokens.expires_within(timedelta(minutes=5), now=NOW + timedelta(minutes=56))
    assert not tokens.expires_within(timedelta(minutes=5), now=NOW)


def test_token_set_of_client_credentials_has_no_refresh_token() -> None:
    body: wire.TokenResponse = {
        "access_token": "app-token",
        "token_type": "Bearer",
        "expires_in": 60,
    }

    tokens = TokenSet.from_wire(body, now=NOW)

    assert tokens.refresh_token is None
    assert tokens.scope == ""


def test_schedule_reads_its_print_time_and_settings() -> None:
    body = {
        "scheduleJobId": "886ba15084e744c98d9913786bbaf1ac",
        "jobName": "sample",
        "printDateTime": "202404011230",
        "printMode": "document",
        "printSettings": A4_PLAIN.to_wire(),
    }

    schedule = Schedule.from_wire(_as(body))

    assert schedule.print_at == datetime(2024, 4, 1, 12, 30, tzinfo=UTC)
    assert schedule.print_mode is PrintMode.DOCUMENT
    assert schedule.settings == A4_PLAIN


def test_destination_and_notification_read_their_bodies() -> None:
    destination = Destination.from_wire(
        _as(
            {
                "destinationId": "d1",
                "aliasName": "Office",
                "destinationService": "mail",
                "destination": "scan@example.com",
            }
        )
    )
    notification = NotificationSetting.from_wire(
        _as({"notification": False, "callbackUri": ""})
    )

    assert destination.service is DestinationService.MAIL
    assert destination.alias_name == "Office"
    assert notification == NotificationSetting(enabled=False, callback_uri=None)


def test_parse_callback_reads_the_spec_shape() -> None:
    body = {
        "Param": {
            "Type": "SchedulePrint",
            "JobId": "886ba15084e744c98d9913786bbaf1ac",
            "JobStatus": "media_empty",
            "UpdateDate": "2021/08/06 06:42:13",
        }
    }

    callback = parse_callback(body)

    assert callback.print_type is PrintType.SCHEDULED
    assert callback.job_id == "886ba15084e744c98d9913786bbaf1ac"
    assert callback.job_status.is_paused
    assert callback.update_date == datetime(2021, 8, 6, 6, 42, 13, tzinfo=UTC)


_GOOD_PARAM = {
    "Type": "ImmediatePrint",
    "JobId": "j1",
    "JobStatus": "completed",
    "UpdateDate": "2021/08/06 06:42:13",
}


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        "Param",
        {},
        {"param": _GOOD_PARAM},
        {"Param": "x"},
        {"Param": {**_GOOD_PARAM, "Type": "LaterPrint"}},
        {"Param": {**_GOOD_PARAM, "JobStatus": "done"}},
        {"Param": {**_GOOD_PARAM, "JobId": ""}},
        {"Param": {**_GOOD_PARAM, "JobId": 7}},
        {"Param": {k: v for k, v in _GOOD_PARAM.items() if k != "JobId"}},
    ],
)
def test_parse_callback_refuses_bodies_of_another_shape(body: object) -> None:
    with pytest.raises(InvalidCallback):
        parse_callback(body)


def test_print_time_is_written_in_utc_without_seconds() -> None:
    tokyo = timezone(timedelta(hours=9))

    text = print_datetime_wire(datetime(2024, 4, 1, 21, 30, 59, tzinfo=tokyo))

    assert text == "202404011230"
    assert parse_print_datetime(text) == datetime(2024, 4, 1, 12, 30, tzinfo=UTC)


def test_print_time_must_be_timezone_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        print_datetime_wire(datetime(2024, 4, 1, 12, 30))


@pytest.mark.parametrize(
    "ahead",
    [
        timedelta(minutes=22, seconds=30),
        timedelta(days=13, hours=23, minutes=52, seconds=30),
    ],
)
def test_check_print_at_accepts_quarter_hours_inside_the_window(
    ahead: timedelta,
) -> None:
    check_print_at(NOW + ahead, now=NOW)


@pytest.mark.parametrize(
    ("when", "reason"),
    [
        (datetime(2026, 12, 3, 16, 10, tzinfo=UTC), "minute"),
        (datetime(2026, 12, 3, 14, 15, tzinfo=UTC), "range"),
        (datetime(2026, 12, 17, 14, 15, tzinfo=UTC), "range"),
        (datetime(2026, 12, 3, 14, 0, tzinfo=UTC), "range"),
    ],
)
def test_check_print_at_refuses_times_epson_refuses(
    when: datetime, reason: str
) -> None:
    with pytest.raises(InvalidSchedule) as caught:
        check_print_at(when, now=NOW)

    assert caught.value.params["reason"] == reason
    assert caught.value.key == "schedule.invalid"
