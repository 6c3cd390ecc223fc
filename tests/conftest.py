"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
EPSON_SPEC = SHARED / "epson-connect" / "openapi-v2.yaml"


@pytest.fixture
def epson_spec_path() -> Path:
    """The official Epson Connect v2 spec beside the checkout; skips where absent."""
    if not EPSON_SPEC.exists():
        pytest.skip(f"Epson Connect spec not found at {EPSON_SPEC}")
    return EPSON_SPEC
