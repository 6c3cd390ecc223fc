"""Every sentence the code can ask for exists, in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import catalogue
from bot.core.events import Phase, StatusEvent
from bot.core.jobs import ACTIVE_AT_EPSON, FINAL_STATES, IDLE_STATES
from bot.core.status import status_text
from bot.epson.models import JobStatus

ROOT = Path(__file__).resolve().parents[1]
_LITERAL_KEY = re.compile(
    r"""(?:default_key\s*=|\bkey=)\s*"([a-z_]+(?:\.[a-z_]+)+)\""""
)
CAPABILITY_REASONS = (
    "color_mode",
    "paper_size",
    "paper_type",
    "borderless",
    "paper_source",
    "print_quality",
    "double_sided",
)


def _keys_in_code() -> set[str]:
    found: set[str] = set()
    for package in ("bot", "adapters", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            found.update(_LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_literal_key_in_the_code_is_in_the_catalogue() -> None:
    keys = _keys_in_code()

    missing = sorted(k for k in keys if not catalogue.has_key(k))

    assert len(keys) > 40
    assert missing == []


@pytest.mark.parametrize("language", catalogue.LANGUAGES)
@pytest.mark.parametrize("phase", [p for p in Phase if p is not Phase.PAUSED])
def test_every_status_event_renders(phase: Phase, language: str) -> None:
    event = StatusEvent(
        7,
        phase,
        "plan.pdf",
        "Office",
        reason="epson.job_error",
        pages=3,
        params={"when": "2026-12-24 09:00"},
    )

    text = status_text(event, language)

    assert "plan.pdf" in text or "Office" in text
    assert "?" not in text.replace("？", "")


@pytest.mark.parametrize("language", catalogue.LANGUAGES)
@pytest.mark.parametrize("status", [s for s in JobStatus if s.is_paused])
def test_every_pause_reason_renders(status: JobStatus, language: str) -> None:
    event = StatusEvent(7, Phase.PAUSED, "plan.pdf", "Office", reason=status.value)

    text = status_text(event, language)

    assert catalogue.has_key(f"job.paused.{status.value}")
    assert "Office" in text


@pytest.mark.parametrize(
    "state",
    sorted(FINAL_STATES | IDLE_STATES | ACTIVE_AT_EPSON | {"received", "prepared"}),
)
def test_every_job_state_has_a_line(state: str) -> None:
    assert catalogue.has_key(f"jobs.state.{state}")


@pytest.mark.parametrize("reason", CAPABILITY_REASONS)
def test_every_capability_refusal_has_a_sentence(reason: str) -> None:
    for language in catalogue.LANGUAGES:
        text = catalogue.render(
            f"settings.unsupported.{reason}", language, printer="P", choices="a4"
        )
        assert "P" in text
