"""Whatever file intake lets through, Epson can print: damaged copies of real
files either get an intake error or become a file the Epson simulator accepts."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from bot.convert import IntakeError, detect_kind, to_printable
from bot.core.preparation import PHOTO_KINDS
from bot.epson.simulator.documents import UnreadableDocument, printable_pages

EPSON_KINDS = {"pdf": "pdf", "jpg": "jpeg", "jpeg": "jpeg", "png": "png"}


def _pdf() -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for number in (1, 2):
        pdf.add_page()
        pdf.cell(text=f"page {number}")
    return bytes(pdf.output())


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 240), "salmon").save(out, fmt)
    return out.getvalue()


SEEDS = {"pdf": _pdf(), "jpg": _image("JPEG"), "png": _image("PNG")}
damage = st.fixed_dictionaries(
    {
        "seed": st.sampled_from(sorted(SEEDS)),
        "keep": st.floats(0.0, 1.0),
        "flips": st.lists(
            st.tuples(st.floats(0.0, 1.0, exclude_max=True), st.integers(0, 255)),
            max_size=6,
        ),
    }
)


def _damaged(seed: str, keep: float, flips: list[tuple[float, int]]) -> bytes:
    data = bytearray(SEEDS[seed][: max(1, int(len(SEEDS[seed]) * keep))])
    for where, value in flips:
        data[int(where * len(data))] = value
    return bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning")
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(case=damage)
def test_intake_lets_through_only_files_epson_accepts(
    tmp_path_factory: pytest.TempPathFactory, case: dict[str, object]
) -> None:
    work = tmp_path_factory.mktemp("fuzz")
    source = work / f"sent.{case['seed']}"
    source.write_bytes(_damaged(**case))  # type: ignore[arg-type]

    try:
        kind = detect_kind(source, name_hint=source.name)
        mode = "photo" if kind in PHOTO_KINDS else "document"
        printable = asyncio.run(
            to_printable(source, work, kind=kind, mode=mode, paper="ps_a4")
        )
    except IntakeError:
        return

    data = Path(printable.path).read_bytes()
    try:
        pages = printable_pages(data, EPSON_KINDS[printable.extension], mode)
    except UnreadableDocument as exc:
        pytest.fail(f"intake passed a file Epson refuses: {exc}")
    assert pages == printable.page_count
