"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.epson.simulator import Simulator, SimulatorSettings

SHARED = Path(__file__).resolve().parents[2] / "shared"
EPSON_SPEC = SHARED / "epson-connect" / "openapi-v2.yaml"


@pytest.fixture
def epson_spec_path() -> Path:
    """The official Epson Connect v2 spec beside the checkout; skips where absent."""
    if not EPSON_SPEC.exists():
        pytest.skip(f"Epson Connect spec not found at {EPSON_SPEC}")
    return EPSON_SPEC


@pytest.fixture
def step_seconds() -> float:
    """Time per simulated job step; tests that cancel mid-way raise it."""
    return 0.05


@pytest.fixture
async def simulator(tmp_path: Path, step_seconds: float) -> AsyncIterator[Simulator]:
    """The Epson simulator on loopback, approving links at once."""
    settings = SimulatorSettings(
        auto_approve=True, step_seconds=step_seconds, output_dir=tmp_path / "printed"
    )
    async with Simulator(settings) as sim:
        yield sim
