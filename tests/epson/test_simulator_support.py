"""Helpers the simulator tests share: a running simulator, a plain HTTP caller, files.

This module holds no tests; it is named like the simulator tests so that it
lives beside them.
"""

from __future__ import annotations

import asyncio
import base64
import io
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
from fpdf import FPDF
from PIL import Image
from yarl import URL

from bot.epson.simulator import Simulator, SimulatorSettings

REDIRECT_URI = "http://127.0.0.1:9/callback"
DOC_PRINTER = "X4AA001234"
MONO_PRINTER = "X5BB005678"
PHOTO_PRINTER = "X6CC009012"
A4_PLAIN = {
    "paperSize": "ps_a4",
    "paperType": "pt_plainpaper",
    "borderless": False,
    "printQuality": "normal",
    "paperSource": "auto",
    "colorMode": "mono",
    "doubleSided": "none",
    "reverseOrder": False,
    "copies": 1,
    "collate": True,
}


def pdf_bytes(pages: int = 1) -> bytes:
    """Return a real PDF of ``pages`` pages."""
    document = FPDF()
    document.set_font("helvetica", size=12)
    for number in range(pages):
        document.add_page()
        document.cell(text=f"page {number + 1}")
    return bytes(document.output())


def jpeg_bytes() -> bytes:
    """Return a small real JPEG picture."""
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 10)).save(buffer, "JPEG")
    return buffer.getvalue()


def basic(client_id: str, secret: str) -> str:
    """Return an HTTP Basic ``Authorization`` value."""
    raw = f"{client_id}:{secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


class Api:
    """Speaks to the simulator with plain aiohttp requests, as a client would.

    Args:
        sim: the running simulator.
        session: an aiohttp session that does not follow redirects by itself.
    """

    def __init__(self, sim: Simulator, session: aiohttp.ClientSession) -> None:
        self.sim = sim
        self.session = session
        self.device_token = ""
        self.refresh_token = ""

    async def authorize(self, **params: str) -> aiohttp.ClientResponse:
        """GET /auth/authorize with the usual parameters (overridable)."""
        query = {
            "response_type": "code",
            "client_id": self.sim.settings.client_id,
            "redirect_uri": REDIRECT_URI,
            "scope": "device",
            "state": "st-1",
            **params,
        }
        query = {k: v for k, v in query.items() if v != ""}
        url = f"{self.sim.url}/auth/authorize"
        async with self.session.get(url, params=query, allow_redirects=False) as r:
            await r.read()
            return r

    async def code(self, outcome: str = "approve", **params: str) -> str:
        """Return an authorization code the simulator approved at once."""
        self.sim.next_authorize_outcome(outcome)
        response = await self.authorize(**params)
        return URL(response.headers["Location"]).query["code"]

    async def token(
        self, form: dict[str, str], authorization: str | None = None
    ) -> tuple[int, dict[str, Any]]:
        """POST /auth/token with ``form`` and the demo client credentials."""
        settings = self.sim.settings
        auth = authorization or basic(settings.client_id, settings.client_secret)
        url = f"{self.sim.url}/auth/token"
        headers = {"Authorization": auth}
        async with self.session.post(url, data=form, headers=headers) as response:
            return response.status, await response.json()

    async def link(self, outcome: str = "approve") -> None:
        """Run the whole authorization code flow and keep the tokens."""
        code = await self.code(outcome)
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
        }
        status, body = await self.token(form)
        assert status == 200, body
        self.device_token, self.refresh_token = (
            body["access_token"],
            body["refresh_token"],
        )

    async def application_token(self) -> str:
        """Return a fresh application token (client credentials)."""
        status, body = await self.token({"grant_type": "client_credentials"})
        assert status == 200, body
        return str(body["access_token"])

    async def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        token: str | None = None,
        api_key: str | None = None,
    ) -> tuple[int, Any]:
        """Call ``/api/2{path}``; return the status and the JSON body (or None)."""
        headers = {
            "x-api-key": self.sim.settings.api_key if api_key is None else api_key,
            "Authorization": f"Bearer {self.device_token if token is None else token}",
        }
        url = f"{self.sim.url}/api/2{path}"
        kwargs: dict[str, Any] = {"headers": headers}
        if body is not None:
            kwargs["json"] = body
        async with self.session.request(method, url, **kwargs) as response:
            data = await response.read()
            is_json = response.content_type == "application/json" and data
            return response.status, (await response.json()) if is_json else None

    async def upload(
        self,
        uri: str,
        data: bytes,
        file_name: str = "1.pdf",
        content_type: str = "application/pdf",
        method: str = "POST",
    ) -> int:
        """Send ``data`` to an upload URI with ``&File=<file_name>``."""
        url = f"{uri}&File={file_name}"
        headers = {"Content-Type": content_type}
        async with self.session.request(method, url, data=data, headers=headers) as r:
            await r.read()
            return r.status

    async def create_job(
        self, name: str = "doc", settings: dict[str, object] | None = None, **extra: Any
    ) -> tuple[int, Any]:
        """POST /printing/jobs for a document job."""
        body: dict[str, object] = {"jobName": name, "printMode": "document", **extra}
        if settings is not None:
            body["printSettings"] = settings
        return await self.call("POST", "/printing/jobs", body)

    async def uploaded_job(
        self, name: str = "doc", data: bytes | None = None, **extra: Any
    ) -> str:
        """Create a job and upload a PDF (or ``data``) to it; return the job id."""
        status, body = await self.create_job(name, **extra)
        assert status == 201, body
        assert await self.upload(body["uploadUri"], data or pdf_bytes()) == 200
        return str(body["jobId"])

    async def printed_job(self, name: str = "doc", **extra: Any) -> str:
        """Create, upload and print a job; return its id."""
        job_id = await self.uploaded_job(name, **extra)
        status, body = await self.call("POST", f"/printing/jobs/{job_id}/print")
        assert status == 202, body
        return job_id

    async def job_status(self, job_id: str) -> str:
        """Return the job's status from job info."""
        status, body = await self.call("GET", f"/printing/jobs/{job_id}")
        assert status == 200, body
        return str(body["status"])

    async def wait_for_status(
        self, job_id: str, wanted: str, within: float = 3.0
    ) -> None:
        """Poll job info until the job has status ``wanted``."""
        await wait_until(lambda: self.job_status(job_id), wanted, within)


async def wait_until(
    probe: Callable[[], Any], wanted: object, within: float = 3.0
) -> None:
    """Poll the coroutine function ``probe`` until it returns ``wanted``."""
    async with asyncio.timeout(within):
        # Polls over HTTP, as a client must: there is no event to wait on.
        while (seen := await probe()) != wanted:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    assert seen == wanted


@asynccontextmanager
async def running(
    linked: bool = True, **settings: Any
) -> AsyncIterator[tuple[Simulator, Api]]:
    """Run a simulator (immediate job steps unless told) and an ``Api`` on it.

    Args:
        linked: link the first printer before handing over.
        settings: ``SimulatorSettings`` fields to override.
    """
    settings.setdefault("step_seconds", 0)
    async with (
        Simulator(SimulatorSettings(**settings)) as sim,
        aiohttp.ClientSession() as session,
    ):
        api = Api(sim, session)
        if linked:
            await api.link()
        yield sim, api
