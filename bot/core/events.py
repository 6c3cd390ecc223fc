"""Status events: what happened to a print job, decided by the core."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Phase(StrEnum):
    """The phases of a print job that a chat user is told about."""

    ACCEPTED = "accepted"
    CONVERTING = "converting"
    UPLOADING = "uploading"
    WAITING = "waiting"
    PRINTING = "printing"
    PAUSED = "paused"
    HELD = "held"
    SCHEDULED = "scheduled"
    COMPLETED = "completed"
    CANCELED = "canceled"
    FAILED = "failed"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({Phase.COMPLETED, Phase.CANCELED, Phase.FAILED, Phase.EXPIRED})


@dataclass(frozen=True)
class StatusEvent:
    """One step of a job, as the adapters render it.

    Args:
        job_id: The core's job number (what users type in ``/cancel 12``).
        phase: Where the job is.
        file_name: The cleaned name of what is printing.
        printer: The printer's short name.
        reason: For PAUSED the Epson status (media_empty, media_jam, ...), for
            FAILED a catalogue key of the cause.
        pages: Pages printed (COMPLETED) or to print.
        cancellable: Whether a Cancel button still makes sense.
        params: Further values the sentence may use (the scheduled time).
    """

    job_id: int
    phase: Phase
    file_name: str
    printer: str
    reason: str = ""
    pages: int = 0
    cancellable: bool = False
    params: dict[str, str] = field(default_factory=dict)
