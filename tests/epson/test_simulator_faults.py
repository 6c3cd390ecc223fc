"""The simulator's fault injection: failures, error rates, latency, pauses, offline."""

from __future__ import annotations

import time

from tests.epson.test_simulator_support import A4_PLAIN, DOC_PRINTER, running


async def test_fail_next_fails_that_many_api_calls_with_the_status() -> None:
    async with running() as (sim, api):
        sim.faults.fail_next(count=2, status=503)
        first = await api.call("GET", "/printing/devices/info")
        second = await api.call("GET", "/printing/devices/info")
        third, _ = await api.call("GET", "/printing/devices/info")

    assert first == (503, {"error": "internal_server_error"})
    assert second == (503, {"error": "internal_server_error"})
    assert third == 200


async def test_fail_next_leaves_other_paths_alone() -> None:
    async with running() as (sim, api):
        sim.faults.fail_next(status=500, path_prefix="/data")
        info, _ = await api.call("GET", "/printing/devices/info")
        _, body = await api.create_job("x", A4_PLAIN)
        upload = await api.upload(body["uploadUri"], b"%PDF-")

    assert info == 200
    assert upload == 500


async def test_fail_after_handling_loses_the_answer_but_does_the_work() -> None:
    async with running() as (sim, api):
        job_id = await api.uploaded_job("lost-answer")
        sim.faults.fail_next(after_handling=True)
        lost = await api.call("POST", f"/printing/jobs/{job_id}/print")
        await api.wait_for_status(job_id, "completed")
        retry = await api.call("POST", f"/printing/jobs/{job_id}/print")

    assert lost == (500, {"error": "internal_server_error"})
    assert retry == (403, {"error": "operation_not_allowed"})
    assert sim.prints_of("lost-answer") == 1


async def test_error_rate_fails_about_that_share_reproducibly() -> None:
    async def run() -> list[int]:
        async with running() as (sim, api):
            sim.faults.error_rate(0.5, statuses=(502,), seed=7)
            return [
                (await api.call("GET", "/printing/devices/info"))[0] for _ in range(40)
            ]

    first, second = await run(), await run()

    assert first == second
    assert set(first) == {200, 502}
    assert 8 <= first.count(502) <= 32


async def test_error_rate_spares_the_auth_server() -> None:
    async with running(linked=False) as (sim, api):
        sim.faults.error_rate(1.0, seed=1)
        await api.link()
        result, _ = await api.call("GET", "/printing/devices/info")

    assert result in (500, 502, 503)


async def test_latency_delays_answers() -> None:
    async with running() as (sim, api):
        sim.faults.latency(0.2)
        started = time.monotonic()
        await api.call("GET", "/printing/devices/info")
        elapsed = time.monotonic() - started

    assert elapsed >= 0.2


async def test_paused_job_stays_paused_until_resumed() -> None:
    async with running() as (sim, api):
        sim.faults.pause_next_job(DOC_PRINTER, "marker_supply_empty")
        job_id = await api.printed_job("ink")
        await api.wait_for_status(job_id, "marker_supply_empty")
        still = await api.job_status(job_id)
        cancel = await api.call("POST", f"/printing/jobs/{job_id}/cancel")
        sim.resume(DOC_PRINTER)
        await api.wait_for_status(job_id, "completed")

    assert still == "marker_supply_empty"
    assert cancel == (403, {"error": "operation_not_allowed"})
    assert sim.prints_of("ink") == 1


async def test_offline_printer_keeps_jobs_pending_until_back_online() -> None:
    async with running() as (sim, api):
        sim.faults.set_offline(DOC_PRINTER)
        _, info = await api.call("GET", "/printing/devices/info")
        job_id = await api.printed_job("wait")
        pending = await api.job_status(job_id)
        sim.faults.set_offline(DOC_PRINTER, False)
        await api.wait_for_status(job_id, "completed")

    assert info["connected"] is False
    assert pending == "pending"
    assert sim.prints_of("wait") == 1


async def test_clear_removes_request_faults() -> None:
    async with running() as (sim, api):
        sim.faults.fail_next(count=5)
        sim.faults.error_rate(1.0)
        sim.faults.clear()
        result, _ = await api.call("GET", "/printing/devices/info")

    assert result == 200


async def test_error_rate_can_lose_answers_of_calls_it_carried_out() -> None:
    async with running() as (sim, api):
        job_id = await api.uploaded_job("lost")
        sim.faults.error_rate(1.0, statuses=(502,), seed=3, lost_ratio=1.0)
        status, _ = await api.call("POST", f"/printing/jobs/{job_id}/print")
        sim.faults.clear()
        await api.wait_for_status(job_id, "completed")

    assert status == 502
    assert sim.prints_of("lost") == 1
