"""The web server: the OAuth callback's refusals, notifications and health."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from bot.core.commands import LinkCommand, PrintCommand
from bot.core.link_state import LinkRequest, StateSealer
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from bot.secret import Secret
from bot.web import notification_path
from tests.core.conftest import SECRET_KEY, write_pdf
from tests.fakes.chat import ChatRoom, attachment


async def _authorize_url(runtime: Runtime, room: ChatRoom, user: str = "alice") -> str:
    answers = await runtime.service.handle(LinkCommand(room.origin(user)))
    url = answers[0].buttons[0].url
    assert url is not None
    return url


async def _callback_of(url: str) -> str:
    """What the simulator would send the browser back to (the redirect target)."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as response,
    ):
        assert response.status in (302, 303)
        return response.headers["Location"]


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.text()


async def _printer_count(runtime: Runtime, user: str = "alice") -> int:
    identity = await runtime.store.find_identity("console", user)
    return (
        0 if identity is None else len(await runtime.store.load_printers(identity.id))
    )


def _with_state(callback: str, state: str | None) -> str:
    parts = urlsplit(callback)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.pop("state")
    if state is not None:
        query["state"] = state
    encoded = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{encoded}"


async def test_callback_success_page_names_the_printer(
    runtime: Runtime, room: ChatRoom
) -> None:
    callback = await _callback_of(await _authorize_url(runtime, room))

    status, page = await _get(callback)

    assert status == 200
    assert "EW-M873T" in page
    assert await _printer_count(runtime) == 1


async def test_replayed_callback_is_refused_and_stores_nothing_new(
    runtime: Runtime, room: ChatRoom
) -> None:
    callback = await _callback_of(await _authorize_url(runtime, room))
    await _get(callback)

    status, page = await _get(callback)

    assert status == 400
    assert "already used" in page
    assert await _printer_count(runtime) == 1


@pytest.mark.parametrize("state", [None, "", "forged-state", "A" * 90])
async def test_missing_or_forged_state_is_refused(
    runtime: Runtime, room: ChatRoom, state: str | None
) -> None:
    callback = await _callback_of(await _authorize_url(runtime, room))

    status, page = await _get(_with_state(callback, state))

    assert status == 400
    assert "not valid" in page
    assert await _printer_count(runtime) == 0


async def test_state_sealed_with_another_key_is_refused(
    runtime: Runtime, room: ChatRoom
) -> None:
    callback = await _callback_of(await _authorize_url(runtime, room))
    foreign = StateSealer(Secret("some-other-deployment-key-0123456789"))
    request = LinkRequest(
        "n1", room.origin().target, "Mallory", "en", 2**40, Secret("v")
    )

    status, _ = await _get(_with_state(callback, foreign.seal(request)))

    assert status == 400
    assert await _printer_count(runtime) == 0


async def test_expired_state_is_refused(runtime: Runtime, room: ChatRoom) -> None:
    callback = await _callback_of(await _authorize_url(runtime, room))
    sealer = StateSealer(Secret(SECRET_KEY))
    stale = LinkRequest("n2", room.origin().target, "Alice", "en", 1000, Secret("v"))

    status, page = await _get(_with_state(callback, sealer.seal(stale)))

    assert status == 400
    assert "expired" in page


@pytest.mark.parametrize(
    ("outcome", "phrase"),
    [("not_registered", "not registered"), ("access_denied", "did not allow")],
)
async def test_epson_errors_get_a_page_that_says_what_to_do(
    runtime: Runtime, room: ChatRoom, simulator: Simulator, outcome: str, phrase: str
) -> None:
    simulator.next_authorize_outcome(outcome)

    status, page = await _get(await _authorize_url(runtime, room))

    assert status == 400
    assert phrase in page
    assert "/link" in page
    assert await _printer_count(runtime) == 0


async def test_failed_code_exchange_gets_a_page_and_stores_nothing(
    runtime: Runtime, room: ChatRoom
) -> None:
    callback = await _callback_of(await _authorize_url(runtime, room))
    parts = urlsplit(callback)
    query = parse_qs(parts.query)
    bad = f"{parts.scheme}://{parts.netloc}{parts.path}?code=not-a-code&state={query['state'][0]}"

    status, page = await _get(bad)

    assert status == 502
    assert "/link" in page
    assert await _printer_count(runtime) == 0


async def test_health_reports_the_database(runtime: Runtime) -> None:
    status, body = await _get(f"{runtime.url}/healthz")

    assert status == 200
    assert '"database": "ok"' in body


async def test_notification_for_unknown_job_changes_nothing(
    linked: Runtime, room: ChatRoom, tmp_path: Path
) -> None:
    await linked.service.handle(
        PrintCommand(
            room.origin(), attachments=(attachment(write_pdf(tmp_path / "a.pdf")),)
        )
    )
    await room.wait_for_text("Done:")
    url = linked.url + notification_path(Secret(SECRET_KEY))
    body = {
        "Param": {
            "Type": "ImmediatePrint",
            "JobId": "f" * 32,
            "JobStatus": "canceled",
            "UpdateDate": "2026/12/03 10:00:00",
        }
    }

    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body) as response:
            assert response.status == 200
        async with session.post(url, data=b"not json") as response:
            assert response.status == 400

    identity = await linked.store.find_identity("console", "alice")
    assert identity is not None
    [job] = await linked.store.load_recent_jobs(identity.id)
    assert job.state == "completed"


async def test_notification_path_is_not_guessable(runtime: Runtime) -> None:
    url = f"{runtime.url}/epson/notify/x"
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, json={}) as response,
    ):
        assert response.status == 404


async def test_oversized_notification_body_is_refused(runtime: Runtime) -> None:
    url = runtime.url + notification_path(Secret(SECRET_KEY))

    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=b"x" * (256 * 1024)) as response,
    ):
        assert response.status == 413


async def test_unknown_paths_show_no_listing_or_trace(runtime: Runtime) -> None:
    status, body = await _get(f"{runtime.url}/../../etc/passwd")

    assert status == 404
    assert "Traceback" not in body
