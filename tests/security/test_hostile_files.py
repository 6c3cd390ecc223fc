"""Hostile files sent through the core: each gets its own clear message, and not
one byte of them reaches Epson (no job is ever created for them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.commands import PrintCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.fakes.chat import ChatRoom, attachment
from tests.security.corpus import CORPUS

CREATE_JOB = "/api/2/printing/jobs"


@pytest.mark.parametrize("case", list(CORPUS))
async def test_hostile_file_gets_its_message_and_never_reaches_epson(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path, case: str
) -> None:
    build, name, phrase = CORPUS[case]
    hostile = build(tmp_path / name)

    await linked.service.handle(
        PrintCommand(room.origin(), attachments=(attachment(hostile, name=name),))
    )
    text = await room.wait_for_text("could not be printed")
    await linked.service.runner.wait_idle()

    assert phrase in text
    assert not any(r.path.startswith(CREATE_JOB) for r in simulator.requests)
    assert simulator.prints == []
    spool = linked.config.storage.database.parent / "spool"
    assert list(spool.iterdir()) == []
