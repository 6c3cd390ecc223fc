"""A local Epson Connect v2 simulator for development, tests and the demo.

It serves the authorization server (``/auth/authorize``, ``/auth/token``), the
API (``/api/2/...``) and the upload host (``/data``, ``/schedule_data``) on one
port, with three printers of different abilities, and lets tests inject faults.
"""

from bot.epson.simulator.faults import Faults
from bot.epson.simulator.printers import SimPrinter
from bot.epson.simulator.records import PrintRecord, RecordedRequest
from bot.epson.simulator.server import Simulator, serve_forever
from bot.epson.simulator.settings import SimulatorSettings

__all__ = [
    "Faults",
    "PrintRecord",
    "RecordedRequest",
    "SimPrinter",
    "Simulator",
    "SimulatorSettings",
    "serve_forever",
]
