"""Paper sizes by Epson Connect wire value, in millimetres and PDF points.

Epson does not publish these dimensions for the Connect API; they follow Epson's
ESC/P-R driver media table (see API-SUMMARY.md section 4). "KG" is 4x6 inches.
"""

from __future__ import annotations

from dataclasses import dataclass

MM_PER_INCH = 25.4
POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class PaperSize:
    """A sheet in portrait orientation."""

    width_mm: float
    height_mm: float

    @property
    def width_pt(self) -> float:
        """The width in PDF points."""
        return self.width_mm / MM_PER_INCH * POINTS_PER_INCH

    @property
    def height_pt(self) -> float:
        """The height in PDF points."""
        return self.height_mm / MM_PER_INCH * POINTS_PER_INCH


def _inches(width: float, height: float) -> PaperSize:
    return PaperSize(width * MM_PER_INCH, height * MM_PER_INCH)


PAPER_SIZES: dict[str, PaperSize] = {
    "ps_a3": PaperSize(297, 420),
    "ps_a4": PaperSize(210, 297),
    "ps_a5": PaperSize(148, 210),
    "ps_a6": PaperSize(105, 148),
    "ps_b5": PaperSize(182, 257),
    "ps_tabloid": _inches(11, 17),
    "ps_letter": _inches(8.5, 11),
    "ps_legal": _inches(8.5, 14),
    "ps_halfletter": _inches(5.5, 8.5),
    "ps_kg": _inches(4, 6),
    "ps_l": PaperSize(89, 127),
    "ps_2l": PaperSize(127, 178),
    "ps_10x12": _inches(10, 12),
    "ps_8x10": _inches(8, 10),
    "ps_hivision": PaperSize(101.6, 180.6),
    "ps_5x8": _inches(5, 8),
    "ps_postcard": PaperSize(100, 148),
}


def get_paper(wire_value: str) -> PaperSize:
    """The portrait size of an Epson paper-size value such as ``"ps_a4"``.

    Raises:
        ValueError: The value is not one Epson defines; pass one of PAPER_SIZES.
    """
    try:
        return PAPER_SIZES[wire_value]
    except KeyError:
        raise ValueError(
            f"Unknown paper size {wire_value!r}; use one of {sorted(PAPER_SIZES)}"
        ) from None
