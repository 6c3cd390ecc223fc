"""The simulator's notification setting and the callbacks it POSTs."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from tests.epson.test_simulator_support import DOC_PRINTER, Api, running


@asynccontextmanager
async def _receiver() -> AsyncIterator[tuple[str, asyncio.Queue[Any]]]:
    """Serve a callback receiver; yield its URL and the bodies it gets."""
    received: asyncio.Queue[Any] = asyncio.Queue()

    async def take(request: web.Request) -> web.Response:
        await received.put(await request.json())
        return web.Response()

    app = web.Application()
    app.router.add_post("/epson", take)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/epson", received
    finally:
        await runner.cleanup()


async def _subscribe(api: Api, uri: str) -> None:
    token = await api.application_token()
    body = {"notification": True, "callbackUri": uri}
    status, _ = await api.call(
        "POST", "/printing/settings/notification", body, token=token
    )
    assert status == 204


async def test_notification_setting_is_stored_and_read_back() -> None:
    async with running() as (_, api):
        token = await api.application_token()
        initial = await api.call("GET", "/printing/settings/notification", token=token)
        body = {"notification": True, "callbackUri": "http://example.com/cb"}
        await api.call("POST", "/printing/settings/notification", body, token=token)
        stored = await api.call("GET", "/printing/settings/notification", token=token)

    assert initial == (200, {"notification": False, "callbackUri": ""})
    assert stored == (200, body)


async def test_notification_setting_refuses_a_short_callback_uri() -> None:
    async with running() as (_, api):
        token = await api.application_token()
        body = {"notification": True, "callbackUri": "http://a"}
        result = await api.call(
            "POST", "/printing/settings/notification", body, token=token
        )

    assert result == (400, {"error": "invalid_resource"})


async def test_completed_job_is_reported_to_the_callback_uri() -> None:
    async with _receiver() as (uri, received), running() as (_, api):
        await _subscribe(api, uri)
        job_id = await api.printed_job("note")
        async with asyncio.timeout(3):
            callback = await received.get()

    param = callback["Param"]
    assert param["Type"] == "ImmediatePrint"
    assert param["JobId"] == job_id
    assert param["JobStatus"] == "completed"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d", param["UpdateDate"])


async def test_pause_and_cancel_are_reported_to_the_callback_uri() -> None:
    async with _receiver() as (uri, received), running() as (sim, api):
        await _subscribe(api, uri)
        sim.faults.pause_next_job(DOC_PRINTER, "media_jam")
        await api.printed_job("jam")
        canceled = await api.uploaded_job("drop")
        await api.call("POST", f"/printing/jobs/{canceled}/cancel")
        async with asyncio.timeout(3):
            statuses = {(await received.get())["Param"]["JobStatus"] for _ in range(2)}
        sim.resume(DOC_PRINTER)

    assert statuses == {"media_jam", "canceled"}


async def test_no_callback_is_sent_when_notification_is_off() -> None:
    async with _receiver() as (uri, received), running() as (_, api):
        token = await api.application_token()
        body = {"notification": False, "callbackUri": uri}
        await api.call("POST", "/printing/settings/notification", body, token=token)
        job_id = await api.printed_job("quiet")
        await api.wait_for_status(job_id, "completed")
        await _subscribe(api, uri)
        await api.printed_job("loud")
        async with asyncio.timeout(3):
            first = await received.get()

    assert first["Param"]["JobStatus"] == "completed"
    assert first["Param"]["JobId"] != job_id


async def test_failed_callback_is_logged_and_printing_goes_on(caplog: Any) -> None:
    async with running() as (sim, api):
        await _subscribe(api, "http://127.0.0.1:9/nobody-listens")
        job_id = await api.printed_job("lonely")
        await api.wait_for_status(job_id, "completed")

        async def logged() -> bool:
            return any("Callback for job" in r.getMessage() for r in caplog.records)

        async with asyncio.timeout(3):
            while not await logged():  # noqa: ASYNC110 - the log has no event
                await asyncio.sleep(0.01)

    assert sim.prints_of("lonely") == 1
