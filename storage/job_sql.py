"""The SQL for print jobs and their state history.

Each function runs inside a transaction or connection the caller holds. ``where``
arguments are fixed strings from ``storage/sqlite.py``, never user input; values
always travel as parameters.
"""

from __future__ import annotations

import aiosqlite

from storage.cipher import TokenCipher
from storage.connection import Params, fetch_one
from storage.errors import JobNotFound
from storage.records import FINISHED_JOB_STATES, JobRecord, NewJob
from storage.rows import (
    db_now,
    job_from_row,
    to_db_json,
    to_db_sources,
    to_db_time,
)

# Must read as the WHERE of the jobs_unfinished index, or SQLite will not use it.
UNFINISHED = "state NOT IN (" + ", ".join(f"'{s}'" for s in FINISHED_JOB_STATES) + ")"


async def select_job(
    db: aiosqlite.Connection, cipher: TokenCipher, job_id: int
) -> JobRecord:
    """Return a job.

    Raises:
        JobNotFound: No job has this id.
    """
    job = await find_job(db, cipher, "id = ?", (job_id,))
    if job is None:
        raise JobNotFound(f"job {job_id} does not exist")
    return job


async def find_job(
    db: aiosqlite.Connection, cipher: TokenCipher, where: str, params: Params
) -> JobRecord | None:
    """Return the first job matching ``where``, if any."""
    row = await fetch_one(db, f"SELECT * FROM jobs WHERE {where}", params)  # noqa: S608
    return None if row is None else job_from_row(row, cipher)


def insert_statement(job: NewJob) -> tuple[str, Params]:
    """The statement that records a new job unless its request is known already;
    it returns the new row, and nothing for a request recorded before. The
    insert trigger writes the job's first history entry."""
    now = db_now()
    scheduled = None if job.scheduled_for is None else to_db_time(job.scheduled_for)
    sql = (
        "INSERT INTO jobs (request_key, identity_id, printer_id, chat_id, platform,"
        " state, file_name, spool_path, print_mode, options, language,"
        " scheduled_for, sources, status_ref, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (request_key) DO NOTHING RETURNING *"
    )
    params = (
        job.request_key,
        job.identity_id,
        job.printer_id,
        job.chat_id,
        job.platform,
        job.state,
        job.file_name,
        job.spool_path,
        job.print_mode,
        to_db_json(job.options),
        job.language,
        scheduled,
        to_db_sources(job.sources),
        job.status_ref,
        now,
        now,
    )
    return sql, params


def update_statement(job_id: int, columns: dict[str, object]) -> tuple[str, Params]:
    """The statement that sets columns of a job and returns the changed row; the
    names must come from ``rows.encode_job_fields`` (or be ``state_detail``). The
    update trigger adds the history entry when the state changes."""
    assignments = ", ".join(f"{name} = ?" for name in columns)
    sql = f"UPDATE jobs SET {assignments} WHERE id = ? RETURNING *"  # noqa: S608
    return sql, (*columns.values(), job_id)
