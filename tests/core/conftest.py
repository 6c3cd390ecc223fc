"""Fixtures for core tests: the Epson simulator, a whole runtime, and a chat room."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import aiohttp
import pytest
from fpdf import FPDF

from bot.config import (
    Config,
    ConversionConfig,
    EpsonConfig,
    SecurityConfig,
    StorageConfig,
    WebConfig,
)
from bot.core.commands import LinkCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from bot.secret import Secret
from tests.fakes.chat import ChatRoom

SECRET_KEY = "core-test-secret-key-with-enough-length"
Linker = Callable[..., Awaitable[None]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_config(tmp_path: Path, sim: Simulator) -> Config:
    port = free_port()
    return Config(
        epson=EpsonConfig(
            client_id=sim.settings.client_id,
            client_secret=Secret(sim.settings.client_secret),
            api_key=Secret(sim.settings.api_key),
            api_url=f"{sim.url}/api/2",
            auth_url=sim.url,
            poll_interval=0.05,
            poll_max=0.2,
        ),
        web=WebConfig(
            listen=f"127.0.0.1:{port}", public_url=f"http://127.0.0.1:{port}"
        ),
        storage=StorageConfig(database=tmp_path / "data" / "chatprint.db"),
        security=SecurityConfig(secret_key=Secret(SECRET_KEY)),
        conversion=ConversionConfig(prewarm=False),
    )


@pytest.fixture
def config(tmp_path: Path, simulator: Simulator) -> Config:
    return make_config(tmp_path, simulator)


@pytest.fixture
def room() -> ChatRoom:
    return ChatRoom()


@pytest.fixture
async def runtime(config: Config, room: ChatRoom) -> AsyncIterator[Runtime]:
    async with Runtime(config) as rt:
        rt.service.register(room)
        await rt.serve()
        yield rt


async def follow_link(runtime: Runtime, room: ChatRoom, user: str = "alice") -> None:
    """Link ``user``'s printer: /link, open the URL, let Epson send the browser back."""
    answers = await runtime.service.handle(LinkCommand(room.origin(user)))
    url = answers[0].buttons[0].url
    assert url is not None
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, await response.text()


@pytest.fixture
async def linked(runtime: Runtime, room: ChatRoom) -> Runtime:
    """A runtime where alice has linked the simulator's first printer."""
    await follow_link(runtime, room)
    return runtime


def write_pdf(path: Path, pages: int = 1) -> Path:
    """A real PDF with ``pages`` numbered pages."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=24)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Page {number}")
    pdf.output(str(path))
    return path
