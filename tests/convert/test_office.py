"""Office documents through a real headless LibreOffice, warm and cold."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pypdf import PdfReader

from bot.convert import (
    MAX_PDF_PAGES,
    ConversionFailed,
    FileKind,
    OfficeConverter,
    OfficeUnavailable,
    detect_kind,
    to_printable,
)
from bot.convert.pdf_structure import quick_page_count
from tests.convert.conftest import (
    build_docx,
    build_odp,
    build_opendocument,
    build_xlsx,
    listing,
    needs_uno,
)

pytestmark = pytest.mark.skipif(
    shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"
)
MODULE = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def warm_office() -> AsyncIterator[OfficeConverter]:
    """One warm converter shared by the module: its start costs about 2 s."""
    async with OfficeConverter(timeout=60) as office:
        yield office


def _text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


@MODULE
async def test_docx_becomes_a_pdf_with_its_pages(
    warm_office: OfficeConverter, inbox: Path, work: Path
) -> None:
    src = build_docx(inbox / "letter.docx", ["Dear printer"], page_breaks=1)

    result = await to_printable(
        src,
        work,
        kind=FileKind.DOCX,
        mode="document",
        paper="ps_a4",
        office=warm_office,
    )

    assert (result.extension, result.page_count, result.kind) == (
        "pdf",
        2,
        FileKind.DOCX,
    )
    assert "Dear printer" in _text_of(result.path)
    assert listing(work) == [result.path]


@MODULE
async def test_converted_pdf_is_counted_without_pypdf(
    warm_office: OfficeConverter, inbox: Path, work: Path
) -> None:
    src = build_docx(inbox / "long.docx", ["Page one"], page_breaks=2)

    path = await warm_office.convert(src, work, FileKind.DOCX)

    count = quick_page_count(path, max_pages=MAX_PDF_PAGES)
    assert count == len(PdfReader(path).pages) == 3


@MODULE
@pytest.mark.parametrize(
    ("kind", "builder"),
    [
        (FileKind.ODT, lambda p: build_opendocument(
            p, "application/vnd.oasis.opendocument.text", "Open text")),
        (FileKind.XLSX, lambda p: build_xlsx(p, "Open text")),
        (FileKind.RTF, lambda p: p.write_bytes(b"{\\rtf1\\ansi Open text\\par}") and p),
    ],
)  # fmt: skip
async def test_other_office_kinds_convert(
    warm_office: OfficeConverter,
    inbox: Path,
    work: Path,
    kind: FileKind,
    builder: object,
) -> None:
    src = inbox / "in.bin"
    assert callable(builder)
    builder(src)

    result = await to_printable(
        src, work, kind=kind, mode="document", paper="ps_a4", office=warm_office
    )

    assert result.page_count == 1
    assert "Open text" in _text_of(result.path)


@MODULE
async def test_concurrent_conversions_all_succeed(
    warm_office: OfficeConverter, inbox: Path, work: Path
) -> None:
    sources = [build_docx(inbox / f"{n}.docx", [f"Document {n}"]) for n in range(4)]

    results = await asyncio.gather(
        *(warm_office.convert(src, work, FileKind.DOCX) for src in sources)
    )

    assert len(set(results)) == 4
    assert [_text_of(path).strip() for path in results] == [
        f"Document {n}" for n in range(4)
    ]


@MODULE
async def test_warm_converter_survives_a_document_it_cannot_open(
    warm_office: OfficeConverter, inbox: Path, work: Path
) -> None:
    broken = inbox / "broken.docx"
    broken.write_bytes(b"{\\rtf1 " + b"\x00\xff" * 100)
    good = build_docx(inbox / "good.docx", ["Still working"])

    with contextlib.suppress(ConversionFailed):
        await warm_office.convert(broken, work, FileKind.DOCX)
    result = await warm_office.convert(good, work, FileKind.DOCX)

    assert "Still working" in _text_of(result)
    assert all(path.suffix == ".pdf" for path in listing(work))


async def test_missing_converter_means_office_unavailable(
    inbox: Path, work: Path
) -> None:
    src = build_docx(inbox / "a.docx", ["x"])

    with pytest.raises(OfficeUnavailable) as caught:
        await to_printable(
            src, work, kind=FileKind.DOCX, mode="document", paper="ps_a4"
        )

    assert caught.value.key == "intake.office_unavailable"


async def test_missing_binary_means_office_unavailable(inbox: Path, work: Path) -> None:
    src = build_docx(inbox / "a.docx", ["x"])
    office = OfficeConverter("/nonexistent/soffice")

    with pytest.raises(OfficeUnavailable):
        await office.convert(src, work, FileKind.DOCX)

    assert not office.available
    assert listing(work) == []


@MODULE
@needs_uno
async def test_conversions_go_through_the_warm_libreoffice(
    warm_office: OfficeConverter, inbox: Path, work: Path
) -> None:
    src = build_docx(inbox / "a.docx", ["Warm"])

    await warm_office.convert(src, work, FileKind.DOCX)

    assert warm_office.warm


@pytest.fixture(scope="module")
def saved_by_libreoffice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """DOC, XLS, PPT and PPTX files written by LibreOffice itself (about 6 s)."""
    root = tmp_path_factory.mktemp("legacy")
    sources = {
        "doc": build_docx(root / "w.docx", ["Legacy text"]),
        "xls": build_xlsx(root / "c.xlsx", "Legacy text"),
        "ppt": build_odp(root / "p.odp", "Legacy text"),
        "pptx": build_odp(root / "q.odp", "Legacy text"),
    }
    for target, src in sources.items():
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation={(root / 'profile').as_uri()}",
                "--headless",
                "--convert-to",
                target,
                "--outdir",
                str(root / "out"),
                str(src),
            ],
            capture_output=True,
            timeout=120,
            check=True,
        )
    return root / "out"


@MODULE
@pytest.mark.slow  # LibreOffice writes the inputs first: four cold starts
@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("w.doc", FileKind.DOC),
        ("c.xls", FileKind.XLS),
        ("p.ppt", FileKind.PPT),
        ("q.pptx", FileKind.PPTX),
    ],
)
async def test_files_saved_by_office_suites_are_detected_and_converted(
    warm_office: OfficeConverter,
    saved_by_libreoffice: Path,
    work: Path,
    name: str,
    kind: FileKind,
) -> None:
    src = saved_by_libreoffice / name

    detected = detect_kind(src)
    result = await to_printable(
        src, work, kind=detected, mode="document", paper="ps_a4", office=warm_office
    )

    assert detected is kind
    assert result.page_count == 1
    assert "Legacy text" in _text_of(result.path)
