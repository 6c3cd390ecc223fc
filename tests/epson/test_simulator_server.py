"""The simulator's lifecycle and controls: start, URL, serve_forever, misuse."""

from __future__ import annotations

import asyncio
import logging
import re

import aiohttp
import pytest

from bot.epson.simulator import Simulator, SimulatorSettings, serve_forever
from tests.epson.test_simulator_support import DOC_PRINTER, running


async def test_url_before_start_is_a_programming_error() -> None:
    sim = Simulator()

    with pytest.raises(RuntimeError, match="start"):
        _ = sim.url


async def test_serve_forever_logs_its_url_and_serves_until_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.epson.simulator")
    task = asyncio.create_task(serve_forever(SimulatorSettings(), "127.0.0.1", 0))

    async with asyncio.timeout(3):
        while not (match := re.search(r"listening on (\S+)", caplog.text)):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{match.group(1)}/api/2/printing/devices/info") as response,
    ):
        status = await response.json()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert status == {"error": "unauthorized"}
    assert "stopped" in caplog.text
    assert SimulatorSettings().client_secret not in caplog.text


async def test_unknown_serial_in_controls_raises_value_error() -> None:
    async with running(linked=False) as (sim, _):
        with pytest.raises(ValueError, match="unknown printer"):
            sim.next_authorize_outcome("NOPE")
        with pytest.raises(ValueError, match="unknown printer"):
            sim.faults.set_offline("NOPE")
        with pytest.raises(ValueError, match="pause status"):
            sim.faults.pause_next_job(DOC_PRINTER, "on_fire")


async def test_expired_job_loses_its_file_for_copies() -> None:
    async with running(job_expiry=0.05) as (_, api):
        job_id = await api.uploaded_job("gone")
        await api.wait_for_status(job_id, "expired")
        result = await api.call("POST", "/printing/jobs/copy", {"fromJobId": job_id})

    assert result == (404, {"error": "job_not_found"})
