"""The output folder: each printed file, with a JSON note of how it was printed."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

from bot.epson.simulator.documents import EXTENSION_BY_KIND
from bot.epson.simulator.jobs import SimJob

logger = logging.getLogger(__name__)

MAX_NAME = 60
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(job_name: str) -> str:
    """Return ``job_name`` reduced to characters every file system accepts."""
    cleaned = _UNSAFE.sub("_", job_name).strip("._")
    return cleaned[:MAX_NAME] or "job"


def output_path(output_dir: Path, job: SimJob) -> Path:
    """Return where the file of ``job`` lands: ``<job id>-<safe name>.<ext>``."""
    extension = EXTENSION_BY_KIND.get(job.file_kind or "", "bin")
    return output_dir / f"{job.job_id}-{safe_name(job.job_name)}.{extension}"


def write_output(output_dir: Path, job: SimJob, product_name: str) -> Path:
    """Write the job's file and its JSON note into ``output_dir``.

    Returns:
        The path of the file written.
    """
    path = output_path(output_dir, job)
    output_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(job.data or b"")
    note = json.dumps(_note(job, product_name), indent=2, ensure_ascii=False)
    path.with_suffix(".json").write_text(note + "\n", encoding="utf-8")
    logger.info("Job %s printed to %s", job.job_id, path)
    return path


def _note(job: SimJob, product_name: str) -> dict[str, object]:
    copies = job.settings["copies"]
    return {
        "jobId": job.job_id,
        "jobName": job.job_name,
        "type": job.kind,
        "printMode": job.print_mode,
        "printSettings": dict(job.settings),
        "pages": job.pages,
        "copies": copies,
        "totalPages": job.pages * copies,
        "serialNumber": job.serial,
        "productName": product_name,
        "createdAt": job.created_at.isoformat(),
        "printedAt": (job.started_at or job.updated_at).isoformat(),
    }
