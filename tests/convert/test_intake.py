"""Receiving a download under the cap, and cleaning the name it came with."""

from __future__ import annotations

import stat
import unicodedata
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.convert import EmptyFile, FileTooLarge, clean_filename, receive
from bot.convert.intake import MAX_NAME_CHARS


class Source:
    """An async byte stream that records how many chunks were taken from it."""

    def __init__(self, chunk: bytes, count: int) -> None:
        self.chunk = chunk
        self.count = count
        self.taken = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for _ in range(self.count):
            self.taken += 1
            yield self.chunk


async def test_receive_writes_every_byte_privately(tmp_path: Path) -> None:
    dest = tmp_path / "file"

    size = await receive(Source(b"abc" * 1000, 5), dest, declared_size=15_000)

    assert size == 15_000
    assert dest.read_bytes() == b"abc" * 5000
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600


async def test_receive_refuses_declared_size_before_reading(tmp_path: Path) -> None:
    source = Source(b"x", 10)
    dest = tmp_path / "file"

    with pytest.raises(FileTooLarge) as caught:
        await receive(source, dest, declared_size=21_000_000)

    assert source.taken == 0
    assert not dest.exists()
    assert caught.value.params == {"limit_mb": 20}
    assert caught.value.key == "intake.too_large"


async def test_receive_stops_and_deletes_when_stream_passes_limit(
    tmp_path: Path,
) -> None:
    source = Source(b"x" * 1000, 100)
    dest = tmp_path / "file"

    with pytest.raises(FileTooLarge):
        await receive(source, dest, declared_size=None, limit=10_500)

    assert source.taken == 11
    assert not dest.exists()


async def test_receive_trusts_bytes_over_a_low_declared_size(tmp_path: Path) -> None:
    dest = tmp_path / "file"

    with pytest.raises(FileTooLarge):
        await receive(Source(b"x" * 1000, 30), dest, declared_size=10, limit=20_000)

    assert not dest.exists()


async def test_receive_accepts_exactly_the_limit(tmp_path: Path) -> None:
    size = await receive(
        Source(b"x" * 100, 10), tmp_path / "f", declared_size=1000, limit=1000
    )

    assert size == 1000


async def test_receive_refuses_zero_bytes(tmp_path: Path) -> None:
    dest = tmp_path / "file"

    with pytest.raises(EmptyFile):
        await receive(Source(b"", 3), dest, declared_size=0)

    assert not dest.exists()


async def test_receive_deletes_partial_file_when_stream_breaks(tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"partial"
        raise ConnectionResetError("peer went away")

    dest = tmp_path / "file"

    with pytest.raises(ConnectionResetError):
        await receive(broken(), dest, declared_size=None)

    assert not dest.exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32.dll", "system32.dll"),
        ("report\x00.pdf", "report.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ("\u200bzero\u200dwidth.txt", "zerowidth.txt"),
        ("  spaced   out .pdf ", "spaced out .pdf"),
        ("...hidden", "hidden"),
        ("../", "document"),
        ("\x00\x01\u202e", "document"),
        ("", "document"),
        ("相片 2024.heic", "相片 2024.heic"),
    ],
)
def test_clean_filename_removes_paths_and_invisible_characters(
    name: str, expected: str
) -> None:
    assert clean_filename(name) == expected


def test_clean_filename_shortens_but_keeps_extension() -> None:
    cleaned = clean_filename("a" * 300 + ".docx")

    assert len(cleaned) == MAX_NAME_CHARS
    assert cleaned.endswith(".docx")


@given(st.text(max_size=400))
def test_clean_filename_output_is_always_safe(name: str) -> None:
    cleaned = clean_filename(name)

    assert 0 < len(cleaned) <= MAX_NAME_CHARS
    assert "/" not in cleaned
    assert "\\" not in cleaned
    assert cleaned not in {".", ".."}
    assert not cleaned.startswith((".", " "))
    assert all(unicodedata.category(c) not in {"Cc", "Cf", "Cs"} for c in cleaned)
