"""Soak runs: the long case runs only when asked for with ``-m soak``."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip ``soak``-marked cases unless the marker expression names them."""
    if "soak" in (config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="long soak run: select it with -m soak")
    for item in items:
        if item.get_closest_marker("soak") is not None:
            item.add_marker(skip)
