"""What Epson Connect tells us and what we ask of it, as chatprint's domain objects.

Each object can be built from its wire shape (:mod:`bot.epson.wire`) with
``from_wire``; objects we send have ``to_wire``. Enum values are the spec's wire
strings, so ``PaperSize.A4 == "ps_a4"``. All times are aware datetimes in UTC.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import TypeVar, cast

from bot.epson import wire
from bot.epson.errors import InvalidCallback, InvalidSchedule, InvalidSettings
from bot.secret import Secret

logger = logging.getLogger(__name__)

MIN_COPIES = 1
MAX_COPIES = 99
SCHEDULE_MIN_AHEAD = timedelta(minutes=15)
SCHEDULE_MAX_AHEAD = timedelta(days=14)
SCHEDULE_MINUTES = frozenset({0, 15, 30, 45})

# The spec uses three timestamp formats, all UTC.
_JOB_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_CALLBACK_TIME_FORMAT = "%Y/%m/%d %H:%M:%S"
_PRINT_AT_FORMAT = "%Y%m%d%H%M"

_E = TypeVar("_E", bound=StrEnum)


class PrintMode(StrEnum):
    """Document mode takes PDFs; photo mode takes JPEG and PNG."""

    DOCUMENT = "document"
    PHOTO = "photo"


class PaperSize(StrEnum):
    """Appendix B of the spec; KG is 4x6 in, L is 3.5x5 in, 2L is 5x7 in."""

    A3 = "ps_a3"
    A4 = "ps_a4"
    A5 = "ps_a5"
    A6 = "ps_a6"
    B5 = "ps_b5"
    TABLOID = "ps_tabloid"
    LETTER = "ps_letter"
    LEGAL = "ps_legal"
    HALF_LETTER = "ps_halfletter"
    KG = "ps_kg"
    L = "ps_l"
    L2 = "ps_2l"
    IN_10X12 = "ps_10x12"
    IN_8X10 = "ps_8x10"
    HIVISION = "ps_hivision"
    IN_5X8 = "ps_5x8"
    POSTCARD = "ps_postcard"


class PaperType(StrEnum):
    """Appendix C of the spec."""

    PLAIN = "pt_plainpaper"
    PHOTO = "pt_photopaper"
    HAGAKI = "pt_hagaki"
    HAGAKI_PHOTO = "pt_hagakiphoto"
    HAGAKI_INKJET = "pt_hagakiinkjet"
    ROLL = "pt_roll"


class PaperSource(StrEnum):
    """Appendix D of the spec: the tray the paper comes from."""

    AUTO = "auto"
    REAR = "rear"
    FRONT1 = "front1"
    FRONT2 = "front2"
    FRONT3 = "front3"
    FRONT4 = "front4"
    ROLL = "roll"


class PrintQuality(StrEnum):
    """Appendix E of the spec."""

    HIGH = "high"
    NORMAL = "normal"
    DRAFT = "draft"


class DoubleSided(StrEnum):
    """Appendix F of the spec: none, or binding on the long or the short edge."""

    NONE = "none"
    LONG = "long"
    SHORT = "short"


class ColorMode(StrEnum):
    """Appendix H of the spec."""

    COLOR = "color"
    MONO = "mono"


class JobStatus(StrEnum):
    """Appendix I of the spec: where a print or scheduled job stands."""

    PREPARING = "preparing"
    RESERVED = "reserved"
    PENDING = "pending"
    PROCESSING = "processing"
    MEDIA_EMPTY = "media_empty"
    MEDIA_JAM = "media_jam"
    MARKER_SUPPLY_EMPTY = "marker_supply_empty"
    STOPPED_OTHER = "stopped_other"
    CANCELED = "canceled"
    ERROR_OCCURRED = "error_occurred"
    COMPLETED = "completed"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """True once the job can no longer change."""
        return self in _FINAL_STATUSES

    @property
    def is_paused(self) -> bool:
        """True while the printer waits for a person (paper, jam, ink, other)."""
        return self in _PAUSED_STATUSES


_FINAL_STATUSES = frozenset(
    {
        JobStatus.CANCELED,
        JobStatus.ERROR_OCCURRED,
        JobStatus.COMPLETED,
        JobStatus.EXPIRED,
    }
)
_PAUSED_STATUSES = frozenset(
    {
        JobStatus.MEDIA_EMPTY,
        JobStatus.MEDIA_JAM,
        JobStatus.MARKER_SUPPLY_EMPTY,
        JobStatus.STOPPED_OTHER,
    }
)


class PrintType(StrEnum):
    """The ``Type`` of a notification: an immediate or a scheduled job."""

    IMMEDIATE = "ImmediatePrint"
    SCHEDULED = "SchedulePrint"


class DestinationService(StrEnum):
    """Where a scan destination sends scans: a URL or a mail address."""

    URL = "url"
    MAIL = "mail"


# Python field name -> (wire key, type the value must have).
_SETTING_FIELDS: dict[str, tuple[str, type]] = {
    "paper_size": ("paperSize", PaperSize),
    "paper_type": ("paperType", PaperType),
    "borderless": ("borderless", bool),
    "print_quality": ("printQuality", PrintQuality),
    "paper_source": ("paperSource", PaperSource),
    "color_mode": ("colorMode", ColorMode),
    "double_sided": ("doubleSided", DoubleSided),
    "reverse_order": ("reverseOrder", bool),
    "copies": ("copies", int),
    "collate": ("collate", bool),
}


@dataclass(frozen=True)
class PrintSettings:
    """The ten settings of a print job.

    The defaults for the last four are what a person expects (one sorted copy from
    the first page), not the spec's create-job defaults, which are the reverse.
    """

    paper_size: PaperSize
    paper_type: PaperType
    borderless: bool
    print_quality: PrintQuality
    paper_source: PaperSource
    color_mode: ColorMode
    double_sided: DoubleSided = DoubleSided.NONE
    reverse_order: bool = False
    copies: int = 1
    collate: bool = True

    def validate(self) -> None:
        """Check types and ranges that hold for every printer.

        Raises:
            InvalidSettings: A field has the wrong type, or copies is outside 1..99.
        """
        for name, (_, kind) in _SETTING_FIELDS.items():
            _check_setting(name, kind, getattr(self, name))

    def to_wire(self) -> wire.PrintSettingsBody:
        """Return all ten fields, so no spec default ever applies by surprise."""
        return {
            "paperSize": str(self.paper_size),
            "paperType": str(self.paper_type),
            "borderless": self.borderless,
            "printQuality": str(self.print_quality),
            "paperSource": str(self.paper_source),
            "colorMode": str(self.color_mode),
            "doubleSided": str(self.double_sided),
            "reverseOrder": self.reverse_order,
            "copies": self.copies,
            "collate": self.collate,
        }

    @classmethod
    def from_wire(cls, body: wire.PrintSettingsBody) -> PrintSettings:
        """Build settings from Epson's JSON.

        A missing optional field takes the spec's default, since that is what Epson
        applies; unknown enum values raise ValueError.
        """
        return cls(
            paper_size=PaperSize(body["paperSize"]),
            paper_type=PaperType(body["paperType"]),
            borderless=_bool(body["borderless"]),
            print_quality=PrintQuality(body["printQuality"]),
            paper_source=PaperSource(body["paperSource"]),
            color_mode=ColorMode(body["colorMode"]),
            double_sided=DoubleSided(body.get("doubleSided", DoubleSided.NONE)),
            reverse_order=_bool(body.get("reverseOrder", True)),
            copies=_int(body.get("copies", 1)),
            collate=_bool(body.get("collate", False)),
        )


def settings_patch_to_wire(overrides: Mapping[str, object]) -> wire.PrintSettingsPatch:
    """Turn partial overrides for a copy into their wire form.

    Args:
        overrides: :class:`PrintSettings` field names (``copies``, ``paper_size``)
            mapped to values; enum fields take a member or its wire string.

    Returns:
        Only the given fields, under their camelCase wire keys.

    Raises:
        ValueError: A key is not a PrintSettings field name.
        InvalidSettings: A value is of the wrong type or out of range.
    """
    patch: dict[str, object] = {}
    for name, value in overrides.items():
        if name not in _SETTING_FIELDS:
            raise ValueError(
                f"unknown print setting {name!r}; use one of {sorted(_SETTING_FIELDS)}"
            )
        wire_key, kind = _SETTING_FIELDS[name]
        patch[wire_key] = _coerce_setting(name, kind, value)
    return cast(wire.PrintSettingsPatch, patch)


def _coerce_setting(name: str, kind: type, value: object) -> object:
    if issubclass(kind, StrEnum) and isinstance(value, str):
        try:
            value = kind(value)
        except ValueError:
            raise InvalidSettings(
                f"{name} has no value {value!r}", field=name
            ) from None
    _check_setting(name, kind, value)
    return str(value) if isinstance(value, StrEnum) else value


def _check_setting(name: str, kind: type, value: object) -> None:
    # bool is an int subclass, and True copies would be one copy by accident.
    wrong_type = not isinstance(value, kind) or (
        kind is int and isinstance(value, bool)
    )
    if wrong_type:
        raise InvalidSettings(
            f"{name} must be a {kind.__name__}, not {type(value).__name__}",
            field=name,
        )
    if name == "copies" and not MIN_COPIES <= cast(int, value) <= MAX_COPIES:
        raise InvalidSettings(
            f"copies must be {MIN_COPIES} to {MAX_COPIES}, not {value}",
            field=name,
            minimum=MIN_COPIES,
            maximum=MAX_COPIES,
        )


@dataclass(frozen=True)
class PaperTypeCapability:
    """One paper type on one paper size, and what it combines with."""

    paper_type: PaperType
    borderless: bool
    paper_sources: tuple[PaperSource, ...]
    print_qualities: tuple[PrintQuality, ...]
    double_sided: bool

    @classmethod
    def from_wire(cls, body: wire.PaperTypeBody) -> PaperTypeCapability:
        """Build from Epson's JSON, dropping enum values this code does not know."""
        return cls(
            paper_type=PaperType(body["paperType"]),
            borderless=_bool(body["borderless"]),
            paper_sources=_known(PaperSource, body["paperSources"]),
            print_qualities=_known(PrintQuality, body["printQualities"]),
            double_sided=_bool(body["doubleSided"]),
        )


@dataclass(frozen=True)
class PaperSizeCapability:
    """One paper size the printer takes, with the paper types it allows."""

    paper_size: PaperSize
    paper_types: tuple[PaperTypeCapability, ...]

    @classmethod
    def from_wire(cls, body: wire.PaperSizeBody) -> PaperSizeCapability:
        """Build from Epson's JSON, dropping paper types this code does not know."""
        known = [t for t in body["paperTypes"] if _is_member(PaperType, t["paperType"])]
        return cls(
            paper_size=PaperSize(body["paperSize"]),
            paper_types=tuple(PaperTypeCapability.from_wire(t) for t in known),
        )


@dataclass(frozen=True)
class Capability:
    """What a printer can do in one print mode."""

    color_modes: tuple[ColorMode, ...]
    resolutions: tuple[int, ...]
    paper_sizes: tuple[PaperSizeCapability, ...]

    @classmethod
    def from_wire(cls, body: wire.CapabilityBody) -> Capability:
        """Build from Epson's JSON, dropping values this code does not know."""
        known = [s for s in body["paperSizes"] if _is_member(PaperSize, s["paperSize"])]
        return cls(
            color_modes=_known(ColorMode, body["colorModes"]),
            resolutions=tuple(_int(r) for r in body["resolutions"]),
            paper_sizes=tuple(PaperSizeCapability.from_wire(s) for s in known),
        )

    def check(self, settings: PrintSettings) -> str | None:
        """Say whether the printer can print with ``settings``.

        Returns:
            None when it can; otherwise the first setting it cannot honour, one of
            "color_mode", "paper_size", "paper_type", "borderless", "paper_source",
            "print_quality", "double_sided".
        """
        if settings.color_mode not in self.color_modes:
            return "color_mode"
        size = self._size(settings.paper_size)
        if size is None:
            return "paper_size"
        return _check_paper_type(size.paper_types, settings)

    def paper_sizes_list(self) -> list[PaperSize]:
        """Return the paper sizes the printer takes, in Epson's order."""
        return [size.paper_size for size in self.paper_sizes]

    def supports_double_sided(self) -> bool:
        """True if any paper type on any size can be printed on both sides."""
        return any(t.double_sided for s in self.paper_sizes for t in s.paper_types)

    def supports_color(self) -> bool:
        """True if the printer prints in colour in this mode."""
        return ColorMode.COLOR in self.color_modes

    def _size(self, paper_size: PaperSize) -> PaperSizeCapability | None:
        return next((s for s in self.paper_sizes if s.paper_size == paper_size), None)


def _check_paper_type(
    types: Iterable[PaperTypeCapability], settings: PrintSettings
) -> str | None:
    # Narrow step by step, so the reason names the first setting that fails.
    # One paper type may be listed twice, once per borderless value.
    steps: list[tuple[str, Callable[[PaperTypeCapability], bool]]] = [
        ("paper_type", lambda t: t.paper_type == settings.paper_type),
        ("borderless", lambda t: t.borderless == settings.borderless),
        ("paper_source", lambda t: settings.paper_source in t.paper_sources),
        ("print_quality", lambda t: settings.print_quality in t.print_qualities),
        (
            "double_sided",
            lambda t: settings.double_sided == DoubleSided.NONE or t.double_sided,
        ),
    ]
    candidates = list(types)
    for reason, fits in steps:
        candidates = [t for t in candidates if fits(t)]
        if not candidates:
            return reason
    return None


@dataclass(frozen=True)
class DeviceInfo:
    """The printer behind a device token."""

    product_name: str
    serial_number: str
    multibyte_display: bool
    connected: bool

    @classmethod
    def from_wire(cls, body: wire.DeviceInfoBody) -> DeviceInfo:
        """Build from Epson's JSON."""
        return cls(
            product_name=_str(body["productName"]),
            serial_number=_str(body["serialNumber"]),
            multibyte_display=_bool(body["multiByteDisplay"]),
            connected=_bool(body["connected"]),
        )


@dataclass(frozen=True)
class JobInfo:
    """The state of a print job or a scheduled job."""

    status: JobStatus
    job_name: str
    total_pages: int
    start_date: datetime | None
    update_date: datetime | None

    @classmethod
    def from_wire(cls, body: wire.JobInfoBody) -> JobInfo:
        """Build from Epson's JSON; an empty or odd date becomes None."""
        return cls(
            status=JobStatus(body["status"]),
            job_name=_str(body.get("jobName", "")),
            total_pages=_int(body.get("totalPages", 0)),
            start_date=_parse_time(body.get("startDate"), _JOB_TIME_FORMAT),
            update_date=_parse_time(body.get("updateDate"), _JOB_TIME_FORMAT),
        )


@dataclass(frozen=True)
class CreatedJob:
    """A job or schedule just created, waiting for its file.

    Attributes:
        job_id: The jobId, or the scheduleJobId for a schedule.
        upload_uri: Where to upload the file; its ``Key`` is a credential.
    """

    job_id: str
    upload_uri: Secret


@dataclass(frozen=True)
class TokenSet:
    """Tokens from the token endpoint; a refresh gives a new refresh token too."""

    access_token: Secret
    refresh_token: Secret | None
    expires_at: datetime
    scope: str

    @classmethod
    def from_wire(
        cls, body: wire.TokenResponse, *, now: datetime | None = None
    ) -> TokenSet:
        """Build from the token answer; ``expires_at`` is counted from ``now``."""
        refresh = body.get("refresh_token")
        issued = now or datetime.now(UTC)
        return cls(
            access_token=Secret(_str(body["access_token"])),
            refresh_token=Secret(_str(refresh)) if refresh else None,
            expires_at=issued + timedelta(seconds=_int(body["expires_in"])),
            scope=_str(body.get("scope", "")),
        )

    def expires_within(self, margin: timedelta, *, now: datetime | None = None) -> bool:
        """True if the access token expires before ``now + margin``."""
        return self.expires_at <= (now or datetime.now(UTC)) + margin


@dataclass(frozen=True)
class Schedule:
    """A reserved scheduled job."""

    schedule_job_id: str
    job_name: str
    print_at: datetime
    print_mode: PrintMode
    settings: PrintSettings

    @classmethod
    def from_wire(cls, body: wire.ScheduleBody) -> Schedule:
        """Build from one entry of Epson's schedule list."""
        return cls(
            schedule_job_id=_str(body["scheduleJobId"]),
            job_name=_str(body["jobName"]),
            print_at=parse_print_datetime(body["printDateTime"]),
            print_mode=PrintMode(body["printMode"]),
            settings=PrintSettings.from_wire(body["printSettings"]),
        )


@dataclass(frozen=True)
class Destination:
    """A scan destination shown on the printer's panel."""

    destination_id: str
    alias_name: str
    service: DestinationService
    destination: str

    @classmethod
    def from_wire(cls, body: wire.DestinationBody) -> Destination:
        """Build from one entry of Epson's destination list."""
        return cls(
            destination_id=_str(body["destinationId"]),
            alias_name=_str(body["aliasName"]),
            service=DestinationService(body["destinationService"]),
            destination=_str(body["destination"]),
        )


@dataclass(frozen=True)
class NotificationSetting:
    """Whether Epson pushes job status changes, and to which URI."""

    enabled: bool
    callback_uri: str | None = field(default=None)

    @classmethod
    def from_wire(cls, body: wire.NotificationBody) -> NotificationSetting:
        """Build from Epson's JSON; an empty URI becomes None."""
        uri = body.get("callbackUri")
        return cls(enabled=_bool(body["notification"]), callback_uri=uri or None)


@dataclass(frozen=True)
class JobCallback:
    """One notification Epson pushed about a job."""

    print_type: PrintType
    job_id: str
    job_status: JobStatus
    update_date: datetime | None


def parse_callback(body: object) -> JobCallback:
    """Read a notification body as Epson posts it to our callback URI.

    Args:
        body: The decoded JSON.

    Returns:
        The notification.

    Raises:
        InvalidCallback: The body is not ``{"Param": {Type, JobId, JobStatus,
            UpdateDate}}`` with known enum values.
    """
    param = body.get("Param") if isinstance(body, dict) else None
    if not isinstance(param, dict):
        raise InvalidCallback("notification body has no Param object")
    try:
        return _callback_from_param(cast(wire.CallbackParam, param))
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidCallback(f"notification Param is malformed: {exc}") from exc


def _callback_from_param(param: wire.CallbackParam) -> JobCallback:
    job_id = _str(param["JobId"])
    if not job_id:
        raise ValueError("JobId is empty")
    return JobCallback(
        print_type=PrintType(param["Type"]),
        job_id=job_id,
        job_status=JobStatus(param["JobStatus"]),
        update_date=_parse_time(param.get("UpdateDate"), _CALLBACK_TIME_FORMAT),
    )


def print_datetime_wire(when: datetime) -> str:
    """Format a print time as Epson wants it: YYYYMMDDHHMM in UTC.

    Raises:
        ValueError: ``when`` is naive; pass an aware datetime.
    """
    return _require_aware(when).astimezone(UTC).strftime(_PRINT_AT_FORMAT)


def parse_print_datetime(text: str) -> datetime:
    """Read Epson's YYYYMMDDHHMM print time as an aware UTC datetime."""
    return datetime.strptime(text, _PRINT_AT_FORMAT).replace(tzinfo=UTC)


def check_print_at(when: datetime, *, now: datetime | None = None) -> None:
    """Refuse a print time Epson would refuse, before asking it.

    Seconds are ignored, as the wire format has none.

    Raises:
        InvalidSchedule: The minutes are not 00, 15, 30 or 45, or the time is not
            between 15 minutes and 14 days from ``now``.
        ValueError: ``when`` is naive; pass an aware datetime.
    """
    at = _require_aware(when).replace(second=0, microsecond=0)
    if at.minute not in SCHEDULE_MINUTES:
        raise InvalidSchedule(
            f"print time minute {at.minute} is not a quarter hour", reason="minute"
        )
    ahead = at - (now or datetime.now(UTC))
    if not SCHEDULE_MIN_AHEAD <= ahead <= SCHEDULE_MAX_AHEAD:
        raise InvalidSchedule(
            "print time must be 15 minutes to 14 days ahead", reason="range"
        )


def _require_aware(when: datetime) -> datetime:
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError("a print time must be timezone-aware; use tzinfo=UTC")
    return when


def _parse_time(text: object, fmt: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(_str(text), fmt).replace(tzinfo=UTC)
    except ValueError:
        logger.debug("Epson time %r does not match %s; treated as unknown", text, fmt)
        return None


def _known(kind: type[_E], values: Iterable[str]) -> tuple[_E, ...]:
    return tuple(kind(v) for v in values if _is_member(kind, v))


def _is_member(kind: type[StrEnum], value: object) -> bool:
    known = value in kind._value2member_map_
    if not known:
        logger.debug(
            "Epson sent %s value %r, unknown here; ignored", kind.__name__, value
        )
    return known


# JSON from the network is untrusted: these make a wrong type fail loudly at once.
def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected a boolean, got {type(value).__name__}")
    return value


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value
