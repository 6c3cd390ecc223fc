"""The simulator's scheduled printing: dates, upload, reserve, list, copy, delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.epson.simulator.api_scheduling import quarter_hours_ahead
from tests.epson.test_simulator_support import (
    A4_PLAIN,
    Api,
    pdf_bytes,
    running,
    wait_until,
)


def _body(when: object, name: str = "later") -> dict[str, Any]:
    return {
        "jobName": name,
        "printDateTime": when,
        "printMode": "document",
        "printSettings": A4_PLAIN,
    }


async def _uploaded_schedule(api: Api, when: str, name: str = "later") -> str:
    status, body = await api.call("POST", "/scheduling/schedules", _body(when, name))
    assert status == 201, body
    assert await api.upload(body["uploadUri"], pdf_bytes(2)) == 200
    return str(body["scheduleJobId"])


async def _reserved_schedule(api: Api, when: str, name: str = "later") -> str:
    schedule_id = await _uploaded_schedule(api, when, name)
    status, _ = await api.call("POST", f"/scheduling/schedules/{schedule_id}/reserve")
    assert status == 202
    return schedule_id


async def test_create_schedule_answers_a_schedule_upload_uri() -> None:
    async with running() as (sim, api):
        status, body = await api.call(
            "POST", "/scheduling/schedules", _body(quarter_hours_ahead(4))
        )

    assert status == 201
    assert body["uploadUri"].startswith(f"{sim.url}/schedule_data?Key=")


@pytest.mark.parametrize(
    "when",
    ["20240401123", "2024-04-01 12:30", "202402301230", "202404011231", 202404011230],
)
async def test_create_schedule_refuses_a_malformed_print_date_time(
    when: object,
) -> None:
    async with running() as (_, api):
        result = await api.call("POST", "/scheduling/schedules", _body(when))

    assert result == (400, {"error": "invalid_resource"})


@pytest.mark.parametrize("delta", [timedelta(minutes=0), timedelta(days=15)])
async def test_reserve_refuses_a_time_outside_15_minutes_to_14_days(
    delta: timedelta,
) -> None:
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    moment = now - timedelta(minutes=now.minute % 15) + delta
    async with running() as (_, api):
        schedule_id = await _uploaded_schedule(api, moment.strftime("%Y%m%d%H%M"))
        result = await api.call("POST", f"/scheduling/schedules/{schedule_id}/reserve")

    assert result == (403, {"error": "command_not_allowed"})


async def test_reserve_without_a_file_is_invalid_print_data() -> None:
    async with running() as (_, api):
        _, body = await api.call(
            "POST", "/scheduling/schedules", _body(quarter_hours_ahead(4))
        )
        result = await api.call(
            "POST", f"/scheduling/schedules/{body['scheduleJobId']}/reserve"
        )

    assert result == (400, {"error": "invalid_print_data"})


async def test_reserved_schedule_is_listed_with_all_settings() -> None:
    when = quarter_hours_ahead(8)
    async with running() as (_, api):
        schedule_id = await _reserved_schedule(api, when)
        _, listing = await api.call("GET", "/scheduling/schedules")
        _, info = await api.call("GET", f"/scheduling/schedules/{schedule_id}")

    assert listing == {
        "schedules": [
            {
                "scheduleJobId": schedule_id,
                "jobName": "later",
                "printDateTime": when,
                "printMode": "document",
                "printSettings": A4_PLAIN,
            }
        ]
    }
    assert info["status"] == "reserved"
    assert info["totalPages"] == 0


async def test_unreserved_schedule_is_not_listed() -> None:
    async with running() as (_, api):
        await _uploaded_schedule(api, quarter_hours_ahead(4))
        result = await api.call("GET", "/scheduling/schedules")

    assert result == (200, {"schedules": []})


async def test_schedule_limit_is_enforced_at_reserve() -> None:
    async with running(schedule_limit=1) as (_, api):
        await _reserved_schedule(api, quarter_hours_ahead(4))
        second = await _uploaded_schedule(api, quarter_hours_ahead(5))
        result = await api.call("POST", f"/scheduling/schedules/{second}/reserve")

    assert result == (403, {"error": "schedule_limit_exceeded"})


async def test_second_schedule_upload_is_too_many_files() -> None:
    async with running() as (_, api):
        _, body = await api.call(
            "POST", "/scheduling/schedules", _body(quarter_hours_ahead(4))
        )
        first = await api.upload(body["uploadUri"], pdf_bytes())
        second = await api.upload(body["uploadUri"], pdf_bytes())

    assert (first, second) == (200, 413)


async def test_delete_schedule_then_it_is_not_found() -> None:
    async with running() as (_, api):
        schedule_id = await _reserved_schedule(api, quarter_hours_ahead(4))
        deleted, _ = await api.call("DELETE", f"/scheduling/schedules/{schedule_id}")
        info = await api.call("GET", f"/scheduling/schedules/{schedule_id}")

    assert deleted == 204
    assert info == (404, {"error": "schedule_not_found"})


async def test_due_schedule_prints_and_can_no_longer_be_deleted() -> None:
    async with running() as (sim, api):
        schedule_id = await _reserved_schedule(api, quarter_hours_ahead(4), "timed")
        started = sim.run_due_schedules(datetime.now(UTC) + timedelta(days=1))

        async def status() -> str:
            _, info = await api.call("GET", f"/scheduling/schedules/{schedule_id}")
            return str(info["status"])

        await wait_until(status, "completed")
        _, info = await api.call("GET", f"/scheduling/schedules/{schedule_id}")
        delete = await api.call("DELETE", f"/scheduling/schedules/{schedule_id}")

    assert started == 1
    assert info["totalPages"] == 2
    assert sim.prints_of("timed") == 1
    assert sim.prints[0].kind == "SchedulePrint"
    assert delete == (403, {"error": "command_not_allowed"})


async def test_schedule_not_yet_due_does_not_run() -> None:
    async with running() as (sim, api):
        await _reserved_schedule(api, quarter_hours_ahead(4))
        started = sim.run_due_schedules()

    assert started == 0


async def test_copy_schedule_keeps_the_file_and_takes_a_new_time() -> None:
    new_time = quarter_hours_ahead(12)
    async with running() as (_, api):
        source = await _reserved_schedule(api, quarter_hours_ahead(4))
        status, body = await api.call(
            "POST",
            "/scheduling/schedules/copy",
            {"fromScheduleJobId": source, "printDateTime": new_time, "jobName": "copy"},
        )
        reserve, _ = await api.call(
            "POST", f"/scheduling/schedules/{body['scheduleJobId']}/reserve"
        )
        _, listing = await api.call("GET", "/scheduling/schedules")

    assert status == 201
    assert reserve == 202
    assert [s["printDateTime"] for s in listing["schedules"]][-1] == new_time


async def test_unknown_schedule_is_schedule_not_found() -> None:
    async with running() as (_, api):
        path = "/scheduling/schedules/" + "e" * 32
        results = [
            await api.call("GET", path),
            await api.call("DELETE", path),
            await api.call("POST", path + "/reserve"),
            await api.call(
                "POST", "/scheduling/schedules/copy", {"fromScheduleJobId": "e"}
            ),
        ]

    assert results == [(404, {"error": "schedule_not_found"})] * 4
