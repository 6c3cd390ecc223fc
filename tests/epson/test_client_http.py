"""Tests for the Epson client's HTTP behaviour against a scripted loopback server.

The server answers each request with the next canned reply, so these tests can
force what the simulator never does on its own: timeouts, bare 5xx answers,
redirects and bodies of the wrong shape.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import socket
import tracemalloc
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs

import aiohttp
import pytest
from aiohttp import web

from bot.epson.client import EpsonClient
from bot.epson.errors import (
    ClientRejected,
    DuplicateAliasName,
    EpsonError,
    EpsonUnavailable,
    FileTooLargeForUpload,
    InvalidPrintSettings,
    InvalidSchedule,
    InvalidSettings,
    JobLimitExceeded,
    JobNotFound,
    NotFound,
    TokenRefused,
    Unauthorized,
    UnexpectedResponse,
    UploadConflict,
    UploadError,
    UploadKeyNotFound,
    UploadTooLarge,
    UploadUnsupportedType,
)
from bot.epson.models import (
    ColorMode,
    PaperSize,
    PaperSource,
    PaperType,
    PrintMode,
    PrintQuality,
    PrintSettings,
)
from bot.epson.transport import SMALL_UPLOAD_BYTES
from bot.secret import Secret
from tests.fakes.loopback import LoopbackServer

CLIENT_ID = "client-id-1"
CLIENT_SECRET = "client-secret-5f2a9c"
API_KEY = "api-key-77e1b0"
TOKEN = "device-token-c0ffee"
UPLOAD_KEY = "9" * 64
KEEP_BODY = 1 << 16

SETTINGS = PrintSettings(
    paper_size=PaperSize.A4,
    paper_type=PaperType.PLAIN,
    borderless=False,
    print_quality=PrintQuality.NORMAL,
    paper_source=PaperSource.AUTO,
    color_mode=ColorMode.MONO,
    copies=2,
)
DEVICE_INFO = {
    "productName": "DummyPrinter",
    "serialNumber": "ABCDE12345",
    "multiByteDisplay": False,
    "connected": True,
}


@dataclass
class Reply:
    """One canned answer; ``hang`` holds it until the test ends."""

    status: int = 200
    body: object = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    raw_path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    size: int
    digest: str
    body: bytes


class ScriptedEpson:
    """A loopback server that plays back canned replies and records requests."""

    def __init__(self) -> None:
        self.url = ""
        self.replies: deque[Reply] = deque()
        self.seen: list[Seen] = []
        self.release = asyncio.Event()

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(await _record(request))
        reply = self.replies.popleft() if self.replies else Reply(200, {})
        if reply.hang:
            await self.release.wait()
        if reply.text is not None:
            return web.Response(
                status=reply.status, text=reply.text, headers=reply.headers
            )
        if reply.body is None:
            return web.Response(status=reply.status, headers=reply.headers)
        return web.json_response(reply.body, status=reply.status, headers=reply.headers)


async def _record(request: web.Request) -> Seen:
    # Read in chunks so an upload test measures the client, not this server.
    size, digest, kept = 0, hashlib.sha256(), bytearray()
    async for chunk in request.content.iter_any():
        size += len(chunk)
        digest.update(chunk)
        if len(kept) < KEEP_BODY:
            kept += chunk[: KEEP_BODY - len(kept)]
    return Seen(
        method=request.method,
        raw_path=request.raw_path.split("?")[0],
        query=parse_qs(request.query_string),
        headers=dict(request.headers),
        size=size,
        digest=digest.hexdigest(),
        body=bytes(kept),
    )


@pytest.fixture
async def epson() -> AsyncIterator[ScriptedEpson]:
    fake = ScriptedEpson()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", fake.handle)
    async with LoopbackServer(app) as server:
        fake.url = server.url
        try:
            yield fake
        finally:
            fake.release.set()


def _client(url: str, **options: float) -> EpsonClient:
    return EpsonClient(
        api_url=f"{url}/api/2",
        auth_url=url,
        client_id=CLIENT_ID,
        client_secret=Secret(CLIENT_SECRET),
        api_key=Secret(API_KEY),
        timeout=options.get("timeout", 2.0),
        retries=int(options.get("retries", 2)),
        backoff=0.001,
    )


@pytest.fixture
async def client(epson: ScriptedEpson) -> AsyncIterator[EpsonClient]:
    async with _client(epson.url) as opened:
        yield opened


def _write(path: Path, size: int) -> Path:
    path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
    return path


def _token_body(access: str, refresh: str | None) -> dict[str, object]:
    body: dict[str, object] = {
        "access_token": access,
        "token_type": "Bearer",
        "expires_in": 3600,
        "scope": "device",
    }
    if refresh is not None:
        body["refresh_token"] = refresh
    return body


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_api_calls_send_the_api_key_and_the_bearer_token(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(200, DEVICE_INFO))

    info = await client.fetch_device_info(Secret(TOKEN))

    request = epson.seen[0]
    assert info.product_name == "DummyPrinter"
    assert (request.method, request.raw_path) == ("GET", "/api/2/printing/devices/info")
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_a_get_is_retried_after_a_server_error(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(500, {"error": "internal_server_error"}), Reply(200, DEVICE_INFO))

    info = await client.fetch_device_info(Secret(TOKEN))

    assert info.serial_number == "ABCDE12345"
    assert len(epson.seen) == 2


async def test_a_get_gives_up_after_the_configured_retries(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(*[Reply(503)] * 5)

    with pytest.raises(EpsonUnavailable):
        await client.fetch_job(Secret(TOKEN), "job-1")

    assert len(epson.seen) == 3


async def test_a_get_is_retried_after_a_timeout(epson: ScriptedEpson) -> None:
    epson.reply(Reply(hang=True), Reply(200, DEVICE_INFO))

    async with _client(epson.url, timeout=0.2) as client:
        info = await client.fetch_device_info(Secret(TOKEN))

    assert info.connected
    assert len(epson.seen) == 2


async def test_start_print_is_never_retried_after_a_server_error(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(500, {"error": "internal_server_error"}), Reply(202))

    with pytest.raises(EpsonUnavailable) as caught:
        await client.start_print(Secret(TOKEN), "job-1")

    assert caught.value.request_sent
    assert [s.raw_path for s in epson.seen] == ["/api/2/printing/jobs/job-1/print"]


async def test_create_job_is_never_retried_after_a_timeout(
    epson: ScriptedEpson,
) -> None:
    epson.reply(Reply(hang=True), Reply(201, {"jobId": "j", "uploadUri": "u"}))

    async with _client(epson.url, timeout=0.2) as client:
        with pytest.raises(EpsonUnavailable) as caught:
            await client.create_job(
                Secret(TOKEN), job_name="a", mode=PrintMode.DOCUMENT, settings=None
            )

    assert caught.value.request_sent
    assert len(epson.seen) == 1


async def test_a_post_is_retried_when_no_connection_could_be_made(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    caplog.set_level(logging.WARNING, logger="bot.epson")

    async with _client(url, retries=2) as client:
        with pytest.raises(EpsonUnavailable) as caught:
            await client.start_print(Secret(TOKEN), "job-1")

    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert not caught.value.request_sent
    assert len(retries) == 2


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (404, "job_not_found", JobNotFound),
        (403, "job_limit_exceeded", JobLimitExceeded),
        (400, "invalid_print_settings", InvalidPrintSettings),
        (401, "unauthorized", Unauthorized),
        (400, "duplicate_alias_name", DuplicateAliasName),
    ],
)
async def test_error_strings_become_their_classes(
    epson: ScriptedEpson,
    client: EpsonClient,
    status: int,
    error: str,
    expected: type[EpsonError],
) -> None:
    epson.reply(Reply(status, {"error": error}))

    with pytest.raises(expected) as caught:
        await client.cancel_job(Secret(TOKEN), "job-1")

    assert caught.value.params == {
        "operation": "cancel_job",
        "status": status,
        "error": error,
    }


async def test_an_error_body_that_is_not_json_falls_back_on_the_status(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(404, text="<html>Not Found</html>"))

    with pytest.raises(NotFound) as caught:
        await client.delete_destination(Secret(TOKEN), "d-1")

    assert type(caught.value) is NotFound
    assert caught.value.params["error"] is None


@pytest.mark.parametrize(
    "reply",
    [
        Reply(200, {"productName": "P"}),
        Reply(200, ["not", "an", "object"]),
        Reply(200, text="not json"),
        Reply(200),
    ],
)
async def test_a_success_of_the_wrong_shape_is_an_unexpected_response(
    epson: ScriptedEpson, client: EpsonClient, reply: Reply
) -> None:
    epson.reply(reply)

    with pytest.raises(UnexpectedResponse):
        await client.fetch_device_info(Secret(TOKEN))


async def test_a_redirect_is_not_followed_with_our_headers(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(302, headers={"Location": "/elsewhere"}))

    with pytest.raises(EpsonError):
        await client.fetch_destinations(Secret(TOKEN))

    assert [s.raw_path for s in epson.seen] == ["/api/2/scanning/destinations"]


async def test_create_job_sends_all_ten_settings(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    uri = f"{epson.url}/data?Key={UPLOAD_KEY}"
    epson.reply(Reply(201, {"jobId": "job-1", "uploadUri": uri}))

    created = await client.create_job(
        Secret(TOKEN), job_name="x" * 300, mode=PrintMode.DOCUMENT, settings=SETTINGS
    )

    sent = json.loads(epson.seen[0].body)
    assert created.job_id == "job-1"
    assert created.upload_uri.reveal() == uri
    assert UPLOAD_KEY not in repr(created)
    assert sent == {
        "jobName": "x" * 256,
        "printMode": "document",
        "printSettings": SETTINGS.to_wire(),
    }
    assert len(sent["printSettings"]) == 10


async def test_create_job_refuses_invalid_settings_before_sending(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    bad = PrintSettings(**{**SETTINGS.__dict__, "copies": 100})

    with pytest.raises(InvalidSettings):
        await client.create_job(
            Secret(TOKEN), job_name="a", mode=PrintMode.PHOTO, settings=bad
        )

    assert epson.seen == []


async def test_create_schedule_refuses_a_time_epson_refuses_before_sending(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=5)

    with pytest.raises(InvalidSchedule):
        await client.create_schedule(
            Secret(TOKEN),
            job_name="a",
            mode=PrintMode.DOCUMENT,
            print_at=soon,
            settings=None,
        )

    assert epson.seen == []


async def test_ids_are_quoted_into_one_path_segment(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(204))

    await client.delete_schedule(Secret(TOKEN), "a/b?c")

    assert epson.seen[0].raw_path == "/api/2/scheduling/schedules/a%2Fb%3Fc"


# A small file goes as one body read whole, a larger one streamed from disk.
@pytest.mark.parametrize("size", [SMALL_UPLOAD_BYTES, SMALL_UPLOAD_BYTES + 1, 300_000])
async def test_upload_sends_the_file_with_its_type_and_no_credentials(
    epson: ScriptedEpson, client: EpsonClient, tmp_path: Path, size: int
) -> None:
    path = _write(tmp_path / "doc.pdf", size)
    epson.reply(Reply(200))

    await client.upload(
        Secret(f"{epson.url}/data?Key={UPLOAD_KEY}"), path, extension=".PDF"
    )

    request = epson.seen[0]
    assert (request.method, request.raw_path) == ("POST", "/data")
    assert request.query == {"Key": [UPLOAD_KEY], "File": ["1.pdf"]}
    assert request.headers["Content-Type"] == "application/pdf"
    assert request.headers["Content-Length"] == str(size)
    assert request.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert "x-api-key" not in request.headers
    assert "Authorization" not in request.headers


@pytest.mark.parametrize(
    ("extension", "content_type", "name"),
    [
        ("jpg", "image/jpeg", "1.jpg"),
        ("jpeg", "image/jpeg", "1.jpg"),
        ("png", "image/png", "1.png"),
    ],
)
async def test_upload_names_image_types(
    epson: ScriptedEpson,
    client: EpsonClient,
    tmp_path: Path,
    extension: str,
    content_type: str,
    name: str,
) -> None:
    path = _write(tmp_path / "photo", 1000)

    await client.upload(Secret(f"{epson.url}/data?Key=k"), path, extension=extension)

    assert epson.seen[0].headers["Content-Type"] == content_type
    assert epson.seen[0].query["File"] == [name]


async def test_upload_refuses_an_extension_epson_does_not_print(
    client: EpsonClient, tmp_path: Path
) -> None:
    path = _write(tmp_path / "a.docx", 10)

    with pytest.raises(ValueError, match="docx"):
        await client.upload(
            Secret("http://127.0.0.1:1/data?Key=k"), path, extension="docx"
        )


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, UploadKeyNotFound),
        (409, UploadConflict),
        (413, UploadTooLarge),
        (415, UploadUnsupportedType),
        (500, UploadError),
    ],
)
async def test_upload_refusals_become_their_classes_and_are_not_retried(
    epson: ScriptedEpson,
    client: EpsonClient,
    tmp_path: Path,
    status: int,
    expected: type[UploadError],
) -> None:
    path = _write(tmp_path / "a.pdf", 100)
    epson.reply(Reply(status), Reply(200))

    with pytest.raises(expected) as caught:
        await client.upload(
            Secret(f"{epson.url}/data?Key={UPLOAD_KEY}"), path, extension="pdf"
        )

    assert caught.value.status == status
    assert len(epson.seen) == 1
    assert UPLOAD_KEY not in str(caught.value)


async def test_upload_refuses_a_file_over_twenty_million_bytes_unsent(
    epson: ScriptedEpson, client: EpsonClient, tmp_path: Path
) -> None:
    path = tmp_path / "huge.pdf"
    with path.open("wb") as sparse:
        sparse.truncate(20_000_001)

    with pytest.raises(FileTooLargeForUpload) as caught:
        await client.upload(Secret(f"{epson.url}/data?Key=k"), path, extension="pdf")

    assert caught.value.params == {"size": 20_000_001, "limit": 20_000_000}
    assert epson.seen == []


async def test_upload_memory_does_not_grow_with_the_file(
    epson: ScriptedEpson, client: EpsonClient, tmp_path: Path
) -> None:
    size = 12_000_000
    path = _write(tmp_path / "big.pdf", size)

    tracemalloc.start()
    try:
        await client.upload(Secret(f"{epson.url}/data?Key=k"), path, extension="pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert epson.seen[0].size == size
    assert peak < size // 4


async def test_exchange_code_posts_a_form_with_basic_auth(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(200, _token_body("a1", "r1")))

    tokens = await client.exchange_code(
        "code-1", redirect_uri="http://127.0.0.1/cb", code_verifier=Secret("v" * 50)
    )

    request = epson.seen[0]
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert (request.method, request.raw_path) == ("POST", "/auth/token")
    assert request.headers["Authorization"] == f"Basic {basic}"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "x-api-key" not in request.headers
    assert parse_qs(request.body.decode()) == {
        "grant_type": ["authorization_code"],
        "code": ["code-1"],
        "redirect_uri": ["http://127.0.0.1/cb"],
        "code_verifier": ["v" * 50],
    }
    assert tokens.access_token.reveal() == "a1"
    assert tokens.refresh_token == Secret("r1")


async def test_refresh_returns_the_rotated_pair(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(200, _token_body("a2", "r2")))

    tokens = await client.refresh(Secret("r1"))

    assert parse_qs(epson.seen[0].body.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["r1"],
    }
    assert tokens.access_token == Secret("a2")
    assert tokens.refresh_token == Secret("r2")


async def test_refresh_keeps_the_old_refresh_token_if_none_comes_back(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(200, _token_body("a2", None)))

    tokens = await client.refresh(Secret("r1"))

    assert tokens.refresh_token == Secret("r1")


async def test_refresh_is_never_retried_once_sent(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(502), Reply(200, _token_body("a2", "r2")))

    with pytest.raises(EpsonUnavailable):
        await client.refresh(Secret("r1"))

    assert len(epson.seen) == 1


async def test_application_token_uses_client_credentials(
    epson: ScriptedEpson, client: EpsonClient
) -> None:
    epson.reply(Reply(200, _token_body("app", None)))

    tokens = await client.fetch_application_token()

    assert parse_qs(epson.seen[0].body.decode()) == {
        "grant_type": ["client_credentials"]
    }
    assert tokens.refresh_token is None


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        (400, "invalid_grant", TokenRefused),
        (401, "invalid_client", ClientRejected),
        (400, None, TokenRefused),
    ],
)
async def test_token_refusals_become_their_classes(
    epson: ScriptedEpson,
    client: EpsonClient,
    status: int,
    error: str | None,
    expected: type[EpsonError],
) -> None:
    epson.reply(Reply(status, {"error": error} if error else None))

    with pytest.raises(expected):
        await client.refresh(Secret("r1"))


async def test_a_passed_session_stays_open_after_the_client_closes(
    epson: ScriptedEpson,
) -> None:
    epson.reply(Reply(200, DEVICE_INFO))

    async with aiohttp.ClientSession() as session:
        async with EpsonClient(
            api_url=f"{epson.url}/api/2",
            auth_url=epson.url,
            client_id=CLIENT_ID,
            client_secret=Secret(CLIENT_SECRET),
            api_key=Secret(API_KEY),
            session=session,
        ) as client:
            await client.fetch_device_info(Secret(TOKEN))

        assert not session.closed


async def test_failures_leak_no_secret_into_logs_or_errors(
    epson: ScriptedEpson,
    client: EpsonClient,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    path = _write(tmp_path / "a.pdf", 100)
    epson.reply(
        Reply(500), Reply(500), Reply(500), Reply(401, {"error": "invalid_client"})
    )
    epson.reply(Reply(413), Reply(200, text="{"))
    failures: list[EpsonError] = []

    for call in (
        client.fetch_device_info(Secret(TOKEN)),
        client.refresh(Secret("refresh-secret-1a2b")),
        client.upload(
            Secret(f"{epson.url}/data?Key={UPLOAD_KEY}"), path, extension="pdf"
        ),
        client.fetch_notification(Secret("app-token-3c4d")),
    ):
        with pytest.raises(EpsonError) as caught:
            await call
        failures.append(caught.value)

    secrets = (
        CLIENT_SECRET,
        API_KEY,
        TOKEN,
        "refresh-secret-1a2b",
        UPLOAD_KEY,
        "app-token-3c4d",
    )
    # The access log is this fake server's, which repeats request URLs; the entry
    # point turns it down (bot.logs.QUIET_LOGGERS). Every other record counts.
    records = [r for r in caplog.records if r.name != "aiohttp.access"]
    texts = [r.getMessage() for r in records]
    texts += [f"{e} {e!r} {e.params}" for e in failures]
    assert len(records) >= 4
    assert not [(s, t) for s in secrets for t in texts if s in t]
