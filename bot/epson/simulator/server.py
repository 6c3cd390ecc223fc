"""The simulator itself: one server for auth, API and uploads, and its controls."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from types import TracebackType

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.epson.simulator import (
    api_printing,
    api_scanning,
    api_scheduling,
    authserver,
    uploads,
)
from bot.epson.simulator.access import answer_refusals, require_credentials
from bot.epson.simulator.faults import Faults
from bot.epson.simulator.jobs import utc_now
from bot.epson.simulator.notifications import Notifier
from bot.epson.simulator.oauth import TokenAuthority
from bot.epson.simulator.printers import SimPrinter, default_printers
from bot.epson.simulator.printing import PrintEngine
from bot.epson.simulator.records import PrintRecord, RecordedRequest
from bot.epson.simulator.settings import SimulatorSettings
from bot.epson.simulator.state import (
    AUTHORIZE_OUTCOMES,
    STATE_KEY,
    UPLOAD_SIZE_KEY,
    SimState,
)

logger = logging.getLogger(__name__)

UPLOAD_PATHS = ("/data", "/schedule_data")
MAX_BODY = 2 * 1024 * 1024


class Simulator:
    """A local Epson Connect v2: authorization server, API and upload host.

    Use it as an async context manager, or call ``start`` and ``close``::

        async with Simulator(SimulatorSettings(step_seconds=0)) as sim:
            ...  # point a client at sim.url

    Args:
        settings: credentials, timings and limits; defaults when omitted.
    """

    def __init__(self, settings: SimulatorSettings | None = None) -> None:
        self.settings = settings or SimulatorSettings()
        self.printers: dict[str, SimPrinter] = default_printers()
        self.prints: list[PrintRecord] = []
        notifier = Notifier(self.settings.callback_timeout)
        engine = PrintEngine(self.settings, self.printers, notifier, self.prints)
        self._state = SimState(
            settings=self.settings,
            printers=self.printers,
            tokens=TokenAuthority(self.settings),
            notifier=notifier,
            engine=engine,
            prints=self.prints,
        )
        self.requests: list[RecordedRequest] = self._state.requests
        self.faults = Faults(self.printers, engine)
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """Base URL of the running server, e.g. ``http://127.0.0.1:8765``."""
        if not self._state.base_url:
            raise RuntimeError("The simulator has no URL before start(); await it.")
        return self._state.base_url

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (port 0 picks a free one)."""
        self._runner = web.AppRunner(self._app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self._state.base_url = f"http://{host}:{bound}"
        self._ticker = asyncio.create_task(self._run_schedules_forever())
        logger.info("Epson Connect simulator listening on %s", self._state.base_url)

    async def close(self) -> None:
        """Stop jobs, callbacks and the server."""
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        await self._state.engine.close()
        await self._state.notifier.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        logger.info("Epson Connect simulator stopped")

    async def __aenter__(self) -> Simulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def prints_of(self, job_name: str) -> int:
        """Return how many times a job named ``job_name`` reached the printer."""
        return sum(1 for record in self.prints if record.job_name == job_name)

    def resume(self, serial: str) -> None:
        """Clear a pause on ``serial``, as the person at the printer would."""
        self._printer(serial)
        self._state.engine.resume(serial)

    def next_authorize_outcome(self, outcome: str) -> None:
        """Decide the next authorize request without the consent page.

        Args:
            outcome: ``approve`` (the first registered printer),
                ``not_registered``, ``access_denied``, or a serial to approve.
        """
        if outcome not in AUTHORIZE_OUTCOMES:
            self._printer(outcome)
        self._state.outcomes.append(outcome)

    def expire_device_tokens(self) -> None:
        """Make every device token issued so far answer 401."""
        self._state.tokens.expire_device_tokens()

    def revoke_link(self, serial: str) -> None:
        """Kill the device and refresh tokens of ``serial``."""
        self._state.tokens.revoke_link(serial)

    def run_due_schedules(self, now: datetime | None = None) -> int:
        """Start every reserved scheduled job whose time has come by ``now``.

        Returns:
            How many scheduled jobs were started.
        """
        moment = now or utc_now()
        due = [
            job
            for job in self._state.schedules
            if job.status == "reserved" and job.print_at and job.print_at <= moment
        ]
        for job in due:
            logger.info("Scheduled job %s is due", job.job_id)
            self._state.engine.start(job)
        return len(due)

    def _printer(self, serial: str) -> SimPrinter:
        if serial not in self.printers:
            raise ValueError(f"unknown printer {serial!r}; use a key of sim.printers")
        return self.printers[serial]

    def _app(self) -> web.Application:
        app = web.Application(
            client_max_size=MAX_BODY,
            middlewares=[
                _recorder(self._state),
                self.faults.middleware(),
                answer_refusals,
                require_credentials,
            ],
        )
        app[STATE_KEY] = self._state
        for module in (authserver, api_printing, api_scheduling, api_scanning, uploads):
            app.router.add_routes(module.routes)
        return app

    async def _run_schedules_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.schedule_poll_seconds)
            self.run_due_schedules()


def _recorder(
    state: SimState,
) -> Middleware:
    @web.middleware
    async def record(request: web.Request, handler: Handler) -> web.StreamResponse:
        entry = await _entry(request)
        state.requests.append(entry)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            _finish(entry, request, exc.status, exc.content_type, exc.body)
            raise
        _finish(
            entry, request, response.status, response.content_type, _bytes(response)
        )
        return response

    return record


async def _entry(request: web.Request) -> RecordedRequest:
    upload = request.path in UPLOAD_PATHS
    body = b"" if upload or not request.body_exists else await _body(request)
    return RecordedRequest(
        method=request.method,
        path=request.path,
        query=dict(request.query),
        headers=dict(request.headers),
        body=body,
        body_size=len(body),
        content_type=request.headers.get("Content-Type", ""),
    )


async def _body(request: web.Request) -> bytes:
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge:
        return b""


def _bytes(response: web.StreamResponse) -> bytes | None:
    body = response.body if isinstance(response, web.Response) else None
    return body if isinstance(body, bytes) else None


def _finish(
    entry: RecordedRequest,
    request: web.Request,
    status: int,
    content_type: str,
    body: object,
) -> None:
    entry.status = status
    entry.response_content_type = content_type
    if request.path in UPLOAD_PATHS:
        entry.body_size = request.get(UPLOAD_SIZE_KEY, 0)
    if content_type == "application/json" and isinstance(body, bytes) and body:
        entry.response_json = json.loads(body)
    # Path only: queries carry upload Keys and authorization codes.
    logger.debug("Request %s %s answered %s", request.method, request.path, status)


async def serve_forever(settings: SimulatorSettings, host: str, port: int) -> None:
    """Run a simulator on ``host:port`` until cancelled (``chatprint simulator``).

    The start-up lines name the URL, the printers and the output folder; the demo
    credentials are the ``SimulatorSettings`` defaults and are never logged.
    """
    sim = Simulator(settings)
    await sim.start(host, port)
    try:
        names = ", ".join(
            f"{p.product_name} ({p.serial})" for p in sim.printers.values()
        )
        logger.info("Simulated printers: %s", names)
        logger.info("Printed files go to %s", settings.output_dir or "nowhere")
        await asyncio.Event().wait()
    finally:
        await sim.close()
