"""Tests for the loopback server helper and the condition poller."""

from __future__ import annotations

import aiohttp
import pytest
from aiohttp import web

from tests.fakes.loopback import LoopbackServer, wait_until


async def _hello(_request: web.Request) -> web.Response:
    return web.Response(text="hello")


async def _fetch_text(url: str) -> str:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return await response.text()


async def test_loopback_server_serves_on_a_free_local_port() -> None:
    app = web.Application()
    app.router.add_get("/", _hello)

    async with LoopbackServer(app) as server:
        body = await _fetch_text(server.url + "/")

    assert server.url.startswith("http://127.0.0.1:")
    assert server.port > 0
    assert body == "hello"


async def test_wait_until_returns_once_an_async_predicate_holds() -> None:
    calls: list[int] = []

    async def third_call() -> bool:
        calls.append(1)
        return len(calls) >= 3

    await wait_until(third_call, timeout=1)

    assert len(calls) == 3


async def test_wait_until_times_out_naming_the_condition() -> None:
    with pytest.raises(TimeoutError, match="the moon"):
        await wait_until(lambda: False, timeout=0.05, message="the moon")


async def test_bound_server_knows_its_url_before_it_starts() -> None:
    app = web.Application()
    server = LoopbackServer(app)

    server.bind()
    url = server.url
    app.router.add_get("/", _hello)
    async with server:
        body = await _fetch_text(url + "/")

    assert body == "hello"
