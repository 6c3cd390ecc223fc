"""LibreOffice processes end with their converter, on success and on timeout.

Kept apart from test_office.py: that module's shared warm converter would count as
a live child process here.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from pathlib import Path

import psutil
import pytest
from pypdf import PdfReader

from bot.convert import ConversionFailed, FileKind, OfficeConverter
from bot.convert.office import network_sandbox
from tests.convert.conftest import (
    build_docx,
    listing,
    needs_uno,
)

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)


def _descendants() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if p.is_running()]


async def _no_descendants_within(seconds: float) -> bool:
    """Poll until no child process of ours is alive (killed ones are reaped by init)."""
    deadline = time.monotonic() + seconds
    while _descendants():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)
    return True


def _text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@pytest.mark.slow  # a fresh LibreOffice profile: 3-5 s on a busy machine
async def test_cold_conversion_works_and_leaves_no_process(
    inbox: Path, work: Path
) -> None:
    src = build_docx(inbox / "a.docx", ["Cold start"])

    async with OfficeConverter(warm=False, timeout=60) as office:
        result = await office.convert(src, work, FileKind.DOCX)

    assert "Cold start" in _text_of(result)
    assert await _no_descendants_within(5)


async def test_timeout_kills_the_whole_process_group(inbox: Path, work: Path) -> None:
    src = build_docx(inbox / "a.docx", ["Too slow"])

    async with OfficeConverter(warm=False, timeout=0.3) as office:
        with pytest.raises(ConversionFailed):
            await office.convert(src, work, FileKind.DOCX)

    assert await _no_descendants_within(5)
    assert listing(work) == []


@pytest.mark.slow  # a fresh LibreOffice profile: 3-5 s on a busy machine
async def test_closing_a_warm_converter_stops_libreoffice(
    inbox: Path, work: Path
) -> None:
    src = build_docx(inbox / "a.docx", ["Warm"])

    async with OfficeConverter(timeout=60) as office:
        await office.convert(src, work, FileKind.DOCX)
        assert _descendants()

    assert await _no_descendants_within(5)


@needs_uno
@pytest.mark.slow  # two LibreOffice starts: 4-6 s
async def test_warm_converter_recovers_when_libreoffice_dies(
    inbox: Path, work: Path
) -> None:
    src = build_docx(inbox / "a.docx", ["After the crash"])

    async with OfficeConverter(timeout=60) as office:
        await office.convert(src, work, FileKind.DOCX)
        for process in _descendants():
            if process.name() == "soffice.bin":
                process.kill()
        result = await office.convert(src, work, FileKind.DOCX)

    assert "After the crash" in _text_of(result)
    assert office.warm


async def test_sandbox_prefix_cuts_the_network() -> None:
    sandbox = network_sandbox()
    if not sandbox:
        pytest.skip("this host allows no network namespace")
    server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connect = f"import socket; socket.create_connection(('127.0.0.1', {port}), 2)"

    async with server:
        outside = await asyncio.create_subprocess_exec(sys.executable, "-c", connect)
        inside = await asyncio.create_subprocess_exec(
            *sandbox, sys.executable, "-c", connect, stderr=asyncio.subprocess.DEVNULL
        )
        codes = (await outside.wait(), await inside.wait())

    assert codes[0] == 0
    assert codes[1] != 0


async def test_converter_without_prewarm_starts_nothing_until_used() -> None:
    async with OfficeConverter(prewarm=False) as office:
        assert office.available
        assert _descendants() == []
