"""Errors raised by the Epson Connect client, and the tables that pick them.

The tree, grouped by where the condition is found::

    EpsonError                     anything from Epson Connect (ChatprintError)
    ├── EpsonUnavailable           network error, timeout, 5xx, internal_server_error
    ├── UnexpectedResponse         a 2xx answer that is not the documented shape
    ├── Unauthorized               401 unauthorized: the token is invalid or expired
    ├── TokenRefused               the token endpoint refused a grant: link again
    ├── ClientRejected             invalid_client: our client id or secret is wrong
    ├── NotRegistered              authorize redirect: printer not in Epson Connect
    ├── AccessDenied               authorize redirect: the user or server said no
    ├── InvalidResource            400 invalid_resource
    ├── NotSupported               400 not_supported
    ├── InvalidPrintSettings       400 invalid_print_settings
    ├── InvalidPrintData           400 invalid_print_data
    ├── DuplicateAliasName         400 duplicate_alias_name
    ├── JobLimitExceeded           403 job_limit_exceeded
    ├── OperationNotAllowed        403 operation_not_allowed
    ├── CommandNotAllowed          403 command_not_allowed
    ├── ScheduleLimitExceeded      403 schedule_limit_exceeded
    ├── DestinationLimitExceeded   403 destination_limit_exceeded
    ├── NotFound                   404
    │   ├── DeviceNotFound         device_not_found
    │   ├── JobNotFound            job_not_found
    │   ├── ScheduleNotFound       schedule_not_found
    │   └── DestinationNotFound    destination_not_found
    ├── UploadError                the upload host refused the file (``status``)
    │   ├── UploadRejected         400
    │   ├── UploadKeyNotFound      404
    │   ├── UploadMethodNotAllowed 405
    │   ├── UploadConflict         409
    │   ├── UploadTooLarge         413
    │   ├── UploadUnsupportedType  415
    │   └── UploadServerError      500
    └── refused before sending anything:
        ├── InvalidSettings        print settings out of range
        ├── InvalidSchedule        a print time Epson would refuse
        ├── InvalidCallback        a notification body of the wrong shape
        └── FileTooLargeForUpload  over the 20,000,000-byte upload cap

:func:`api_error_class`, :func:`token_error_class`, :func:`redirect_error_class` and
:func:`upload_error_class` are the only places where an Epson status or error string
becomes a class. No message or param here ever holds a token, key or upload URI.
"""

from __future__ import annotations

from typing import Any

from bot.errors import ChatprintError


class EpsonError(ChatprintError):
    """Something went wrong talking to Epson Connect."""

    default_key = "epson.error"


class EpsonUnavailable(EpsonError):
    """Epson Connect could not be reached or failed on its side.

    Attributes:
        request_sent: False only when the request certainly never left this
            process (the connection could not be made), so a retry is harmless.
    """

    default_key = "epson.unavailable"

    def __init__(
        self,
        detail: str = "",
        *,
        request_sent: bool = True,
        key: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(detail, key=key, **params)
        self.request_sent = request_sent


class UnexpectedResponse(EpsonError):
    """Epson answered with success but the body is not the documented shape."""

    default_key = "epson.unexpected_response"


class Unauthorized(EpsonError):
    """The device or application token is invalid or has expired."""

    default_key = "epson.unauthorized"


class TokenRefused(EpsonError):
    """The token endpoint refused a code or refresh token; the link must be redone."""

    default_key = "epson.token_refused"


class ClientRejected(EpsonError):
    """Epson does not accept our client id, client secret or redirect URI."""

    default_key = "epson.client_rejected"


class NotRegistered(EpsonError):
    """The printer the user chose is not registered with Epson Connect."""

    default_key = "epson.not_registered"


class AccessDenied(EpsonError):
    """The authorization was refused, or its redirect could not be trusted."""

    default_key = "epson.access_denied"


class InvalidResource(EpsonError):
    """Epson found the content of the request invalid."""

    default_key = "epson.invalid_resource"


class NotSupported(EpsonError):
    """The printer does not support printing or scanning."""

    default_key = "epson.not_supported"


class InvalidPrintSettings(EpsonError):
    """The printer does not support the print settings sent."""

    default_key = "epson.invalid_print_settings"


class InvalidPrintData(EpsonError):
    """The uploaded file is missing or cannot be printed."""

    default_key = "epson.invalid_print_data"


class DuplicateAliasName(EpsonError):
    """A scan destination with this alias name already exists."""

    default_key = "epson.duplicate_alias_name"


class JobLimitExceeded(EpsonError):
    """Too many jobs are waiting to print on this printer."""

    default_key = "epson.job_limit_exceeded"


class OperationNotAllowed(EpsonError):
    """The job cannot be cancelled in its current state."""

    default_key = "epson.operation_not_allowed"


class CommandNotAllowed(EpsonError):
    """The schedule's print time is out of range or its deadline has passed."""

    default_key = "epson.command_not_allowed"


class ScheduleLimitExceeded(EpsonError):
    """Too many scheduled jobs are reserved on this printer."""

    default_key = "epson.schedule_limit_exceeded"


class DestinationLimitExceeded(EpsonError):
    """The printer holds the maximum number of scan destinations."""

    default_key = "epson.destination_limit_exceeded"


class NotFound(EpsonError):
    """Epson does not know the thing named in the request."""

    default_key = "epson.not_found"


class DeviceNotFound(NotFound):
    """The printer behind the device token is gone from Epson Connect."""

    default_key = "epson.device_not_found"


class JobNotFound(NotFound):
    """No print job has this id (it may have expired after three days)."""

    default_key = "epson.job_not_found"


class ScheduleNotFound(NotFound):
    """No scheduled job has this id."""

    default_key = "epson.schedule_not_found"


class DestinationNotFound(NotFound):
    """No scan destination has this id."""

    default_key = "epson.destination_not_found"


class UploadError(EpsonError):
    """The upload host refused the file; ``status`` is its HTTP status."""

    default_key = "epson.upload_failed"
    status = 0

    def __init__(
        self,
        detail: str = "",
        *,
        status: int | None = None,
        key: str | None = None,
        **params: Any,
    ) -> None:
        super().__init__(detail, key=key, **params)
        if status is not None:
            self.status = status


class UploadRejected(UploadError):
    """The upload request was malformed (400)."""

    default_key = "epson.upload_rejected"
    status = 400


class UploadKeyNotFound(UploadError):
    """The upload Key names no job; the job may have expired (404)."""

    default_key = "epson.upload_key_not_found"
    status = 404


class UploadMethodNotAllowed(UploadError):
    """The upload host does not accept this HTTP method (405)."""

    default_key = "epson.upload_method_not_allowed"
    status = 405


class UploadConflict(UploadError):
    """A file of the same name was already uploaded to this job (409)."""

    default_key = "epson.upload_conflict"
    status = 409


class UploadTooLarge(UploadError):
    """The file, or the number of files, exceeds Epson's maximum (413)."""

    default_key = "epson.upload_too_large"
    status = 413


class UploadUnsupportedType(UploadError):
    """Epson cannot print this file type (415)."""

    default_key = "epson.upload_unsupported_type"
    status = 415


class UploadServerError(UploadError):
    """The upload host failed on its side (500)."""

    default_key = "epson.upload_server_error"
    status = 500


class InvalidSettings(EpsonError):
    """Print settings that no printer accepts (copies outside 1..99, wrong types)."""

    default_key = "settings.invalid"


class InvalidSchedule(EpsonError):
    """A print time Epson refuses: not a quarter hour, or not 15 min to 14 days on."""

    default_key = "schedule.invalid"


class InvalidCallback(EpsonError):
    """A notification body that is not the shape Epson documents."""

    default_key = "epson.invalid_callback"


class FileTooLargeForUpload(EpsonError):
    """The file is over the upload cap, so it was not sent."""

    default_key = "epson.file_too_large"


UPLOAD_LIMIT_BYTES = 20_000_000

_API_ERRORS: dict[str, type[EpsonError]] = {
    "invalid_resource": InvalidResource,
    "not_supported": NotSupported,
    "unauthorized": Unauthorized,
    "internal_server_error": EpsonUnavailable,
    "device_not_found": DeviceNotFound,
    "job_not_found": JobNotFound,
    "schedule_not_found": ScheduleNotFound,
    "destination_not_found": DestinationNotFound,
    "invalid_print_settings": InvalidPrintSettings,
    "invalid_print_data": InvalidPrintData,
    "job_limit_exceeded": JobLimitExceeded,
    "operation_not_allowed": OperationNotAllowed,
    "command_not_allowed": CommandNotAllowed,
    "schedule_limit_exceeded": ScheduleLimitExceeded,
    "duplicate_alias_name": DuplicateAliasName,
    "destination_limit_exceeded": DestinationLimitExceeded,
}

# Used when the error string is missing or new to us: the status still says a lot.
_API_STATUSES: dict[int, type[EpsonError]] = {
    400: InvalidResource,
    401: Unauthorized,
    404: NotFound,
    429: EpsonUnavailable,
}

# RFC 6749 section 5.2. A client that is not allowed a grant is misconfigured, like
# a wrong secret; every other refusal means the code or refresh token is spent.
_TOKEN_ERRORS: dict[str, type[EpsonError]] = {
    "invalid_client": ClientRejected,
    "unauthorized_client": ClientRejected,
    "invalid_grant": TokenRefused,
    "invalid_request": TokenRefused,
    "invalid_scope": TokenRefused,
    "unsupported_grant_type": TokenRefused,
}

# RFC 6749 section 4.1.2.1, plus Epson's own not_registered.
_REDIRECT_ERRORS: dict[str, type[EpsonError]] = {
    "not_registered": NotRegistered,
    "access_denied": AccessDenied,
    "server_error": EpsonUnavailable,
    "temporarily_unavailable": EpsonUnavailable,
    "invalid_request": ClientRejected,
    "unauthorized_client": ClientRejected,
    "unsupported_response_type": ClientRejected,
    "invalid_scope": ClientRejected,
}

_UPLOAD_ERRORS: dict[int, type[UploadError]] = {
    cls.status: cls
    for cls in (
        UploadRejected,
        UploadKeyNotFound,
        UploadMethodNotAllowed,
        UploadConflict,
        UploadTooLarge,
        UploadUnsupportedType,
        UploadServerError,
    )
}


def api_error_class(status: int, error: str | None) -> type[EpsonError]:
    """Pick the class for a failed ``/api/2`` call.

    Args:
        status: The HTTP status of the answer.
        error: The ``error`` string of the body, or None when there was none.

    Returns:
        The class named by the error string; failing that, the one the status
        implies; :class:`EpsonUnavailable` for 5xx; :class:`EpsonError` otherwise.
    """
    if error in _API_ERRORS:
        return _API_ERRORS[error]
    if status >= 500:
        return EpsonUnavailable
    return _API_STATUSES.get(status, EpsonError)


def token_error_class(status: int, error: str | None) -> type[EpsonError]:
    """Pick the class for a refusal from the token endpoint.

    Args:
        status: The HTTP status of the answer.
        error: The RFC 6749 ``error`` string, or None when there was none.

    Returns:
        :class:`ClientRejected` when our credentials are at fault,
        :class:`EpsonUnavailable` for 5xx, :class:`TokenRefused` otherwise.
    """
    if error in _TOKEN_ERRORS:
        return _TOKEN_ERRORS[error]
    if status >= 500:
        return EpsonUnavailable
    return ClientRejected if status == 401 else TokenRefused


def redirect_error_class(error: str) -> type[EpsonError]:
    """Pick the class for an ``error`` parameter on the authorize redirect.

    Args:
        error: The value of the redirect's ``error`` query parameter.

    Returns:
        The matching class; :class:`AccessDenied` for strings new to us.
    """
    return _REDIRECT_ERRORS.get(error, AccessDenied)


def upload_error_class(status: int) -> type[UploadError]:
    """Pick the class for a failed upload from its HTTP status alone.

    Args:
        status: The HTTP status; the upload host sends no error body.

    Returns:
        The class for that status, :class:`UploadServerError` for any 5xx, or
        :class:`UploadError` for another status not documented.
    """
    if status in _UPLOAD_ERRORS:
        return _UPLOAD_ERRORS[status]
    return UploadServerError if status >= 500 else UploadError
