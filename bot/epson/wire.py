"""The JSON shapes Epson Connect v2 sends and receives, spelled as on the wire.

Keys keep the spec's camelCase (PascalCase in the notification callback, snake_case
in the OAuth token answers). Only the client and the models import this module; the
rest of chatprint works with the domain objects in :mod:`bot.epson.models`.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict


class ErrorBody(TypedDict):
    """Every failed ``/api/2`` call: ``{"error": "job_not_found"}``."""

    error: str


class TokenErrorBody(TypedDict):
    """A refusal from the token endpoint (RFC 6749 section 5.2)."""

    error: str
    error_description: NotRequired[str]


class TokenResponse(TypedDict):
    """A token endpoint answer; client_credentials gives no refresh token."""

    access_token: str
    token_type: str
    expires_in: int
    refresh_token: NotRequired[str]
    scope: NotRequired[str]


class PrintSettingsBody(TypedDict):
    """All ten print settings, as sent on create and read back from Epson."""

    paperSize: str
    paperType: str
    borderless: bool
    printQuality: str
    paperSource: str
    colorMode: str
    doubleSided: NotRequired[str]
    reverseOrder: NotRequired[bool]
    copies: NotRequired[int]
    collate: NotRequired[bool]


class PrintSettingsPatch(TypedDict, total=False):
    """Settings on a copy: only the fields given override the source job."""

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


class NotificationBody(TypedDict):
    """GET and POST ``/printing/settings/notification``."""

    notification: bool
    callbackUri: NotRequired[str]


class DeviceInfoBody(TypedDict):
    """GET ``/printing/devices/info``."""

    productName: str
    serialNumber: str
    multiByteDisplay: bool
    connected: bool


class PaperTypeBody(TypedDict):
    """One paper type a paper size allows, with what it can be combined with."""

    paperType: str
    borderless: bool
    paperSources: list[str]
    printQualities: list[str]
    doubleSided: bool


class PaperSizeBody(TypedDict):
    """One paper size of a capability answer."""

    paperSize: str
    paperTypes: list[PaperTypeBody]


class CapabilityBody(TypedDict):
    """GET ``/printing/capability/{printMode}``."""

    colorModes: list[str]
    resolutions: list[int]
    paperSizes: list[PaperSizeBody]


class DefaultSettingsBody(TypedDict):
    """GET ``/printing/capability/default``."""

    printSettings: PrintSettingsBody


class CreateJobRequest(TypedDict):
    """POST ``/printing/jobs``."""

    jobName: str
    printMode: str
    printSettings: NotRequired[PrintSettingsBody]


class CreateJobResponse(TypedDict):
    """201 of POST ``/printing/jobs``; ``uploadUri`` holds the upload Key."""

    jobId: str
    uploadUri: str


class CopyJobRequest(TypedDict):
    """POST ``/printing/jobs/copy``."""

    fromJobId: str
    jobName: NotRequired[str]
    printSettings: NotRequired[PrintSettingsPatch]


class CopyJobResponse(TypedDict):
    """201 of POST ``/printing/jobs/copy``."""

    jobId: str


class JobInfoBody(TypedDict):
    """GET ``/printing/jobs/{jobId}`` and ``/scheduling/schedules/{id}``."""

    status: str
    jobName: str
    totalPages: int
    startDate: NotRequired[str]
    updateDate: NotRequired[str]


class ScheduleBody(TypedDict):
    """One reserved job in GET ``/scheduling/schedules``."""

    scheduleJobId: str
    jobName: str
    printDateTime: str
    printMode: str
    printSettings: PrintSettingsBody


class ScheduleListBody(TypedDict):
    """GET ``/scheduling/schedules``."""

    schedules: list[ScheduleBody]


class CreateScheduleRequest(TypedDict):
    """POST ``/scheduling/schedules``; ``printDateTime`` is YYYYMMDDHHMM in UTC."""

    jobName: str
    printDateTime: str
    printMode: str
    printSettings: NotRequired[PrintSettingsBody]


class CreateScheduleResponse(TypedDict):
    """201 of POST ``/scheduling/schedules``."""

    scheduleJobId: str
    uploadUri: str


class CopyScheduleRequest(TypedDict):
    """POST ``/scheduling/schedules/copy``."""

    fromScheduleJobId: str
    printDateTime: NotRequired[str]
    jobName: NotRequired[str]
    printSettings: NotRequired[PrintSettingsPatch]


class CopyScheduleResponse(TypedDict):
    """201 of POST ``/scheduling/schedules/copy``."""

    scheduleJobId: str


class DestinationBody(TypedDict):
    """One scan destination in GET ``/scanning/destinations``."""

    destinationId: str
    aliasName: str
    destinationService: str
    destination: str


class DestinationListBody(TypedDict):
    """GET ``/scanning/destinations``."""

    destinations: list[DestinationBody]


class AddDestinationRequest(TypedDict):
    """POST ``/scanning/destinations``."""

    aliasName: str
    destinationService: str
    destination: str


class AddDestinationResponse(TypedDict):
    """201 of POST ``/scanning/destinations``."""

    destinationId: str


class UpdateDestinationRequest(TypedDict):
    """PUT ``/scanning/destinations/{destinationId}``: the service cannot change."""

    aliasName: str
    destination: str


class CallbackParam(TypedDict):
    """The inside of a notification; ``UpdateDate`` is ``YYYY/MM/DD HH:MM:SS`` UTC."""

    Type: str
    JobId: str
    JobStatus: str
    UpdateDate: str


class CallbackBody(TypedDict):
    """What Epson POSTs to the notification ``callbackUri``."""

    Param: CallbackParam
