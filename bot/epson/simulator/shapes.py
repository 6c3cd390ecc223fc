"""Epson Connect v2 wire shapes the simulator sends and reads, and their enums."""

from __future__ import annotations

from typing import TypedDict

PRINT_MODES = ("document", "photo")
PAPER_SIZES = (
    "ps_a3",
    "ps_a4",
    "ps_a5",
    "ps_a6",
    "ps_b5",
    "ps_tabloid",
    "ps_letter",
    "ps_legal",
    "ps_halfletter",
    "ps_kg",
    "ps_l",
    "ps_2l",
    "ps_10x12",
    "ps_8x10",
    "ps_hivision",
    "ps_5x8",
    "ps_postcard",
)
PAPER_TYPES = (
    "pt_plainpaper",
    "pt_photopaper",
    "pt_hagaki",
    "pt_hagakiphoto",
    "pt_hagakiinkjet",
    "pt_roll",
)
PAPER_SOURCES = ("auto", "rear", "front1", "front2", "front3", "front4", "roll")
PRINT_QUALITIES = ("high", "normal", "draft")
DOUBLE_SIDED = ("none", "long", "short")
COLOR_MODES = ("color", "mono")
DESTINATION_SERVICES = ("url", "mail")


class PrintSettingsWire(TypedDict):
    """All ten print settings, as in a job or schedule body."""

    paperSize: str
    paperType: str
    borderless: bool
    printQuality: str
    paperSource: str
    colorMode: str
    doubleSided: str
    reverseOrder: bool
    copies: int
    collate: bool


class PaperTypeWire(TypedDict):
    """What a printer can do with one paper type on one paper size."""

    paperType: str
    borderless: bool
    paperSources: list[str]
    printQualities: list[str]
    doubleSided: bool


class PaperSizeWire(TypedDict):
    """The paper types a printer takes in one paper size."""

    paperSize: str
    paperTypes: list[PaperTypeWire]


class CapabilityWire(TypedDict):
    """Body of ``GET /printing/capability/{printMode}``."""

    colorModes: list[str]
    resolutions: list[int]
    paperSizes: list[PaperSizeWire]


class DeviceInfoWire(TypedDict):
    """Body of ``GET /printing/devices/info``."""

    productName: str
    serialNumber: str
    multiByteDisplay: bool
    connected: bool


class JobInfoWire(TypedDict):
    """Body of job info and scheduled job info."""

    status: str
    jobName: str
    totalPages: int
    startDate: str
    updateDate: str


class ScheduleWire(TypedDict):
    """One entry of ``GET /scheduling/schedules``."""

    scheduleJobId: str
    jobName: str
    printDateTime: str
    printMode: str
    printSettings: PrintSettingsWire


class DestinationWire(TypedDict):
    """One scan destination."""

    destinationId: str
    aliasName: str
    destinationService: str
    destination: str


class NotificationWire(TypedDict):
    """The application's notification setting."""

    notification: bool
    callbackUri: str


class CallbackParamWire(TypedDict):
    """What a job status callback says (note the PascalCase keys)."""

    Type: str
    JobId: str
    JobStatus: str
    UpdateDate: str


class CallbackWire(TypedDict):
    """Body Epson POSTs to the callback URI."""

    Param: CallbackParamWire
