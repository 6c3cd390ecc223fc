"""Everything the simulator's handlers share, reachable from each request."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from bot.epson.simulator.errors import Refused
from bot.epson.simulator.jobs import IMMEDIATE, SCHEDULED, JobBook
from bot.epson.simulator.notifications import Notifier
from bot.epson.simulator.oauth import TokenAuthority
from bot.epson.simulator.printers import SimPrinter
from bot.epson.simulator.printing import PrintEngine
from bot.epson.simulator.records import PrintRecord, RecordedRequest
from bot.epson.simulator.settings import SimulatorSettings

SERIAL_KEY = web.RequestKey("sim_serial", str)
UPLOAD_SIZE_KEY = web.RequestKey("sim_upload_size", int)
AUTHORIZE_OUTCOMES = ("approve", "not_registered", "access_denied")


@dataclass
class SimState:
    """The simulator's printers, jobs, tokens and records.

    ``base_url`` is set once the server listens; upload URIs are built from it.
    """

    settings: SimulatorSettings
    printers: dict[str, SimPrinter]
    tokens: TokenAuthority
    notifier: Notifier
    engine: PrintEngine
    prints: list[PrintRecord]
    requests: list[RecordedRequest] = field(default_factory=list)
    jobs: JobBook = field(default_factory=lambda: JobBook(IMMEDIATE, "job_not_found"))
    schedules: JobBook = field(
        default_factory=lambda: JobBook(SCHEDULED, "schedule_not_found")
    )
    outcomes: list[str] = field(default_factory=list)
    base_url: str = ""

    def device(self, request: web.Request) -> SimPrinter:
        """Return the printer the request's device token is bound to.

        Raises:
            Refused: 404 ``device_not_found`` when the printer is gone or no
                longer registered.
        """
        printer = self.printers.get(request.get(SERIAL_KEY, ""))
        if printer is None or not printer.registered:
            raise Refused(404, "device_not_found")
        return printer

    def upload_uri(self, path: str, key: str) -> str:
        """Return the upload URI for ``key`` on this server (``/data`` or other)."""
        return f"{self.base_url}/{path}?Key={key}"

    def take_outcome(self) -> str | None:
        """Return the consent decision a test queued, if any."""
        return self.outcomes.pop(0) if self.outcomes else None


STATE_KEY = web.AppKey("sim_state", SimState)
