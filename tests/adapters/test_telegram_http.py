"""The aiohttp backend under python-telegram-bot: failures never quote the token."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from aiohttp import web
from telegram.error import NetworkError, TimedOut

from adapters.telegram_http import AiohttpRequest, UpdatesRequest

TOKEN = "123456:secret-token-never-in-an-error"


@pytest.fixture
async def backend() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(read_timeout=0.3)
    await request.initialize()
    yield request
    await request.shutdown()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def _answering(answer: object) -> AsyncIterator[str]:
    """A Bot API stand-in that answers every call with ``answer``; yields its URL."""

    async def reply(request: web.Request) -> web.Response:
        return web.json_response(answer)

    app = web.Application()
    app.router.add_post("/{tail:.*}", reply)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/bot{TOKEN}"
    finally:
        await runner.cleanup()


async def test_a_poll_answer_leaves_out_the_updates_already_in_hand() -> None:
    updates = [{"update_id": n, "message": {"message_id": n}} for n in (41, 42, 43)]
    backend = UpdatesRequest()
    await backend.initialize()
    backend.had_through = 42

    async with _answering({"ok": True, "result": updates}) as url:
        fresh = await backend.post(f"{url}/getUpdates")
    await backend.shutdown()

    assert fresh == [updates[2]]


async def test_other_answers_pass_the_updates_backend_unchanged() -> None:
    backend = UpdatesRequest()
    await backend.initialize()
    backend.had_through = 42

    async with _answering({"ok": True, "result": {"id": 7, "is_bot": True}}) as url:
        me = await backend.post(f"{url}/getMe")
    await backend.shutdown()

    assert me == {"id": 7, "is_bot": True}


async def test_unreachable_bot_api_raises_without_the_token(
    backend: AiohttpRequest,
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}/bot{TOKEN}/getMe"

    with pytest.raises(NetworkError) as caught:
        await backend.post(url)

    assert TOKEN not in str(caught.value)
    assert TOKEN not in repr(caught.value)
    assert caught.value.__cause__ is None


async def test_silent_bot_api_times_out_without_the_token(
    backend: AiohttpRequest,
) -> None:
    released = asyncio.Event()

    async def never_answers(request: web.Request) -> web.Response:
        await released.wait()
        return web.Response()

    app = web.Application()
    app.router.add_post("/{tail:.*}", never_answers)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        with pytest.raises(TimedOut) as caught:
            await backend.post(
                f"http://127.0.0.1:{port}/bot{TOKEN}/getMe",
                connect_timeout=0.3,
                write_timeout=0.1,
                read_timeout=0.2,
            )
    finally:
        released.set()
        await runner.cleanup()

    assert TOKEN not in str(caught.value)
    assert caught.value.__cause__ is None


async def test_a_closed_backend_refuses_to_send(backend: AiohttpRequest) -> None:
    await backend.shutdown()

    with pytest.raises(RuntimeError, match="not initialized"):
        await backend.do_request("http://127.0.0.1:9/", "POST")
