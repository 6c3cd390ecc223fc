"""OAuth and Epson callbacks cannot be turned against a user: a link goes to the
user who asked, a tampered state links nothing, and a notification with a made-up
status changes no job."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp
import pytest

from bot.core.commands import LinkCommand, PrintCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from bot.secret import Secret
from bot.web import notification_path
from tests.core.conftest import SECRET_KEY, follow_link, write_pdf
from tests.fakes.chat import ChatRoom, attachment
from tests.fakes.loopback import wait_until


async def _printers(runtime: Runtime, user: str) -> int:
    identity = await runtime.store.find_identity("console", user)
    return (
        0 if identity is None else len(await runtime.store.load_printers(identity.id))
    )


async def test_a_link_goes_to_the_user_who_asked_even_if_another_opens_it(
    runtime: Runtime, room: ChatRoom
) -> None:
    # Whoever's browser completes Bob's sign-in link, the printer is Bob's.
    await follow_link(runtime, room, user="bob")

    assert await _printers(runtime, "bob") == 1
    assert await _printers(runtime, "alice") == 0
    assert all(s.target.user_id == "bob" for s in room.shown.values())


async def test_a_tampered_state_links_nothing(runtime: Runtime, room: ChatRoom) -> None:
    [prompt] = await runtime.service.handle(LinkCommand(room.origin("bob")))
    assert prompt.buttons[0].url is not None
    async with aiohttp.ClientSession() as session:
        async with session.get(prompt.buttons[0].url, allow_redirects=False) as sent:
            callback = urlsplit(sent.headers["Location"])
        query = dict(parse_qsl(callback.query))
        state = query["state"]
        middle = len(state) // 2
        flipped = "A" if state[middle] != "A" else "B"
        query["state"] = state[:middle] + flipped + state[middle + 1 :]
        tampered = callback._replace(query=urlencode(query)).geturl()
        async with session.get(tampered) as answer:
            status = answer.status

    assert status == 400
    assert await _printers(runtime, "bob") == 0


@pytest.mark.parametrize("step_seconds", [0.5])
@pytest.mark.parametrize("claimed", ["canceled", "completed", "error_occurred"])
async def test_a_notification_with_a_made_up_status_changes_no_job(
    linked: Runtime,
    room: ChatRoom,
    simulator: Simulator,
    tmp_path: Path,
    claimed: str,
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf")
    await linked.service.handle(
        PrintCommand(room.origin(), attachments=(attachment(pdf),))
    )
    await wait_until(_printing(linked), message="job 1 at Epson")
    job = await linked.store.load_job(1)
    assert job is not None
    assert job.epson_job_id is not None
    body = {
        "Param": {
            "Type": "ImmediatePrint",
            "JobId": job.epson_job_id,
            "JobStatus": claimed,
            "UpdateDate": "2026/12/03 10:00:00",
        }
    }

    url = linked.url + notification_path(Secret(SECRET_KEY))
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as sent:
        assert sent.status == 200
    await room.wait_for_text("Done:")
    await linked.service.runner.wait_idle()

    finished = await linked.store.load_job(1)
    assert finished is not None
    assert finished.state == "completed"
    assert not any("was canceled" in t or "failed" in t for t in room.texts())
    assert len(simulator.prints) == 1


def _printing(runtime: Runtime) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        job = await runtime.store.load_job(1)
        return job is not None and job.state == "printing"

    return check
