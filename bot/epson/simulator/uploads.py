"""The upload host's two paths: ``/data`` for jobs, ``/schedule_data`` for schedules.

Uploads carry no token: the ``Key`` in the URI is the credential. The two paths
answer with the status codes the spec declares for each, which differ:
``/schedule_data`` declares no 405, 409 or 415, so there a second file is "too
many files" (413) and an unsupported file or method is a bad request (400).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiohttp import web

from bot.epson.simulator.documents import (
    KIND_BY_EXTENSION,
    content_type_fits,
    file_name_extension,
)
from bot.epson.simulator.jobs import JobBook, SimJob
from bot.epson.simulator.state import STATE_KEY, UPLOAD_SIZE_KEY

logger = logging.getLogger(__name__)

CHUNK = 256 * 1024

routes = web.RouteTableDef()


@dataclass(frozen=True)
class _Statuses:
    conflict: int
    unsupported: int


DATA = _Statuses(conflict=409, unsupported=415)
SCHEDULE_DATA = _Statuses(conflict=413, unsupported=400)


@routes.post("/data")
async def upload_data(request: web.Request) -> web.Response:
    """Take the file of an immediate print job."""
    state = request.app[STATE_KEY]
    return await _upload(request, state.jobs, DATA)


@routes.route("*", "/schedule_data")
async def upload_schedule_data(request: web.Request) -> web.Response:
    """Take the file of a scheduled print job."""
    if request.method != "POST":
        return web.Response(status=400)
    state = request.app[STATE_KEY]
    return await _upload(request, state.schedules, SCHEDULE_DATA)


class _UploadRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


async def _upload(
    request: web.Request, book: JobBook, statuses: _Statuses
) -> web.Response:
    try:
        job, kind = _target(request, book, statuses)
        data = await _read_capped(request, request.app[STATE_KEY].settings.max_upload)
    except _UploadRefused as exc:
        return web.Response(status=exc.status)
    job.data, job.file_kind = data, kind
    logger.debug("Job %s received %s bytes of %s", job.job_id, len(data), kind)
    return web.Response(status=200)


def _target(
    request: web.Request, book: JobBook, statuses: _Statuses
) -> tuple[SimJob, str]:
    """Return the job the upload is for and the kind of file it declares."""
    key, file_name = request.query.get("Key", ""), request.query.get("File", "")
    if not key or not file_name:
        raise _UploadRefused(400)
    job = book.by_key(key)
    if job is None:
        raise _UploadRefused(404)
    extension = file_name_extension(file_name)
    if extension is None:
        raise _UploadRefused(400)
    if job.data is not None:
        raise _UploadRefused(statuses.conflict)
    kind = KIND_BY_EXTENSION.get(extension)
    if kind is None or not content_type_fits(request.content_type, kind):
        raise _UploadRefused(statuses.unsupported)
    return job, kind


async def _read_capped(request: web.Request, limit: int) -> bytes:
    """Return the body; refuse an empty one, and stop as soon as it passes ``limit``."""
    if (request.content_length or 0) > limit:
        request[UPLOAD_SIZE_KEY] = request.content_length or 0
        raise _UploadRefused(413)
    data = bytearray()
    async for chunk in request.content.iter_chunked(CHUNK):
        data.extend(chunk)
        request[UPLOAD_SIZE_KEY] = len(data)
        if len(data) > limit:
            raise _UploadRefused(413)
    if not data:
        raise _UploadRefused(400)
    return bytes(data)
