"""What the simulator leaves in its output folder, and what it never logs."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.epson.test_simulator_support import A4_PLAIN, pdf_bytes, running


async def test_printed_file_and_its_note_land_in_the_output_folder(
    tmp_path: Path,
) -> None:
    data = pdf_bytes(2)
    async with running(output_dir=tmp_path) as (sim, api):
        settings = {**A4_PLAIN, "copies": 2}
        job_id = await api.printed_job(
            "Quarterly report/Q3?", data=data, settings=settings
        )
        await api.wait_for_status(job_id, "completed")

    printed = tmp_path / f"{job_id}-Quarterly_report_Q3.pdf"
    note = json.loads(printed.with_suffix(".json").read_text())
    assert printed.read_bytes() == data
    assert sim.prints[0].file == printed
    assert note["jobName"] == "Quarterly report/Q3?"
    assert note["printMode"] == "document"
    assert note["printSettings"] == settings
    assert (note["pages"], note["copies"], note["totalPages"]) == (2, 2, 4)
    assert note["serialNumber"] == sim.prints[0].serial
    assert note["printedAt"]


async def test_nothing_is_written_without_an_output_folder(tmp_path: Path) -> None:
    async with running() as (sim, api):
        job_id = await api.printed_job("nowhere")
        await api.wait_for_status(job_id, "completed")

    assert sim.prints[0].file is None


async def test_a_whole_flow_at_debug_logs_no_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with running() as (sim, api):
        _, body = await api.create_job("secretive", A4_PLAIN)
        await api.upload(body["uploadUri"], pdf_bytes())
        await api.call("POST", f"/printing/jobs/{body['jobId']}/print")
        await api.wait_for_status(body["jobId"], "completed")
        await api.application_token()
        await api.token(
            {"grant_type": "refresh_token", "refresh_token": api.refresh_token}
        )
        key = body["uploadUri"].split("Key=")[1]
        secrets = {
            sim.settings.client_secret,
            sim.settings.api_key,
            api.device_token,
            api.refresh_token,
            key,
        }
        code_form = parse_qs(sim.requests[1].body.decode())
        secrets.add(code_form["code"][0])
        log = "\n".join(record.getMessage() for record in caplog.records)

    assert "Job" in log
    for secret in secrets:
        assert secret not in log
    assert sim.settings.api_key not in repr(sim.settings)
    assert api.device_token not in repr(sim.requests)
