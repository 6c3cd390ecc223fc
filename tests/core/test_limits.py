"""Fairness and status delivery: rate limits, busy printers, Epson's queue limit,
and notifications that beat polling."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.config import Config, EpsonConfig, LimitsConfig
from bot.core.commands import PrintCommand
from bot.epson.simulator import Simulator, SimulatorSettings
from bot.runtime import Runtime
from tests.core.conftest import follow_link, make_config, write_pdf
from tests.fakes.chat import ChatRoom, attachment


async def _started(config: Config, room: ChatRoom) -> Runtime:
    runtime = Runtime(config)
    await runtime.__aenter__()
    runtime.service.register(room)
    await runtime.serve()
    await follow_link(runtime, room)
    return runtime


def _print(room: ChatRoom, path: Path) -> PrintCommand:
    return PrintCommand(room.origin(), attachments=(attachment(path),))


async def test_rate_limit_says_when_to_try_again(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    config = dataclasses.replace(config, limits=LimitsConfig(requests_per_minute=2))
    room = ChatRoom()
    runtime = await _started(config, room)
    try:
        pdf = write_pdf(tmp_path / "a.pdf")
        for _ in range(2):
            assert await runtime.service.handle(_print(room, pdf)) == []

        [refused] = await runtime.service.handle(_print(room, pdf))
    finally:
        await runtime.close()

    assert "too quickly" in refused.text
    assert "second" in refused.text


@pytest.mark.parametrize("step_seconds", [2.0])
async def test_busy_printer_refuses_more_jobs_than_the_bound(
    config: Config, simulator: Simulator, tmp_path: Path
) -> None:
    config = dataclasses.replace(config, limits=LimitsConfig(jobs_per_printer=1))
    room = ChatRoom()
    runtime = await _started(config, room)
    try:
        pdf = write_pdf(tmp_path / "a.pdf")
        await runtime.service.handle(_print(room, pdf))

        [refused] = await runtime.service.handle(_print(room, pdf))
    finally:
        await runtime.close()

    assert "busy" in refused.text
    assert "try again" in refused.text


async def test_epson_queue_limit_is_waited_out_not_reported(tmp_path: Path) -> None:
    settings = SimulatorSettings(auto_approve=True, step_seconds=0.3, job_limit=1)
    async with Simulator(settings) as sim:
        room = ChatRoom()
        runtime = await _started(make_config(tmp_path, sim), room)
        try:
            for name in ("a.pdf", "b.pdf", "c.pdf"):
                await runtime.service.handle(_print(room, write_pdf(tmp_path / name)))
            await room.wait_for(
                lambda: sum("Done:" in t for t in room.texts()) == 3, timeout=30
            )
        finally:
            await runtime.close()

        refused = [
            r for r in sim.requests if r.status == 403 and r.path.endswith("/print")
        ]
        assert refused
        assert not any("could not be printed" in t for t in room.texts())
        assert len(sim.prints) == 3


async def test_notification_brings_the_final_status_before_the_next_poll(
    tmp_path: Path,
) -> None:
    async with Simulator(SimulatorSettings(auto_approve=True, step_seconds=0.1)) as sim:
        base = make_config(tmp_path, sim)
        slow_polls = dataclasses.replace(base.epson, poll_interval=20.0, poll_max=60.0)
        config = dataclasses.replace(base, epson=slow_polls)
        assert isinstance(config.epson, EpsonConfig)
        room = ChatRoom()
        runtime = await _started(config, room)
        try:
            await runtime.service.handle(_print(room, write_pdf(tmp_path / "a.pdf")))
            # Polling alone would not look again for 20 seconds.
            done = await room.wait_for_text("Done:", timeout=10)
        finally:
            await runtime.close()

    assert "a.pdf" in done
