"""The async Epson Connect v2 client: tokens, printing, schedules, scan destinations.

Each method is one operation of the spec (plus the three token grants, which the
spec leaves out). Methods take and return domain objects from
:mod:`bot.epson.models`; every failure is an :class:`~bot.epson.errors.EpsonError`.
Tokens, keys and upload URIs travel as :class:`~bot.secret.Secret` and are revealed
only in the headers and URLs that carry them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import aiohttp

from bot.epson import wire
from bot.epson.models import (
    Capability,
    CreatedJob,
    Destination,
    DestinationService,
    DeviceInfo,
    JobInfo,
    NotificationSetting,
    PrintMode,
    PrintSettings,
    Schedule,
    TokenSet,
    check_print_at,
    print_datetime_wire,
    settings_patch_to_wire,
)
from bot.epson.oauth import TOKEN_PATH, build_authorize_url
from bot.epson.transport import Transport, parse
from bot.secret import Secret

logger = logging.getLogger(__name__)

MAX_JOB_NAME = 256
ALIAS_NAME_LENGTH = range(1, 21)
DESTINATION_LENGTH = range(4, 545)
CALLBACK_URI_LENGTH = range(11, 2049)


class EpsonClient:
    """Talks to Epson Connect on behalf of chatprint.

    Use it as an async context manager; it owns its aiohttp session unless one is
    passed in, in which case the caller closes that session.

    Args:
        api_url: The ``/api/2`` base, e.g. ``https://api.epsonconnect.com/api/2``.
        auth_url: The authorization server base, e.g.
            ``https://auth.epsonconnect.com``.
        client_id: Our application's client id.
        client_secret: Our application's client secret.
        api_key: The API key sent as ``x-api-key``.
        session: An aiohttp session to share, or None to open one.
        timeout: Seconds one request may take.
        retries: How many times a request that is safe to repeat is retried.
        backoff: Seconds before the first retry; doubled after each.
    """

    def __init__(
        self,
        *,
        api_url: str,
        auth_url: str,
        client_id: str,
        client_secret: Secret,
        api_key: Secret,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self._auth_url = auth_url.rstrip("/")
        self._client_id = client_id
        self._transport = Transport(
            api_url=api_url,
            token_url=f"{self._auth_url}{TOKEN_PATH}",
            client_id=client_id,
            client_secret=client_secret,
            api_key=api_key,
            timeout=timeout,
            retries=retries,
            backoff=backoff,
        )
        if session is not None:
            self._transport.use_session(session)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP session if this client opened it."""
        await self._transport.close()

    # Tokens

    def authorize_url(
        self, *, redirect_uri: str, state: str, code_challenge: str
    ) -> str:
        """Return the URL where a person picks and allows their printer.

        Args:
            redirect_uri: Our registered callback URL.
            state: An unguessable value tied to this link attempt.
            code_challenge: The S256 PKCE challenge of the attempt.
        """
        return build_authorize_url(
            self._auth_url, self._client_id, redirect_uri, state, code_challenge
        )

    async def exchange_code(
        self, code: str, *, redirect_uri: str, code_verifier: Secret | None
    ) -> TokenSet:
        """Exchange an authorization code for a device token and refresh token.

        Args:
            code: The code from the authorize redirect.
            redirect_uri: The same redirect URI the authorize URL carried.
            code_verifier: The PKCE verifier, or None if no challenge was sent.

        Raises:
            TokenRefused: The code is spent, expired or does not match.
            ClientRejected: Epson refused our client credentials.
            EpsonUnavailable: Epson could not be reached.
        """
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
        }
        if code_verifier is not None:
            form["code_verifier"] = code_verifier.reveal()
        return await self._grant("exchange_code", form)

    async def refresh(self, refresh_token: Secret) -> TokenSet:
        """Get a new device token; Epson rotates the refresh token on every call.

        Returns:
            The new pair. Store the new refresh token: the old one stops working.

        Raises:
            TokenRefused: The refresh token is spent or expired; link again.
            ClientRejected: Epson refused our client credentials.
            EpsonUnavailable: Epson could not be reached. The refresh is not
                retried once sent, since a repeat would spend the rotated token.
        """
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token.reveal()}
        tokens = await self._grant("refresh", form)
        if tokens.refresh_token is None:
            logger.warning("Epson refresh returned no refresh token; keeping the old")
            return TokenSet(
                tokens.access_token, refresh_token, tokens.expires_at, tokens.scope
            )
        return tokens

    async def fetch_application_token(self) -> TokenSet:
        """Get an application token (client credentials) for notification settings.

        Raises:
            ClientRejected: Epson refused our client credentials.
            EpsonUnavailable: Epson could not be reached.
        """
        return await self._grant(
            "fetch_application_token", {"grant_type": "client_credentials"}
        )

    async def _grant(self, operation: str, form: dict[str, str]) -> TokenSet:
        body = await self._transport.call_token(operation, form)
        return parse(operation, TokenSet.from_wire, body)

    # The device

    async def fetch_device_info(self, token: Secret) -> DeviceInfo:
        """Read the name, serial number and connection state of the printer."""
        body = await self._get("fetch_device_info", "/printing/devices/info", token)
        return parse("fetch_device_info", DeviceInfo.from_wire, body)

    async def fetch_capability(self, token: Secret, mode: PrintMode) -> Capability:
        """Read what the printer can do in ``mode``; choose settings from it."""
        path = f"/printing/capability/{PrintMode(mode).value}"
        body = await self._get("fetch_capability", path, token)
        return parse("fetch_capability", Capability.from_wire, body)

    async def fetch_default_settings(self, token: Secret) -> PrintSettings:
        """Read the printer's default print settings."""
        body = await self._get(
            "fetch_default_settings", "/printing/capability/default", token
        )
        return parse(
            "fetch_default_settings",
            lambda b: PrintSettings.from_wire(b["printSettings"]),
            body,
        )

    # Print jobs

    async def create_job(
        self,
        token: Secret,
        *,
        job_name: str,
        mode: PrintMode,
        settings: PrintSettings | None,
    ) -> CreatedJob:
        """Create a print job that waits for its file.

        Args:
            token: The device token.
            job_name: A name for the job; cut to 256 characters.
            mode: Document (PDF) or photo (JPEG, PNG).
            settings: All ten settings, or None for the printer's defaults.

        Raises:
            InvalidSettings: ``settings`` fails :meth:`PrintSettings.validate`.
            InvalidPrintSettings: The printer refused the settings.
        """
        request: wire.CreateJobRequest = {
            "jobName": _job_name(job_name),
            "printMode": PrintMode(mode).value,
        }
        if settings is not None:
            request["printSettings"] = _settings_wire(settings)
        body = await self._post("create_job", "/printing/jobs", token, request)
        return parse("create_job", _created_job("jobId"), body)

    async def upload(self, upload_uri: Secret, path: Path, *, extension: str) -> None:
        """Upload the file of a job or schedule, streamed from disk unless small.

        Args:
            upload_uri: The ``uploadUri`` Epson gave at creation.
            path: The file to send.
            extension: ``pdf``, ``jpg``, ``jpeg`` or ``png``.

        Raises:
            ValueError: The extension is not one Epson prints.
            FileTooLargeForUpload: The file is over 20,000,000 bytes; nothing sent.
            UploadError: The upload host refused the file.
        """
        size = await self._transport.send_file("upload", upload_uri, path, extension)
        logger.debug("Epson upload of %d bytes finished", size)

    async def start_print(self, token: Secret, job_id: str) -> None:
        """Start printing a job whose file is uploaded; never retried once sent."""
        await self._post("start_print", f"/printing/jobs/{_seg(job_id)}/print", token)

    async def cancel_job(self, token: Secret, job_id: str) -> None:
        """Cancel a job that the printer has not started.

        Raises:
            OperationNotAllowed: The job can no longer be cancelled from here.
        """
        await self._post("cancel_job", f"/printing/jobs/{_seg(job_id)}/cancel", token)

    async def fetch_job(self, token: Secret, job_id: str) -> JobInfo:
        """Read the status of a print job."""
        body = await self._get("fetch_job", f"/printing/jobs/{_seg(job_id)}", token)
        return parse("fetch_job", JobInfo.from_wire, body)

    async def copy_job(
        self,
        token: Secret,
        from_job_id: str,
        *,
        job_name: str | None = None,
        settings: Mapping[str, object] | None = None,
    ) -> str:
        """Make a new job from an uploaded one, to print it again.

        Args:
            token: The device token.
            from_job_id: The job to copy.
            job_name: A new name, or None to keep the old one.
            settings: Overrides keyed by :class:`PrintSettings` field names.

        Returns:
            The new job id; the job reuses the source's file.
        """
        request: wire.CopyJobRequest = {"fromJobId": from_job_id}
        if job_name is not None:
            request["jobName"] = _job_name(job_name)
        if settings:
            request["printSettings"] = settings_patch_to_wire(settings)
        body = await self._post("copy_job", "/printing/jobs/copy", token, request)
        return parse("copy_job", lambda b: _id(b, "jobId"), body)

    # Scheduled jobs

    async def fetch_schedules(self, token: Secret) -> list[Schedule]:
        """List the reserved scheduled jobs of the printer."""
        body = await self._get("fetch_schedules", "/scheduling/schedules", token)
        return parse(
            "fetch_schedules",
            lambda b: [Schedule.from_wire(s) for s in b["schedules"]],
            body,
        )

    async def create_schedule(
        self,
        token: Secret,
        *,
        job_name: str,
        mode: PrintMode,
        print_at: datetime,
        settings: PrintSettings | None,
    ) -> CreatedJob:
        """Create a job to print at ``print_at``; upload, then reserve it.

        Raises:
            InvalidSchedule: ``print_at`` is not a quarter hour 15 min to 14 days on.
            InvalidSettings: ``settings`` fails :meth:`PrintSettings.validate`.
        """
        check_print_at(print_at)
        request: wire.CreateScheduleRequest = {
            "jobName": _job_name(job_name),
            "printDateTime": print_datetime_wire(print_at),
            "printMode": PrintMode(mode).value,
        }
        if settings is not None:
            request["printSettings"] = _settings_wire(settings)
        body = await self._post(
            "create_schedule", "/scheduling/schedules", token, request
        )
        return parse("create_schedule", _created_job("scheduleJobId"), body)

    async def copy_schedule(
        self,
        token: Secret,
        from_schedule_id: str,
        *,
        print_at: datetime | None = None,
        job_name: str | None = None,
        settings: Mapping[str, object] | None = None,
    ) -> str:
        """Make a new scheduled job from an existing one; returns its id."""
        request: wire.CopyScheduleRequest = {"fromScheduleJobId": from_schedule_id}
        if print_at is not None:
            check_print_at(print_at)
            request["printDateTime"] = print_datetime_wire(print_at)
        if job_name is not None:
            request["jobName"] = _job_name(job_name)
        if settings:
            request["printSettings"] = settings_patch_to_wire(settings)
        path = "/scheduling/schedules/copy"
        body = await self._post("copy_schedule", path, token, request)
        return parse("copy_schedule", lambda b: _id(b, "scheduleJobId"), body)

    async def reserve_schedule(self, token: Secret, schedule_id: str) -> None:
        """Commit a scheduled job once its file is uploaded."""
        path = f"/scheduling/schedules/{_seg(schedule_id)}/reserve"
        await self._post("reserve_schedule", path, token)

    async def delete_schedule(self, token: Secret, schedule_id: str) -> None:
        """Delete a scheduled job before its deadline."""
        path = f"/scheduling/schedules/{_seg(schedule_id)}"
        await self._call("delete_schedule", "DELETE", path, token)

    async def fetch_schedule(self, token: Secret, schedule_id: str) -> JobInfo:
        """Read the status of a scheduled job."""
        path = f"/scheduling/schedules/{_seg(schedule_id)}"
        body = await self._get("fetch_schedule", path, token)
        return parse("fetch_schedule", JobInfo.from_wire, body)

    # Notifications (application token)

    async def fetch_notification(self, app_token: Secret) -> NotificationSetting:
        """Read where Epson pushes job status changes for this application."""
        path = "/printing/settings/notification"
        body = await self._get("fetch_notification", path, app_token)
        return parse("fetch_notification", NotificationSetting.from_wire, body)

    async def save_notification(
        self, app_token: Secret, *, enabled: bool, callback_uri: str | None
    ) -> None:
        """Turn status pushes on or off for this application.

        Raises:
            ValueError: ``callback_uri`` is not 11 to 2048 characters long.
        """
        request: wire.NotificationBody = {"notification": enabled}
        if callback_uri is not None:
            _check_length("callback_uri", callback_uri, CALLBACK_URI_LENGTH)
            request["callbackUri"] = callback_uri
        path = "/printing/settings/notification"
        await self._post("save_notification", path, app_token, request)

    # Scan destinations

    async def fetch_destinations(self, token: Secret) -> list[Destination]:
        """List the scan destinations on the printer's panel."""
        body = await self._get("fetch_destinations", "/scanning/destinations", token)
        return parse(
            "fetch_destinations",
            lambda b: [Destination.from_wire(d) for d in b["destinations"]],
            body,
        )

    async def add_destination(
        self, token: Secret, *, alias_name: str, service: str, destination: str
    ) -> str:
        """Add a scan destination and return its id.

        Args:
            token: The device token.
            alias_name: The name on the panel, 1 to 20 characters.
            service: ``url`` or ``mail`` (see :class:`DestinationService`).
            destination: The URL or mail address, 4 to 544 characters.

        Raises:
            ValueError: A value is outside the spec's limits.
            DuplicateAliasName: The alias is taken.
            DestinationLimitExceeded: The printer holds the maximum already.
        """
        request: wire.AddDestinationRequest = {
            "aliasName": _check_length("alias_name", alias_name, ALIAS_NAME_LENGTH),
            "destinationService": DestinationService(service).value,
            "destination": _check_length(
                "destination", destination, DESTINATION_LENGTH
            ),
        }
        body = await self._post(
            "add_destination", "/scanning/destinations", token, request
        )
        return parse("add_destination", lambda b: _id(b, "destinationId"), body)

    async def update_destination(
        self, token: Secret, destination_id: str, *, alias_name: str, destination: str
    ) -> None:
        """Rename or re-point a scan destination; its service cannot change."""
        request: wire.UpdateDestinationRequest = {
            "aliasName": _check_length("alias_name", alias_name, ALIAS_NAME_LENGTH),
            "destination": _check_length(
                "destination", destination, DESTINATION_LENGTH
            ),
        }
        path = f"/scanning/destinations/{_seg(destination_id)}"
        await self._call("update_destination", "PUT", path, token, request)

    async def delete_destination(self, token: Secret, destination_id: str) -> None:
        """Remove a scan destination."""
        path = f"/scanning/destinations/{_seg(destination_id)}"
        await self._call("delete_destination", "DELETE", path, token)

    # Plumbing

    async def _get(self, operation: str, path: str, token: Secret) -> object:
        return await self._call(operation, "GET", path, token)

    async def _post(
        self, operation: str, path: str, token: Secret, body: object = None
    ) -> object:
        return await self._call(operation, "POST", path, token, body)

    async def _call(
        self, operation: str, method: str, path: str, token: Secret, body: object = None
    ) -> object:
        return await self._transport.call_api(operation, method, path, token, body=body)


def _created_job(id_key: str) -> Callable[[Any], CreatedJob]:
    def build(body: Mapping[str, object]) -> CreatedJob:
        uri = body["uploadUri"]
        if not isinstance(uri, str) or not uri:
            raise TypeError("uploadUri is not a non-empty string")
        return CreatedJob(job_id=_id(body, id_key), upload_uri=Secret(uri))

    return build


def _id(body: Mapping[str, object], key: str) -> str:
    value = body[key]
    if not isinstance(value, str) or not value:
        raise TypeError(f"{key} is not a non-empty string")
    return value


def _settings_wire(settings: PrintSettings) -> wire.PrintSettingsBody:
    settings.validate()
    return settings.to_wire()


def _job_name(name: str) -> str:
    if not name:
        raise ValueError("a job name must not be empty")
    return name[:MAX_JOB_NAME]


def _check_length(name: str, value: str, allowed: range) -> str:
    if len(value) not in allowed:
        raise ValueError(
            f"{name} must be {allowed.start} to {allowed.stop - 1} characters long"
        )
    return value


def _seg(identifier: str) -> str:
    # Ids are opaque; quoting keeps a stray "/" or "?" from changing the path.
    return quote(identifier, safe="")
