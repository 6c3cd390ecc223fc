"""A local Epson Connect v2 simulator for development, tests and the demo.

It serves the authorization server (``/auth/authorize``, ``/auth/token``), the
API (``/api/2/...``) and the upload host (``/data``, ``/schedule_data``) on one
port, with three printers of different abilities, and lets tests inject faults.

Run it with ``chatprint simulator`` (``--auto-approve`` skips the consent page),
then point a client at ``http://127.0.0.1:8765``: API base ``/api/2``, token URL
``/auth/token``, and the demo credentials of ``SimulatorSettings``. What would
have been printed lands in the output folder, one file and one JSON note per
job. Where the spec is silent the simulator chooses, and the module that
chooses says so: one file per job, photo mode prints JPEG and PNG only, jobs
show ``expired`` after ``job_expiry``, and ``/schedule_data`` answers only the
statuses the spec declares for it.
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
