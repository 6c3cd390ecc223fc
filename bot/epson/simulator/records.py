"""What the simulator remembers for tests and people: requests and prints."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.epson.simulator.shapes import PrintSettingsWire


@dataclass
class RecordedRequest:
    """One request the simulator received and how it answered.

    ``headers`` and ``body`` stay out of ``repr`` because they carry tokens and
    keys. Upload bodies are not kept: ``body`` is empty and ``body_size`` says how
    many bytes came.
    """

    method: str
    path: str
    query: dict[str, str] = field(repr=False)
    headers: dict[str, str] = field(repr=False)
    body: bytes = field(repr=False)
    status: int = 0
    response_json: object = field(default=None, repr=False)
    body_size: int = 0
    content_type: str = ""
    response_content_type: str = ""
    # When the request arrived (epoch seconds), for timelines.
    received_at: float = field(default_factory=time.time, repr=False)


@dataclass
class PrintRecord:
    """A job that reached ``processing``: what the printer would put on paper."""

    job_id: str
    serial: str
    job_name: str
    print_mode: str
    settings: PrintSettingsWire
    pages: int
    total_pages: int
    file: Path | None
    kind: str = "ImmediatePrint"
    printed_at: datetime | None = None
