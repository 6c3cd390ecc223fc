"""API routes for printing: notification setting, device, capability and jobs."""

from __future__ import annotations

import logging

from aiohttp import web

from bot.epson.simulator.bodies import (
    full_settings,
    invalid_resource,
    job_name,
    merged_settings,
    print_mode,
    read_object,
    text_field,
)
from bot.epson.simulator.documents import UnreadableDocument, printable_pages
from bot.epson.simulator.errors import Refused
from bot.epson.simulator.jobs import SimJob
from bot.epson.simulator.printers import SimPrinter
from bot.epson.simulator.shapes import PrintSettingsWire
from bot.epson.simulator.state import STATE_KEY

logger = logging.getLogger(__name__)

API = "/api/2"
NOTIFICATION_PATH = f"{API}/printing/settings/notification"
MIN_CALLBACK, MAX_CALLBACK = 11, 2048
MAX_ID = 256

routes = web.RouteTableDef()


@routes.get(NOTIFICATION_PATH)
async def get_notification(request: web.Request) -> web.Response:
    """Answer the application's notification setting."""
    return web.json_response(request.app[STATE_KEY].notifier.setting)


@routes.post(NOTIFICATION_PATH)
async def set_notification(request: web.Request) -> web.Response:
    """Store the application's notification setting (204)."""
    notifier = request.app[STATE_KEY].notifier
    body = await read_object(request)
    notification = body.get("notification")
    if not isinstance(notification, bool):
        raise invalid_resource()
    uri = notifier.setting["callbackUri"]
    if "callbackUri" in body:
        uri = text_field(body, "callbackUri", MIN_CALLBACK, MAX_CALLBACK)
    if notification and not uri.startswith(("http://", "https://")):
        raise invalid_resource()
    notifier.configure(notification, uri)
    return web.Response(status=204)


@routes.get(f"{API}/printing/devices/info")
async def device_info(request: web.Request) -> web.Response:
    """Answer what the linked printer is and whether it is connected."""
    return web.json_response(request.app[STATE_KEY].device(request).device_info())


# Registered before {printMode}: "default" is a literal that the template matches.
@routes.get(f"{API}/printing/capability/default")
async def default_settings(request: web.Request) -> web.Response:
    """Answer the printer's default print settings."""
    printer = request.app[STATE_KEY].device(request)
    return web.json_response({"printSettings": printer.default_settings()})


@routes.get(API + "/printing/capability/{printMode}")
async def capability(request: web.Request) -> web.Response:
    """Answer what the printer can print in one print mode."""
    printer = request.app[STATE_KEY].device(request)
    mode = print_mode({"printMode": request.match_info["printMode"]})
    return web.json_response(printer.capability(mode).to_wire())


@routes.post(f"{API}/printing/jobs")
async def create_job(request: web.Request) -> web.Response:
    """Create a job in ``preparing`` and hand out its upload URI (201)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    body = await read_object(request)
    name, mode = job_name(body), print_mode(body)
    settings = settings_for(printer, mode, body.get("printSettings"))

    job = state.jobs.create(printer.serial, name, mode, settings)
    state.engine.expire_later(job)
    uri = state.upload_uri("data", job.upload_key)
    return web.json_response({"jobId": job.job_id, "uploadUri": uri}, status=201)


@routes.post(f"{API}/printing/jobs/copy")
async def copy_job(request: web.Request) -> web.Response:
    """Create a job from another one's file and settings (201)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    body = await read_object(request)
    source = state.jobs.get_live(
        text_field(body, "fromJobId", 1, MAX_ID), printer.serial
    )
    name, settings = copied_fields(printer, source, body)

    job = state.jobs.create(printer.serial, name, source.print_mode, settings)
    job.data, job.file_kind = source.data, source.file_kind
    state.engine.expire_later(job)
    return web.json_response({"jobId": job.job_id}, status=201)


@routes.post(API + "/printing/jobs/{jobId}/print")
async def print_job(request: web.Request) -> web.Response:
    """Send an uploaded job to the printer (202)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    job = state.jobs.get_live(request.match_info["jobId"], printer.serial)
    if job.status != "preparing":
        raise Refused(403, "operation_not_allowed")
    job.pages = pages_of(job)
    waiting = state.engine.waiting(state.jobs.of_printer(printer.serial))
    if waiting >= state.settings.job_limit:
        raise Refused(403, "job_limit_exceeded")

    state.engine.start(job)
    return web.Response(status=202)


@routes.post(API + "/printing/jobs/{jobId}/cancel")
async def cancel_job(request: web.Request) -> web.Response:
    """Cancel a job that has not started printing (204)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    job = state.jobs.get(request.match_info["jobId"], printer.serial)
    state.engine.cancel(job)
    return web.Response(status=204)


@routes.get(API + "/printing/jobs/{jobId}")
async def job_info(request: web.Request) -> web.Response:
    """Answer a job's status, name and pages."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    job = state.jobs.get(request.match_info["jobId"], printer.serial)
    return web.json_response(job.info())


def settings_for(printer: SimPrinter, mode: str, value: object) -> PrintSettingsWire:
    """Return a create body's settings (or the defaults) if the printer can."""
    if value is None:
        return printer.default_settings(mode)
    settings = full_settings(value)
    printer.check_settings(mode, settings)
    return settings


def copied_fields(
    printer: SimPrinter, source: SimJob, body: dict[str, object]
) -> tuple[str, PrintSettingsWire]:
    """Return the name and settings of a copy, refusing a source with no file."""
    name = job_name(body) if "jobName" in body else source.job_name
    if source.data is None:
        raise Refused(400, "invalid_print_data")
    settings = merged_settings(source.settings, body.get("printSettings"))
    printer.check_settings(source.print_mode, settings)
    return name, settings


def pages_of(job: SimJob) -> int:
    """Return the pages of the job's file, refusing with ``invalid_print_data``."""
    try:
        return printable_pages(job.data, job.file_kind, job.print_mode)
    except UnreadableDocument as exc:
        logger.info("Job %s has no printable file: %s", job.job_id, exc)
        raise Refused(400, "invalid_print_data") from exc
