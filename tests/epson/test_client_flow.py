"""End-to-end tests of the Epson client against the simulator over real HTTP.

Linking goes through the simulator's authorization server with auto-approve: the
authorize URL answers 302 to our redirect URI, whose ``code`` we exchange.
"""

from __future__ import annotations

import logging
import re
import secrets
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest
import yaml
from aiohttp import web
from fpdf import FPDF
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from bot.epson.client import EpsonClient
from bot.epson.errors import (
    AccessDenied,
    ClientRejected,
    CommandNotAllowed,
    DestinationLimitExceeded,
    DestinationNotFound,
    DeviceNotFound,
    DuplicateAliasName,
    EpsonError,
    EpsonUnavailable,
    InvalidPrintData,
    InvalidPrintSettings,
    InvalidResource,
    JobLimitExceeded,
    JobNotFound,
    NotFound,
    NotRegistered,
    NotSupported,
    OperationNotAllowed,
    ScheduleLimitExceeded,
    ScheduleNotFound,
    TokenRefused,
    Unauthorized,
    UploadConflict,
    UploadError,
    UploadKeyNotFound,
    UploadRejected,
    UploadServerError,
    UploadTooLarge,
    UploadUnsupportedType,
)
from bot.epson.models import (
    CreatedJob,
    DestinationService,
    JobCallback,
    JobStatus,
    PaperSize,
    PrintMode,
    PrintSettings,
    TokenSet,
    parse_callback,
)
from bot.epson.oauth import code_from_redirect, new_pkce
from bot.epson.simulator import RecordedRequest, Simulator, SimulatorSettings
from bot.secret import Secret
from tests.fakes.loopback import LoopbackServer, wait_until

REDIRECT_URI = "http://127.0.0.1:8080/link/callback"
DOCUMENT_PRINTER = "X4AA001234"
MONO_PRINTER = "X5BB005678"
API_HOST = "https://api.epsonconnect.com"
UPLOAD_HOST = "https://upload.epsonconnect.com"
UPLOAD_PATHS = ("/data", "/schedule_data")
PRINTING_ERRORS = (
    "invalid_print_settings",
    "invalid_print_data",
    "job_limit_exceeded",
    "operation_not_allowed",
)


@dataclass
class Linked:
    """A client linked to one simulated printer, and every secret it handled."""

    sim: Simulator
    client: EpsonClient
    tokens: TokenSet
    secrets: list[str] = field(default_factory=list)

    @property
    def token(self) -> Secret:
        return self.tokens.access_token

    def remember(self, *values: Secret | str | None) -> None:
        for value in values:
            if value is not None:
                self.secrets.append(
                    value.reveal() if isinstance(value, Secret) else value
                )


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    settings = SimulatorSettings(auto_approve=True, step_seconds=0.02)
    async with Simulator(settings) as running:
        yield running


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[EpsonClient]:
    async with _client_for(sim) as opened:
        yield opened


@pytest.fixture
async def linked(sim: Simulator, client: EpsonClient) -> Linked:
    return await _link(sim, client)


@pytest.fixture
def pdf(tmp_path: Path) -> Path:
    document = FPDF()
    document.set_font("helvetica", size=14)
    for number in (1, 2):
        document.add_page()
        document.cell(text=f"chatprint test page {number}")
    path = tmp_path / "two-pages.pdf"
    document.output(str(path))
    return path


def _client_for(sim: Simulator, **changes: str) -> EpsonClient:
    settings = sim.settings
    return EpsonClient(
        api_url=f"{sim.url}/api/2",
        auth_url=sim.url,
        client_id=settings.client_id,
        client_secret=Secret(changes.get("client_secret", settings.client_secret)),
        api_key=Secret(changes.get("api_key", settings.api_key)),
        timeout=5.0,
        retries=2,
        backoff=0.001,
    )


async def _authorize(url: str) -> dict[str, str]:
    """Follow the authorize URL one step and return the redirect's query."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as response,
    ):
        assert response.status == 302
        location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return {k: v[-1] for k, v in parse_qs(urlsplit(location).query).items()}


async def _link(
    sim: Simulator, client: EpsonClient, serial: str | None = None
) -> Linked:
    if serial is not None:
        sim.next_authorize_outcome(serial)
    pkce, state = new_pkce(), secrets.token_urlsafe(12)
    url = client.authorize_url(
        redirect_uri=REDIRECT_URI, state=state, code_challenge=pkce.challenge
    )
    code = code_from_redirect(await _authorize(url), state=state)
    tokens = await client.exchange_code(
        code, redirect_uri=REDIRECT_URI, code_verifier=pkce.verifier
    )
    linked = Linked(sim, client, tokens)
    linked.remember(tokens.access_token, tokens.refresh_token, pkce.verifier)
    return linked


def _in_quarters(minutes: int) -> datetime:
    """A quarter hour at least ``minutes`` from now, as Epson wants print times."""
    base = datetime.now(UTC).replace(second=0, microsecond=0)
    base += timedelta(minutes=minutes)
    return base + timedelta(minutes=(15 - base.minute % 15) % 15)


async def _create_uploaded_job(linked: Linked, pdf: Path, name: str) -> CreatedJob:
    settings = await linked.client.fetch_default_settings(linked.token)
    job = await linked.client.create_job(
        linked.token, job_name=name, mode=PrintMode.DOCUMENT, settings=settings
    )
    linked.remember(_upload_key(job))
    await linked.client.upload(job.upload_uri, pdf, extension="pdf")
    return job


def _upload_key(job: CreatedJob) -> str:
    return parse_qs(urlsplit(job.upload_uri.reveal()).query)["Key"][0]


async def _wait_for_status(
    linked: Linked, job_id: str, final: bool = True
) -> JobStatus:
    seen: list[JobStatus] = []

    async def settled() -> bool:
        info = await linked.client.fetch_job(linked.token, job_id)
        seen.append(info.status)
        return info.status.is_final if final else info.status is not JobStatus.PREPARING

    await wait_until(settled, timeout=5, message=f"job {job_id} to settle")
    return seen[-1]


# The whole path


async def test_a_linked_printer_prints_an_uploaded_pdf_to_completion(
    sim: Simulator, client: EpsonClient, pdf: Path
) -> None:
    linked = await _link(sim, client)
    info = await client.fetch_device_info(linked.token)
    capability = await client.fetch_capability(linked.token, PrintMode.DOCUMENT)
    defaults = await client.fetch_default_settings(linked.token)

    job = await client.create_job(
        linked.token, job_name="two pages", mode=PrintMode.DOCUMENT, settings=defaults
    )
    await client.upload(job.upload_uri, pdf, extension="pdf")
    await client.start_print(linked.token, job.job_id)
    status = await _wait_for_status(linked, job.job_id)
    done = await client.fetch_job(linked.token, job.job_id)

    assert info.serial_number == DOCUMENT_PRINTER
    assert capability.check(defaults) is None
    assert status is JobStatus.COMPLETED
    assert done.total_pages == 2
    assert done.job_name == "two pages"
    assert done.start_date is not None
    assert sim.prints_of("two pages") == 1


async def _exercise_every_operation(linked: Linked, pdf: Path) -> None:
    """Call all 22 operations of the spec once or more, checking each answer."""
    client, token = linked.client, linked.token
    await _exercise_printing(linked, pdf)
    await _exercise_scheduling(linked, pdf)
    await _exercise_destinations(client, token)

    app = await client.fetch_application_token()
    linked.remember(app.access_token)
    await client.save_notification(
        app.access_token, enabled=True, callback_uri="http://127.0.0.1:9/epson"
    )
    saved = await client.fetch_notification(app.access_token)
    await client.save_notification(app.access_token, enabled=False, callback_uri=None)
    assert saved.enabled
    assert saved.callback_uri == "http://127.0.0.1:9/epson"
    assert not (await client.fetch_notification(app.access_token)).enabled


async def _exercise_printing(linked: Linked, pdf: Path) -> None:
    client, token = linked.client, linked.token
    info = await client.fetch_device_info(token)
    photo = await client.fetch_capability(token, PrintMode.PHOTO)
    assert info.product_name
    assert photo.paper_sizes_list()

    job = await _create_uploaded_job(linked, pdf, "original")
    await client.start_print(token, job.job_id)
    assert await _wait_for_status(linked, job.job_id) is JobStatus.COMPLETED

    copy_id = await client.copy_job(
        token, job.job_id, job_name="copy", settings={"copies": 2}
    )
    await client.cancel_job(token, copy_id)
    assert (await client.fetch_job(token, copy_id)).status is JobStatus.CANCELED


async def _exercise_scheduling(linked: Linked, pdf: Path) -> None:
    client, token = linked.client, linked.token
    settings = await client.fetch_default_settings(token)
    print_at = _in_quarters(30)
    created = await client.create_schedule(
        token,
        job_name="later",
        mode=PrintMode.DOCUMENT,
        print_at=print_at,
        settings=settings,
    )
    linked.remember(_upload_key(created))
    await client.upload(created.upload_uri, pdf, extension="pdf")
    await client.reserve_schedule(token, created.job_id)

    schedules = await client.fetch_schedules(token)
    status = (await client.fetch_schedule(token, created.job_id)).status
    copy_id = await client.copy_schedule(
        token, created.job_id, print_at=_in_quarters(90), job_name="later again"
    )
    await client.delete_schedule(token, copy_id)

    assert [(s.schedule_job_id, s.print_at) for s in schedules] == [
        (created.job_id, print_at)
    ]
    assert schedules[0].settings == settings
    assert status is JobStatus.RESERVED
    with pytest.raises(ScheduleNotFound):
        await client.fetch_schedule(token, copy_id)


async def _exercise_destinations(client: EpsonClient, token: Secret) -> None:
    destination_id = await client.add_destination(
        token,
        alias_name="Office",
        service=DestinationService.MAIL,
        destination="scan@example.com",
    )
    await client.update_destination(
        token, destination_id, alias_name="Desk", destination="desk@example.com"
    )
    listed = await client.fetch_destinations(token)
    await client.delete_destination(token, destination_id)

    assert [(d.destination_id, d.alias_name, d.destination) for d in listed] == [
        (destination_id, "Desk", "desk@example.com")
    ]
    assert await client.fetch_destinations(token) == []


async def test_every_operation_of_the_spec_works_against_the_simulator(
    linked: Linked, pdf: Path, epson_spec_path: Path
) -> None:
    await _exercise_every_operation(linked, pdf)

    operations = {
        _operation(epson_spec_path, r.method, r.path) for r in linked.sim.requests
    }
    operations.discard(None)
    assert len(operations) == 22, sorted(o for o in operations if o)


# Error strings


async def test_a_wrong_api_key_is_unauthorized(sim: Simulator, linked: Linked) -> None:
    async with _client_for(sim, api_key="not-the-key") as stranger:
        with pytest.raises(Unauthorized):
            await stranger.fetch_device_info(linked.token)


async def test_an_expired_device_token_is_unauthorized(
    sim: Simulator, linked: Linked
) -> None:
    sim.expire_device_tokens()

    with pytest.raises(Unauthorized) as caught:
        await linked.client.fetch_device_info(linked.token)

    assert caught.value.params["error"] == "unauthorized"


async def test_refresh_rotates_the_pair_and_refuses_the_old_refresh_token(
    linked: Linked,
) -> None:
    old = linked.tokens.refresh_token
    assert old is not None

    fresh = await linked.client.refresh(old)
    info = await linked.client.fetch_device_info(fresh.access_token)

    assert fresh.refresh_token is not None
    assert fresh.refresh_token != old
    assert fresh.access_token != linked.tokens.access_token
    assert fresh.expires_at > datetime.now(UTC) + timedelta(minutes=50)
    assert info.serial_number == DOCUMENT_PRINTER
    with pytest.raises(TokenRefused):
        await linked.client.refresh(old)
    again = await linked.client.refresh(fresh.refresh_token)
    assert again.refresh_token not in (old, fresh.refresh_token)


async def test_a_wrong_client_secret_is_a_rejected_client(
    sim: Simulator, linked: Linked
) -> None:
    assert linked.tokens.refresh_token is not None

    async with _client_for(sim, client_secret="not-the-secret") as stranger:
        with pytest.raises(ClientRejected):
            await stranger.refresh(linked.tokens.refresh_token)
        with pytest.raises(ClientRejected):
            await stranger.fetch_application_token()


async def test_a_spent_or_unverified_code_is_refused(
    sim: Simulator, client: EpsonClient
) -> None:
    pkce, state = new_pkce(), "s"
    url = client.authorize_url(
        redirect_uri=REDIRECT_URI, state=state, code_challenge=pkce.challenge
    )
    code = code_from_redirect(await _authorize(url), state=state)

    with pytest.raises(TokenRefused) as missing:
        await client.exchange_code(code, redirect_uri=REDIRECT_URI, code_verifier=None)
    await client.exchange_code(
        code, redirect_uri=REDIRECT_URI, code_verifier=pkce.verifier
    )
    with pytest.raises(TokenRefused) as spent:
        await client.exchange_code(
            code, redirect_uri=REDIRECT_URI, code_verifier=pkce.verifier
        )

    assert missing.value.params["error"] == "invalid_request"
    assert spent.value.params["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("outcome", "change", "expected"),
    [
        ("not_registered", {}, NotRegistered),
        ("access_denied", {}, AccessDenied),
        (None, {"response_type": "token"}, ClientRejected),
        (None, {"scope": "everything"}, ClientRejected),
        (None, {"code_challenge_method": "plain"}, ClientRejected),
    ],
)
async def test_authorize_redirect_errors_map_to_their_classes(
    sim: Simulator,
    client: EpsonClient,
    outcome: str | None,
    change: dict[str, str],
    expected: type[EpsonError],
) -> None:
    if outcome is not None:
        sim.next_authorize_outcome(outcome)
    url = client.authorize_url(redirect_uri=REDIRECT_URI, state="s", code_challenge="c")
    for name, value in change.items():
        url = re.sub(rf"([?&]{name}=)[^&]*", rf"\g<1>{value}", url)

    query = await _authorize(url)

    with pytest.raises(expected):
        code_from_redirect(query, state="s")


async def _error_of_printing(linked: Linked, pdf: Path, case: str) -> None:
    client, token, sim = linked.client, linked.token, linked.sim
    defaults = await client.fetch_default_settings(token)
    if case == "invalid_print_settings":
        a3 = PrintSettings(**{**defaults.__dict__, "paper_size": PaperSize.A3})
        await client.create_job(
            token, job_name="a3", mode=PrintMode.DOCUMENT, settings=a3
        )
    job = await client.create_job(
        token, job_name=case, mode=PrintMode.DOCUMENT, settings=None
    )
    if case == "invalid_print_data":
        await client.start_print(token, job.job_id)
    await client.upload(job.upload_uri, pdf, extension="pdf")
    if case == "job_limit_exceeded":
        sim.settings.job_limit = 0
    await client.start_print(token, job.job_id)
    await client.start_print(token, job.job_id)  # operation_not_allowed


async def _error_of_scheduling(linked: Linked, pdf: Path, case: str) -> None:
    client, token, sim = linked.client, linked.token, linked.sim
    created = await client.create_schedule(
        token,
        job_name=case,
        mode=PrintMode.DOCUMENT,
        print_at=_in_quarters(30),
        settings=None,
    )
    await client.upload(created.upload_uri, pdf, extension="pdf")
    if case == "schedule_limit_exceeded":
        sim.settings.schedule_limit = 0
    await client.reserve_schedule(token, created.job_id)
    await client.reserve_schedule(token, created.job_id)  # command_not_allowed


async def _error_of_destinations(linked: Linked, case: str) -> None:
    client, token, sim = linked.client, linked.token, linked.sim
    alias = "Büro" if case == "invalid_resource" else "Office"
    if case == "destination_limit_exceeded":
        sim.settings.destination_limit = 0
    for _ in range(2):  # the second is a duplicate_alias_name
        await client.add_destination(
            token, alias_name=alias, service="mail", destination="scan@example.com"
        )


async def _provoke(linked: Linked, pdf: Path, case: str) -> None:
    client, token, sim = linked.client, linked.token, linked.sim
    if case in PRINTING_ERRORS:
        await _error_of_printing(linked, pdf, case)
    elif case in ("command_not_allowed", "schedule_limit_exceeded"):
        await _error_of_scheduling(linked, pdf, case)
    elif case in (
        "invalid_resource",
        "duplicate_alias_name",
        "destination_limit_exceeded",
    ):
        await _error_of_destinations(linked, case)
    elif case == "device_not_found":
        sim.printers[DOCUMENT_PRINTER].registered = False
        await client.fetch_device_info(token)
    elif case == "job_not_found":
        await client.fetch_job(token, "0" * 32)
    elif case == "schedule_not_found":
        await client.fetch_schedule(token, "0" * 32)
    elif case == "destination_not_found":
        await client.delete_destination(token, "0" * 32)
    else:
        raise AssertionError(f"no way to provoke {case}")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("invalid_resource", InvalidResource),
        ("invalid_print_settings", InvalidPrintSettings),
        ("invalid_print_data", InvalidPrintData),
        ("job_limit_exceeded", JobLimitExceeded),
        ("operation_not_allowed", OperationNotAllowed),
        ("command_not_allowed", CommandNotAllowed),
        ("schedule_limit_exceeded", ScheduleLimitExceeded),
        ("duplicate_alias_name", DuplicateAliasName),
        ("destination_limit_exceeded", DestinationLimitExceeded),
        ("device_not_found", DeviceNotFound),
        ("job_not_found", JobNotFound),
        ("schedule_not_found", ScheduleNotFound),
        ("destination_not_found", DestinationNotFound),
    ],
)
async def test_each_simulated_error_string_maps_to_its_class(
    linked: Linked, pdf: Path, case: str, expected: type[EpsonError]
) -> None:
    with pytest.raises(expected) as caught:
        await _provoke(linked, pdf, case)

    assert type(caught.value) is expected
    assert caught.value.params["error"] == case


async def test_a_printer_without_a_mode_or_scanner_is_not_supported(
    sim: Simulator, client: EpsonClient
) -> None:
    mono = await _link(sim, client, MONO_PRINTER)

    with pytest.raises(NotSupported):
        await client.fetch_capability(mono.token, PrintMode.PHOTO)
    with pytest.raises(NotSupported):
        await client.fetch_destinations(mono.token)


@pytest.mark.parametrize(
    ("status", "expected", "error"),
    [
        (500, EpsonUnavailable, "internal_server_error"),
        (503, EpsonUnavailable, "internal_server_error"),
        (400, InvalidResource, "invalid_resource"),
        (401, Unauthorized, "unauthorized"),
        (404, NotFound, "not_found"),
        (409, EpsonError, "request_failed"),
    ],
)
async def test_injected_failures_map_by_error_string_or_status(
    linked: Linked, status: int, expected: type[EpsonError], error: str | None
) -> None:
    linked.sim.faults.fail_next(count=5, status=status)

    with pytest.raises(expected) as caught:
        await linked.client.cancel_job(linked.token, "0" * 32)

    assert type(caught.value) is expected
    assert caught.value.params["error"] == error


async def test_a_get_survives_one_injected_server_error(linked: Linked) -> None:
    linked.sim.faults.fail_next(count=1, status=502)

    info = await linked.client.fetch_device_info(linked.token)

    assert info.serial_number == DOCUMENT_PRINTER


async def test_a_print_whose_answer_was_lost_is_not_sent_twice(
    linked: Linked, pdf: Path
) -> None:
    job = await _create_uploaded_job(linked, pdf, "once only")
    linked.sim.faults.fail_next(
        count=1, status=500, path_prefix="/api/2/printing/jobs", after_handling=True
    )

    with pytest.raises(EpsonUnavailable):
        await linked.client.start_print(linked.token, job.job_id)
    await _wait_for_status(linked, job.job_id)

    assert linked.sim.prints_of("once only") == 1


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("no key", UploadRejected),
        ("unknown key", UploadKeyNotFound),
        ("second file", UploadConflict),
        ("unsupported type", UploadUnsupportedType),
        ("too large", UploadTooLarge),
        ("server error", UploadServerError),
        ("second schedule file", UploadTooLarge),
    ],
)
async def test_upload_refusals_map_to_their_classes(
    linked: Linked, pdf: Path, case: str, expected: type[UploadError]
) -> None:
    client, token, sim = linked.client, linked.token, linked.sim
    job = await client.create_job(
        token, job_name="u", mode=PrintMode.DOCUMENT, settings=None
    )
    uri = _upload_uri_for(case, job, sim)
    if case == "second schedule file":
        uri = await _uploaded_schedule_uri(linked, pdf)
    if case == "second file":
        await client.upload(uri, pdf, extension="pdf")
    if case == "too large":
        sim.settings.max_upload = 100
    if case == "server error":
        sim.faults.fail_next(count=1, status=500, path_prefix="/data")

    with pytest.raises(expected) as caught:
        await client.upload(uri, pdf, extension="pdf")

    assert caught.value.status == expected.status


def _upload_uri_for(case: str, job: CreatedJob, sim: Simulator) -> Secret:
    if case == "no key":
        return Secret(f"{sim.url}/data")
    if case == "unknown key":
        return Secret(f"{sim.url}/data?Key={'0' * 64}")
    if case == "unsupported type":
        # The simulator reads the first File, so ours never counts.
        return Secret(f"{job.upload_uri.reveal()}&File=1.gif")
    return job.upload_uri


async def _uploaded_schedule_uri(linked: Linked, pdf: Path) -> Secret:
    created = await linked.client.create_schedule(
        linked.token,
        job_name="s",
        mode=PrintMode.DOCUMENT,
        print_at=_in_quarters(30),
        settings=None,
    )
    await linked.client.upload(created.upload_uri, pdf, extension="pdf")
    return created.upload_uri


# Notifications


async def test_simulated_callbacks_parse_as_job_callbacks(
    linked: Linked, pdf: Path
) -> None:
    received: list[JobCallback] = []

    async def receive(request: web.Request) -> web.Response:
        received.append(parse_callback(await request.json()))
        return web.Response()

    app = web.Application()
    app.router.add_post("/epson", receive)
    async with LoopbackServer(app) as receiver:
        application = await linked.client.fetch_application_token()
        await linked.client.save_notification(
            application.access_token,
            enabled=True,
            callback_uri=f"{receiver.url}/epson",
        )
        job = await _create_uploaded_job(linked, pdf, "notified")
        await linked.client.start_print(linked.token, job.job_id)
        await wait_until(
            lambda: any(c.job_status.is_final for c in received),
            timeout=5,
            message="a final callback",
        )

    final = [c for c in received if c.job_status.is_final]
    assert final[0].job_id == job.job_id
    assert final[0].job_status is JobStatus.COMPLETED
    assert final[0].update_date is not None


# Conformance and secrets


def _operation(spec_path: Path, method: str, path: str) -> str | None:
    """Name the spec operation a recorded request is, or None for auth requests."""
    if path in UPLOAD_PATHS:
        return f"{method} {path}"
    if not path.startswith("/api/2/"):
        return None
    for template, pattern in _path_patterns(spec_path):
        if pattern.fullmatch(path.removeprefix("/api/2")):
            return f"{method} {template}"
    raise AssertionError(f"{method} {path} is no path of the spec")


_PATTERNS: dict[Path, list[tuple[str, re.Pattern[str]]]] = {}


def _path_patterns(spec_path: Path) -> list[tuple[str, re.Pattern[str]]]:
    if spec_path not in _PATTERNS:
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        # Literal paths first: /capability/default before /capability/{printMode}.
        templates = sorted(spec["paths"], key=lambda t: "{" in t)
        _PATTERNS[spec_path] = [
            (t, re.compile(re.sub(r"\{[^}]+\}", "[^/]+", t))) for t in templates
        ]
    return _PATTERNS[spec_path]


@dataclass
class _SpecRequest:
    """A recorded request in the shape openapi-core validates."""

    host_url: str
    path: str
    method: str
    parameters: RequestParameters
    content_type: str
    body: bytes | None


def _spec_request(recorded: RecordedRequest) -> _SpecRequest:
    upload = recorded.path in UPLOAD_PATHS
    query = ImmutableMultiDict(list(recorded.query.items()))
    return _SpecRequest(
        host_url=UPLOAD_HOST if upload else API_HOST,
        path=recorded.path,
        method=recorded.method.lower(),
        parameters=RequestParameters(query=query, header=Headers(recorded.headers)),
        content_type=recorded.content_type.lower(),
        # The spec draws the upload body as an object with a binary File, yet its
        # samples send the raw file; the raw body is checked below instead.
        body=None if upload or not recorded.body else recorded.body,
    )


def _upload_content_types(spec_path: Path, path: str) -> set[str]:
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    return set(spec["paths"][path]["post"]["requestBody"]["content"])


async def test_every_request_the_client_sends_conforms_to_the_spec(
    linked: Linked, pdf: Path, epson_spec_path: Path
) -> None:
    await _exercise_every_operation(linked, pdf)
    spec = OpenAPI.from_file_path(
        # The spec's clientCredentials flow lacks "scopes", so it fails validation.
        str(epson_spec_path),
        config=Config(spec_validator_cls=None),
    )

    checked = [r for r in linked.sim.requests if not r.path.startswith("/auth/")]
    for recorded in checked:
        with warnings.catch_warnings():
            # openapi-core cannot check oauth2; the Bearer header is checked below.
            warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
            spec.validate_request(_spec_request(recorded))
        _check_credentials(recorded, epson_spec_path)

    assert len(checked) >= 30


def _check_credentials(recorded: RecordedRequest, spec_path: Path) -> None:
    headers = {k.lower(): v for k, v in recorded.headers.items()}
    if recorded.path in UPLOAD_PATHS:
        assert "authorization" not in headers
        assert "x-api-key" not in headers
        assert recorded.content_type in _upload_content_types(spec_path, recorded.path)
        assert recorded.body_size > 0
        return
    assert headers["authorization"].startswith("Bearer ")
    assert headers["x-api-key"]


async def test_debug_logs_of_the_whole_flow_hold_no_secret(
    sim: Simulator, pdf: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = sim.settings

    async with _client_for(sim) as client:
        linked = await _link(sim, client)
        await _exercise_every_operation(linked, pdf)
        assert linked.tokens.refresh_token is not None
        fresh = await client.refresh(linked.tokens.refresh_token)
        linked.remember(fresh.access_token, fresh.refresh_token)
        sim.expire_device_tokens()
        with pytest.raises(Unauthorized):
            await client.fetch_device_info(fresh.access_token)

    secrets_seen = [settings.client_secret, settings.api_key, *linked.secrets]
    formatter = logging.Formatter("%(name)s %(message)s")
    texts = [formatter.format(record) for record in caplog.records]
    assert len(secrets_seen) >= 9
    assert any("bot.epson" in text for text in texts)
    leaks = [(s[:4], t) for s in secrets_seen for t in texts if s in t]
    assert leaks == []
