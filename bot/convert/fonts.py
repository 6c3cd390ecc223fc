"""The TrueType fonts found on this system for rendering text, and their coverage."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)

FONT_DIRS = (
    Path("/usr/share/fonts"),
    Path("/usr/local/share/fonts"),
    Path.home() / ".local/share/fonts",
)
SANS = "DejaVuSans.ttf"
SANS_BOLD = "DejaVuSans-Bold.ttf"
SANS_ITALIC = "DejaVuSans-Oblique.ttf"
MONO = "DejaVuSansMono.ttf"
# First found wins; each covers Traditional Chinese (and most of CJK).
CJK_FONTS = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKtc-Regular.otf",
    "NotoSansTC-Regular.otf",
    "NotoSansTC-Regular.ttf",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
    "DroidSansFallbackFull.ttf",
    "DroidSansFallback.ttf",
)


@dataclass(frozen=True)
class FontSet:
    """Font files for text pages; None where this system has no such font."""

    sans: Path | None
    sans_bold: Path | None
    sans_italic: Path | None
    mono: Path | None
    cjk: Path | None


@functools.cache
def find_fonts() -> FontSet:
    """Look up the fonts once per process."""
    found = _index_font_files()
    fonts = FontSet(
        sans=found.get(SANS),
        sans_bold=found.get(SANS_BOLD),
        sans_italic=found.get(SANS_ITALIC),
        mono=found.get(MONO),
        cjk=next((found[name] for name in CJK_FONTS if name in found), None),
    )
    logger.debug("Text fonts: %s", fonts)
    return fonts


def _index_font_files() -> dict[str, Path]:
    """Every font file under the usual directories, by file name."""
    index: dict[str, Path] = {}
    for root in FONT_DIRS:
        if root.is_dir():
            for path in sorted(root.rglob("*.[to]t[fc]")):
                index.setdefault(path.name, path)
    return index


@functools.cache
def covered_codepoints(path: Path) -> frozenset[int]:
    """The code points ``path`` has glyphs for (face 0 of a collection)."""
    with TTFont(path, fontNumber=0, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})
