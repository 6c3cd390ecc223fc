"""``chatprint demo`` run as a person would: a subprocess fed commands on stdin."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from bot.catalogue import render
from bot.convert import count_pages
from bot.epson.simulator import SimulatorSettings
from bot.epson.simulator.printers import default_printers
from bot.secret import Secret
from storage.cipher import TokenCipher
from storage.sqlite import open_store

PRINTER = next(p for p in default_printers().values() if p.registered).product_name
RUN_SECONDS = 60
# The demo would start a warm LibreOffice, which takes seconds to start and stop;
# none of these files needs it, so the tests name a binary that does not exist.
NO_OFFICE = {"CHATPRINT_CONVERSION_LIBREOFFICE": "chatprint-tests-no-libreoffice"}


def demo_env(tmp_path: Path, *, office: bool = False) -> dict[str, str]:
    """English sentences, and a private temp folder to check for leftovers."""
    temp = tmp_path / "tmp"
    temp.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TMPDIR": str(temp),
    }
    env.pop("LC_MESSAGES", None)
    return env if office else {**env, **NO_OFFICE}


def run_demo(
    tmp_path: Path, commands: str, *args: str, office: bool = False
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        input=commands,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=demo_env(tmp_path, office=office),
        timeout=RUN_SECONDS,
        check=False,
    )


def write_pdf(path: Path, pages: int) -> Path:
    pdf = FPDF()
    pdf.set_font("helvetica", size=24)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"Page {number}")
    pdf.output(str(path))
    return path


def note(output: Path, stem: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((output / f"{stem}.json").read_text())
    return loaded


def linked_line() -> str:
    return render("link.done", "en", printer=PRINTER)


def completed_line(file: str, pages: int) -> str:
    return render("job.completed", "en", file=file, printer=PRINTER, pages=pages)


def test_demo_prints_a_pdf_with_copies_and_pages_and_saves_it(tmp_path: Path) -> None:
    write_pdf(tmp_path / "report.pdf", pages=4)

    result = run_demo(tmp_path, "/link\n/print report.pdf copies=2 pages=2-3\n")

    assert result.returncode == 0, result.stdout + result.stderr
    output = tmp_path / "chatprint-demo-output"
    assert count_pages(output / "job1-report.pdf") == 2
    assert (output / "job1-report-page1.png").stat().st_size > 0
    assert note(output, "job1-report")["copies"] == 2
    assert note(output, "job1-report")["totalPages"] == 4
    assert linked_line() in result.stdout
    assert completed_line("report.pdf", 4) in result.stdout
    assert "chatprint-demo-output/job1-report.pdf" in result.stdout


def test_demo_prints_a_photo(tmp_path: Path) -> None:
    Image.new("RGB", (640, 480), (200, 80, 40)).save(tmp_path / "cat.jpg", "JPEG")

    result = run_demo(tmp_path, "/link\n/print cat.jpg\n")

    assert result.returncode == 0, result.stdout + result.stderr
    output = tmp_path / "chatprint-demo-output"
    printed = [p.name for p in output.iterdir() if p.stem == "job1-cat"]
    assert sorted(printed) == ["job1-cat.jpg", "job1-cat.json"]
    with Image.open(output / "job1-cat-page1.png") as preview:
        assert preview.format == "PNG"
    assert note(output, "job1-cat")["pages"] == 1
    assert completed_line("cat.jpg", 1) in result.stdout


def test_demo_prints_a_text_file_as_a_document(tmp_path: Path) -> None:
    lines = "\n".join(f"line {n}" for n in range(1, 121))
    (tmp_path / "notes.txt").write_text(lines, encoding="utf-8")

    result = run_demo(tmp_path, "/link\n/print notes.txt\n")

    assert result.returncode == 0, result.stdout + result.stderr
    output = tmp_path / "chatprint-demo-output"
    pages = count_pages(output / "job1-notes.pdf")
    assert pages >= 2
    assert note(output, "job1-notes")["pages"] == pages
    assert (output / "job1-notes-page1.png").exists()
    assert completed_line("notes.txt", pages) in result.stdout


def test_demo_sample_links_and_prints_the_shipped_file(tmp_path: Path) -> None:
    result = run_demo(tmp_path, "", "--sample", "--output", "out", office=True)

    assert result.returncode == 0, result.stdout + result.stderr
    assert count_pages(tmp_path / "out" / "job1-hello.pdf") == 1
    assert (tmp_path / "out" / "job1-hello-page1.png").exists()
    assert linked_line() in result.stdout
    assert completed_line("hello.pdf", 1) in result.stdout
    assert list((tmp_path / "tmp").iterdir()) == []


def test_demo_reports_bad_files_and_exits_non_zero(tmp_path: Path) -> None:
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "noise.pdf").write_bytes(os.urandom(4096))
    commands = "/link\n/print empty.pdf\n/print noise.pdf\n/print missing.pdf\n"

    result = run_demo(tmp_path, commands)

    assert result.returncode == 1
    failed = render("job.failed", "en", file="{}", reason="").format
    assert failed("empty.pdf") + render("intake.empty", "en") in result.stdout
    assert failed("noise.pdf") in result.stdout
    missing = render("console.file_missing", "en", path=tmp_path / "missing.pdf")
    assert missing in result.stdout
    assert not (tmp_path / "chatprint-demo-output").exists()


def test_demo_with_no_printer_linked_refuses_the_print(tmp_path: Path) -> None:
    write_pdf(tmp_path / "a.pdf", pages=1)

    result = run_demo(tmp_path, "/print a.pdf\n")

    assert result.returncode == 1
    assert render("demo.not_all_printed", "en") in result.stdout


@pytest.mark.slow
def test_interrupted_job_leaves_no_temp_files_and_is_reported_next_run(
    tmp_path: Path,
) -> None:
    write_pdf(tmp_path / "long.pdf", pages=1)
    waiting = render("job.waiting", "en", file="long.pdf", printer=PRINTER)

    first = interrupt_demo_at(tmp_path, "/link\n/print long.pdf\n", waiting)

    assert first.returncode == 130, first.stdout + first.stderr
    assert render("demo.stopped", "en") in first.stdout
    assert list((tmp_path / "tmp").iterdir()) == []
    spool = tmp_path / "chatprint-demo-data" / "spool"
    assert [p.name for p in spool.iterdir()] == ["1.pdf"]

    second = run_demo(tmp_path, "/jobs\n")

    final = render("job.expired", "en", file="long.pdf")
    assert final in second.stdout or completed_line("long.pdf", 1) in second.stdout
    assert second.returncode == (0 if final not in second.stdout else 1)
    assert list(spool.iterdir()) == []
    assert list((tmp_path / "tmp").iterdir()) == []


def interrupt_demo_at(
    tmp_path: Path, commands: str, marker: str
) -> subprocess.CompletedProcess[str]:
    """Run the demo with a slow printer and press Ctrl-C once ``marker`` shows."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "demo", "--print-seconds", "30"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=demo_env(tmp_path),
    )
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(commands)
    process.stdin.flush()
    seen = read_until(process.stdout, marker, deadline=time.monotonic() + RUN_SECONDS)
    process.send_signal(signal.SIGINT)
    rest, errors = process.communicate(timeout=RUN_SECONDS)
    return subprocess.CompletedProcess(
        process.args, process.returncode, seen + rest, errors
    )


def read_until(stream: object, marker: str, *, deadline: float) -> str:
    seen = ""
    assert hasattr(stream, "readline")
    while marker not in seen and time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen += line
    assert marker in seen, seen
    return seen


async def test_demo_keeps_its_key_private_and_logs_no_secret_at_debug(
    tmp_path: Path,
) -> None:
    write_pdf(tmp_path / "a.pdf", pages=1)

    result = run_demo(tmp_path, "/link\n/print a.pdf\n", "--log-level", "DEBUG")

    assert result.returncode == 0, result.stdout + result.stderr
    data = tmp_path / "chatprint-demo-data"
    key = Secret((data / "secret.key").read_text().strip())
    async with await open_store(data / "chatprint.db", TokenCipher(key)) as store:
        identity = await store.find_identity("console", "local")
        assert identity is not None
        (printer,) = await store.load_printers(identity.id)
    settings = SimulatorSettings()
    secrets = [
        key.reveal(),
        settings.client_secret,
        settings.api_key,
        printer.tokens.access_token.reveal(),
        printer.tokens.refresh_token.reveal(),
    ]
    transcript = result.stdout + result.stderr
    assert "DEBUG" in result.stderr
    assert (data / "secret.key").stat().st_mode & 0o777 == 0o600
    assert data.stat().st_mode & 0o777 == 0o700
    assert [s for s in secrets if s in transcript] == []
