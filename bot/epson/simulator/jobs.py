"""Print jobs and scheduled jobs: their state, their clock, and where they are kept."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.epson.simulator.errors import Refused
from bot.epson.simulator.shapes import JobInfoWire, PrintSettingsWire, ScheduleWire

logger = logging.getLogger(__name__)

IMMEDIATE = "ImmediatePrint"
SCHEDULED = "SchedulePrint"
PAUSED = frozenset({"media_empty", "media_jam", "marker_supply_empty", "stopped_other"})
WAITING = frozenset({"pending", "processing"}) | PAUSED
FINAL = frozenset({"canceled", "error_occurred", "completed", "expired"})
CANCELLABLE = frozenset({"preparing", "pending"})
API_TIME = "%Y-%m-%d %H:%M:%S"


def utc_now() -> datetime:
    """Return the current UTC time without microseconds."""
    return datetime.now(UTC).replace(microsecond=0)


def new_id() -> str:
    """Return a job, schedule or destination id like Epson's (32 hex digits)."""
    return secrets.token_hex(16)


@dataclass
class SimJob:
    """A print job, or a scheduled job, on one printer.

    ``data`` is the uploaded file; ``file_kind`` is what the upload's ``File``
    name declared (``pdf``, ``jpeg`` or ``png``); ``pages`` is counted when the
    job is sent to print. A scheduled job carries ``print_at``.
    """

    job_id: str
    serial: str
    kind: str
    job_name: str
    print_mode: str
    settings: PrintSettingsWire
    upload_key: str
    status: str = "preparing"
    created_at: datetime = field(default_factory=utc_now)
    updated_at: datetime = field(default_factory=utc_now)
    started_at: datetime | None = None
    data: bytes | None = field(default=None, repr=False)
    file_kind: str | None = None
    pages: int = 0
    print_at: datetime | None = None

    @property
    def total_pages(self) -> int:
        """Pages times copies once completed, as the spec says; 0 before."""
        if self.status != "completed":
            return 0
        return self.pages * self.settings["copies"]

    def move(self, status: str) -> None:
        """Change the status and stamp the time of the change."""
        logger.debug("Job %s moved from %s to %s", self.job_id, self.status, status)
        self.status = status
        self.updated_at = utc_now()

    def info(self) -> JobInfoWire:
        """Return the body of job info (or scheduled job info)."""
        return {
            "status": self.status,
            "jobName": self.job_name,
            "totalPages": self.total_pages,
            "startDate": (self.started_at or self.created_at).strftime(API_TIME),
            "updateDate": self.updated_at.strftime(API_TIME),
        }

    def schedule_entry(self) -> ScheduleWire:
        """Return this scheduled job as ``GET /scheduling/schedules`` lists it."""
        moment = self.print_at or self.created_at
        return {
            "scheduleJobId": self.job_id,
            "jobName": self.job_name,
            "printDateTime": moment.strftime("%Y%m%d%H%M"),
            "printMode": self.print_mode,
            "printSettings": self.settings.copy(),
        }


class JobBook:
    """The jobs of one kind (immediate or scheduled), by id and by upload key.

    Args:
        kind: ``ImmediatePrint`` or ``SchedulePrint``.
        not_found: the error string for an unknown id (``job_not_found`` or
            ``schedule_not_found``).
    """

    def __init__(self, kind: str, not_found: str) -> None:
        self.kind = kind
        self._not_found = not_found
        self._jobs: dict[str, SimJob] = {}
        self._keys: dict[str, str] = {}
        # Each printer's jobs, oldest first: a print call counts its printer's
        # queue without walking every job of every printer.
        self._by_printer: dict[str, dict[str, SimJob]] = {}

    def __iter__(self) -> Iterator[SimJob]:
        return iter(list(self._jobs.values()))

    def create(
        self, serial: str, job_name: str, print_mode: str, settings: PrintSettingsWire
    ) -> SimJob:
        """Add a job in ``preparing`` with a fresh id and upload key."""
        job = SimJob(new_id(), serial, self.kind, job_name, print_mode, settings, "")
        job.upload_key = secrets.token_hex(32)
        self._jobs[job.job_id] = job
        self._keys[job.upload_key] = job.job_id
        self._by_printer.setdefault(serial, {})[job.job_id] = job
        logger.debug("Job %s created on printer %s", job.job_id, serial)
        return job

    def get(self, job_id: str, serial: str) -> SimJob:
        """Return the printer's job ``job_id``.

        Raises:
            Refused: 404 with the book's not-found error for an unknown id, a job
                of another printer, or a job that expired and was deleted.
        """
        job = self._jobs.get(job_id)
        if job is None or job.serial != serial:
            raise Refused(404, self._not_found)
        return job

    def get_live(self, job_id: str, serial: str) -> SimJob:
        """Return the job like ``get``, but refuse one that has expired."""
        job = self.get(job_id, serial)
        if job.status == "expired":
            raise Refused(404, self._not_found)
        return job

    def by_key(self, key: str) -> SimJob | None:
        """Return the job an upload key belongs to, if the key is still live."""
        job = self._jobs.get(self._keys.get(key, ""))
        if job is None or job.status != "preparing":
            return None
        return job

    def remove(self, job: SimJob) -> None:
        """Forget ``job`` and its upload key."""
        self._jobs.pop(job.job_id, None)
        self._keys.pop(job.upload_key, None)
        self._by_printer.get(job.serial, {}).pop(job.job_id, None)

    def of_printer(self, serial: str) -> list[SimJob]:
        """Return the jobs of one printer, oldest first."""
        return list(self._by_printer.get(serial, {}).values())
