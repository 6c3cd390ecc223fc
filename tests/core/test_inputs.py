"""Each kind of file a user may send, through the core to what Epson receives."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from pathlib import Path

import pillow_heif
import pytest
from PIL import Image
from pypdf import PdfReader

from bot.core.commands import PrintCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.core.conftest import follow_link, write_pdf
from tests.fakes.chat import ChatRoom, attachment

PHOTO_PRINTER = "X6CC009012"


async def _print(
    runtime: Runtime, room: ChatRoom, path: Path, options: str = "", photo: bool = False
) -> str:
    command = PrintCommand(
        room.origin(), attachments=(attachment(path, is_photo=photo),), options=options
    )
    await runtime.service.handle(command)
    await room.wait_for(
        lambda: any("Done:" in t or "could not" in t for t in room.texts()), 60
    )
    return room.texts()[-1]


def _image(path: Path, size: tuple[int, int] = (900, 600)) -> Path:
    Image.new("RGB", size, "teal").save(path)
    return path


async def test_png_as_document_becomes_one_page_pdf(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    text = await _print(linked, room, _image(tmp_path / "chart.png"), "mode=document")

    assert "Done:" in text
    [record] = simulator.prints
    assert record.print_mode == "document"
    assert record.file is not None
    assert len(PdfReader(record.file).pages) == 1


@pytest.mark.parametrize("suffix", ["webp", "gif", "bmp", "tiff"])
async def test_other_image_formats_print_as_photos(
    runtime: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path, suffix: str
) -> None:
    simulator.next_authorize_outcome(PHOTO_PRINTER)
    await follow_link(runtime, room)

    text = await _print(runtime, room, _image(tmp_path / f"pic.{suffix}"), photo=True)

    assert "Done:" in text
    [record] = simulator.prints
    assert record.print_mode == "photo"
    assert record.file is not None
    assert record.file.suffix == ".jpg"


async def test_heic_phone_photo_prints_as_jpeg(
    runtime: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    simulator.next_authorize_outcome(PHOTO_PRINTER)
    await follow_link(runtime, room)
    heif = pillow_heif.from_pillow(Image.new("RGB", (640, 480), "red"))
    heif.save(tmp_path / "IMG_0001.HEIC", quality=60)

    text = await _print(runtime, room, tmp_path / "IMG_0001.HEIC", photo=True)

    assert "Done:" in text
    [record] = simulator.prints
    assert record.file is not None
    assert record.file.suffix == ".jpg"


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("notes.txt", "Shopping list\n- paper\n- ink\n" * 40),
        ("readme.md", "# Title\n\n**bold** text\n"),
    ],
)
async def test_text_and_markdown_render_to_pdf(
    linked: Runtime,
    room: ChatRoom,
    simulator: Simulator,
    tmp_path: Path,
    name: str,
    body: str,
) -> None:
    path = tmp_path / name
    path.write_text(body)

    text = await _print(linked, room, path)

    assert "Done:" in text
    [record] = simulator.prints
    assert record.file is not None
    assert record.file.suffix == ".pdf"
    assert len(PdfReader(record.file).pages) >= 1


@pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice is not installed"
)
async def test_docx_converts_with_libreoffice_and_prints(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    source = tmp_path / "letter.txt"
    source.write_text("Dear printer,\nplease print this letter.\n")
    await asyncio.to_thread(
        subprocess.run,
        [
            "soffice",
            "--headless",
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )

    text = await _print(linked, room, tmp_path / "letter.docx")

    assert "Done:" in text
    [record] = simulator.prints
    assert record.file is not None
    assert record.file.suffix == ".pdf"


async def test_page_selection_and_two_up_shrink_what_is_uploaded(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "deck.pdf", pages=6)

    text = await _print(linked, room, pdf, "pages=1-4 nup=2")

    assert "2 pages" in text
    [record] = simulator.prints
    assert record.file is not None
    assert len(PdfReader(record.file).pages) == 2


async def test_page_range_outside_the_document_is_refused_before_epson(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    text = await _print(
        linked, room, write_pdf(tmp_path / "short.pdf", pages=2), "pages=5"
    )

    assert "could not be printed" in text
    assert "2" in text
    assert not any(r.path == "/api/2/printing/jobs" for r in simulator.requests)


async def test_disguised_file_is_refused_by_content_not_name(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    fake = tmp_path / "invoice.pdf"
    fake.write_bytes(b"\x7fELF" + bytes(range(256)) * 8)

    text = await _print(linked, room, fake)

    assert "could not be printed" in text
    assert "PDF" in text
    assert not any(r.path == "/api/2/printing/jobs" for r in simulator.requests)


async def test_bad_option_is_answered_at_once_naming_the_option(
    linked: Runtime, room: ChatRoom, simulator: Simulator, tmp_path: Path
) -> None:
    command = PrintCommand(
        room.origin(),
        attachments=(attachment(write_pdf(tmp_path / "a.pdf")),),
        options="copies=200",
    )

    answers = await linked.service.handle(command)

    assert "copies" in answers[0].text
    assert "99" in answers[0].text
    assert simulator.requests[-1].path != "/api/2/printing/jobs"
