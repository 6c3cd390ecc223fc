"""Files are fetched only from the chat platform's own file server: a URL a user
types, captions, or names a file after is never fetched."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from bench.drivers import bot_on, wait_done
from bench.files import one_page_pdf
from bench.stage import Stage
from tests.fakes.loopback import LoopbackServer


@pytest.fixture
async def canary() -> AsyncIterator[tuple[LoopbackServer, list[str]]]:
    """A server that serves a PDF to anyone and notes every request."""
    hits: list[str] = []

    async def serve(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(body=one_page_pdf(), content_type="application/pdf")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", serve)
    async with LoopbackServer(app) as server:
        yield server, hits


async def test_no_url_from_a_user_is_ever_fetched(
    tmp_path: Path, canary: tuple[LoopbackServer, list[str]]
) -> None:
    server, hits = canary
    url = f"{server.url}/invoice.pdf"
    async with Stage(tmp_path) as stage, bot_on(stage) as bot:
        user = stage.new_user()
        await stage.link([user])

        stage.send_text(user, f"/print {url}")
        stage.send_text(user, url)
        stage.send_file(user, one_page_pdf(), url)
        await wait_done(stage, [user], within=30)
        await stage.wait(
            lambda: stage.chats.count(user["id"], "Attach a file to print") >= 1,
            "the answer to a print without a file",
        )
        await bot.stop()
        downloads = list(stage.telegram.downloads)

    assert hits == []
    assert len(downloads) == 1
    assert downloads[0].startswith("documents/")
