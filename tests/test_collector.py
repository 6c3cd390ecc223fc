"""The collector is set once the bot is up: startup objects frozen, young less often."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot import collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def _watched(thing: object) -> bool:
    return any(tracked is thing for tracked in gc.get_objects())


@pytest.mark.usefixtures("restored_collector")
def test_settling_hides_what_is_alive_from_the_collector_but_not_what_comes_after() -> (
    None
):
    before: list[object] = [["alive at start"]]

    collector.settle()
    after: list[object] = [["alive later"]]

    assert not _watched(before)
    assert _watched(after)
    assert gc.get_threshold()[0] == collector.YOUNG_THRESHOLD
