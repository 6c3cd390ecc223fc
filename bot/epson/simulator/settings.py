"""Settings of the Epson Connect simulator: credentials, timings and limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class SimulatorSettings:
    """What the simulator accepts and how fast its printers work.

    The credentials are demo values that only this simulator knows; they are kept
    out of ``repr`` all the same, so that a logged settings object shows no secret.
    """

    client_id: str = "chatprint-demo"
    client_secret: str = field(default="chatprint-demo-secret", repr=False)
    api_key: str = field(default="chatprint-demo-api-key", repr=False)
    token_lifetime: int = 3600
    refresh_lifetime: int = 30 * 86400
    auto_approve: bool = False
    step_seconds: float = 2.0
    output_dir: Path | None = None
    job_limit: int = 10
    job_expiry: float = 3 * 86400
    max_upload: int = 20_000_000
    schedule_limit: int = 20
    destination_limit: int = 10
    callback_timeout: float = 3.0
    schedule_poll_seconds: float = 30.0
