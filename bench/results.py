"""Benchmark figures: what was measured, against which target, and the report."""

from __future__ import annotations

import json
import platform
import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bot


@dataclass(frozen=True)
class Figure:
    """One measured figure.

    Args:
        name: What it is, e.g. ``latency.median_ratio``.
        value: The figure itself.
        unit: ``x`` for ratios, ``MB``, ``/s``, ...
        target: The target as text (``<= 1.3``), empty for figures without one.
        passed: Whether the target is met; ``None`` when there is no target.
        detail: The raw numbers behind the figure.
    """

    name: str
    value: float
    unit: str
    target: str = ""
    passed: bool | None = None
    detail: dict[str, float] = field(default_factory=dict)


def at_most(
    name: str, value: float, limit: float, *, unit: str = "x", **detail: float
) -> Figure:
    """A figure whose target is ``value <= limit``."""
    return Figure(name, value, unit, f"<= {limit:g}", value <= limit, detail)


def at_least(
    name: str, value: float, floor: float, *, unit: str = "x", **detail: float
) -> Figure:
    """A figure whose target is ``value >= floor``."""
    return Figure(name, value, unit, f">= {floor:g}", value >= floor, detail)


def below(name: str, value: float, limit: float, unit: str, **detail: float) -> Figure:
    """A figure whose target is ``value < limit``."""
    return Figure(name, value, unit, f"< {limit:g}", value < limit, detail)


def info(name: str, value: float, unit: str, **detail: float) -> Figure:
    """A figure reported without a target."""
    return Figure(name, value, unit, detail=detail)


def median(values: list[float]) -> float:
    """The median of ``values``."""
    return statistics.median(values)


def p95(values: list[float]) -> float:
    """The 95th percentile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]


def table(figures: list[Figure]) -> str:
    """The figures as a fixed-width table for the terminal and the README."""
    rows = [("figure", "value", "target", "")]
    for figure in figures:
        verdict = {True: "ok", False: "MISSED", None: ""}[figure.passed]
        rows.append(
            (figure.name, f"{figure.value:.2f} {figure.unit}", figure.target, verdict)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def write_json(figures: list[Figure], path: Path, settings: dict[str, object]) -> None:
    """Write the figures with the run's settings and the machine they ran on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "chatprint": bot.__version__,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": f"{platform.machine()} {platform.system()} {platform.release()}",
        "settings": settings,
        "figures": [asdict(figure) for figure in figures],
    }
    path.write_text(json.dumps(report, indent=2) + "\n")
