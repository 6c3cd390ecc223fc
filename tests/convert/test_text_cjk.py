"""Traditional Chinese text prints in a CJK font where one is installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.convert import FileKind, to_printable
from bot.convert.fonts import find_fonts

pytestmark = pytest.mark.skipif(
    find_fonts().cjk is None, reason="no CJK font installed (fonts-noto-cjk)"
)


@pytest.mark.parametrize("kind", [FileKind.TEXT, FileKind.MARKDOWN])
async def test_chinese_text_keeps_its_characters(
    tmp_path: Path, kind: FileKind
) -> None:
    source = tmp_path / "list.txt"
    source.write_text(
        "購物清單：紙張、墨水\nShopping list: paper, ink\n", encoding="utf-8"
    )

    printable = await to_printable(
        source, tmp_path, kind=kind, mode="document", paper="ps_a4"
    )

    # CID-keyed text extracts with NUL padding between characters.
    text = PdfReader(printable.path).pages[0].extract_text().replace("\x00", "")
    assert "購物清單" in text
    assert "墨水" in text
    assert "\ufffd" not in text
