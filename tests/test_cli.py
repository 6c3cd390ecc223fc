"""The chatprint command: help, version, and one-line refusals of bad configuration."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import aiohttp
import pytest

from bot import __version__
from bot.cli import main


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])

    assert __version__ in capsys.readouterr().out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "simulator" in capsys.readouterr().out


def test_run_without_secret_key_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[telegram]\ntoken = "123:abc"\n[epson]\nclient_id = "x"\n')
    for name in list(os.environ):
        if name.startswith("CHATPRINT_"):
            monkeypatch.delenv(name)

    status = main(["run", "--config", str(config)])

    error = capsys.readouterr().err.strip()
    assert status == 2
    assert "security.secret_key" in error
    assert "\n" not in error


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[web]\nlisten = "nowhere"\n', "web.listen"),
        ('[epson]\npoll_interval = "fast"\n', "epson.poll_interval"),
        ("[epson]\nclient_idd = 1\n", "epson.client_idd"),
        ("[mystery]\n", "[mystery]"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_bad_configuration_is_named_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, named: str
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(text)

    status = main(["run", "--config", str(config)])

    error = capsys.readouterr().err.strip()
    assert status == 2
    assert named in error
    assert "Traceback" not in error
    assert "\n" not in error


async def test_simulator_command_serves_epson_connect(tmp_path: Path) -> None:
    port = _free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "simulator",
        "--port",
        str(port),
        "--output",
        str(tmp_path / "out"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        status = await _first_answer(
            f"http://127.0.0.1:{port}/api/2/printing/devices/info"
        )
    finally:
        process.terminate()
        await process.wait()

    assert status == 401


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _first_answer(url: str) -> int:
    async with aiohttp.ClientSession() as session, asyncio.timeout(15):
        while True:
            try:
                async with session.get(url) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
