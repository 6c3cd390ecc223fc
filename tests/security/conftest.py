"""Fixtures for security tests: the core tests' simulator, runtime and chat room."""

from __future__ import annotations

from tests.core.conftest import (  # noqa: F401 - fixtures shared with the core tests
    config,
    linked,
    room,
    runtime,
)
