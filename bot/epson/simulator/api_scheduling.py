"""API routes for scheduled printing: create, upload key, reserve, list, delete."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from bot.epson.simulator.api_printing import API, copied_fields, pages_of, settings_for
from bot.epson.simulator.bodies import (
    format_print_date_time,
    job_name,
    print_date_time,
    print_mode,
    read_object,
    text_field,
)
from bot.epson.simulator.errors import Refused
from bot.epson.simulator.jobs import SimJob, utc_now
from bot.epson.simulator.state import STATE_KEY, SimState

SCHEDULES = f"{API}/scheduling/schedules"
EARLIEST = timedelta(minutes=15)
LATEST = timedelta(days=14)
MAX_ID = 256
DELETABLE = frozenset({"preparing", "reserved"})

routes = web.RouteTableDef()


@routes.get(SCHEDULES)
async def list_schedules(request: web.Request) -> web.Response:
    """Answer the printer's reserved scheduled jobs, soonest first."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    reserved = [
        job
        for job in state.schedules.of_printer(printer.serial)
        if job.status == "reserved"
    ]
    reserved.sort(key=lambda job: job.print_at or job.created_at)
    return web.json_response({"schedules": [j.schedule_entry() for j in reserved]})


@routes.post(SCHEDULES)
async def create_schedule(request: web.Request) -> web.Response:
    """Create a scheduled job in ``preparing`` with its upload URI (201)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    body = await read_object(request)
    name, mode = job_name(body), print_mode(body)
    print_at = print_date_time(body.get("printDateTime"))
    settings = settings_for(printer, mode, body.get("printSettings"))

    job = state.schedules.create(printer.serial, name, mode, settings)
    job.print_at = print_at
    uri = state.upload_uri("schedule_data", job.upload_key)
    return web.json_response(
        {"scheduleJobId": job.job_id, "uploadUri": uri}, status=201
    )


@routes.post(f"{SCHEDULES}/copy")
async def copy_schedule(request: web.Request) -> web.Response:
    """Create a scheduled job from another one, in ``preparing`` (201)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    body = await read_object(request)
    source_id = text_field(body, "fromScheduleJobId", 1, MAX_ID)
    source = state.schedules.get_live(source_id, printer.serial)
    print_at = source.print_at
    if "printDateTime" in body:
        print_at = print_date_time(body["printDateTime"])
    name, settings = copied_fields(printer, source, body)

    job = state.schedules.create(printer.serial, name, source.print_mode, settings)
    job.print_at, job.data, job.file_kind = print_at, source.data, source.file_kind
    return web.json_response({"scheduleJobId": job.job_id}, status=201)


@routes.post(SCHEDULES + "/{scheduleJobId}/reserve")
async def reserve_schedule(request: web.Request) -> web.Response:
    """Commit a scheduled job whose file is uploaded (202)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    job = state.schedules.get_live(request.match_info["scheduleJobId"], printer.serial)
    if job.status != "preparing":
        raise Refused(403, "command_not_allowed")
    job.pages = pages_of(job)
    _check_reservable(state, job)

    job.move("reserved")
    return web.Response(status=202)


@routes.delete(SCHEDULES + "/{scheduleJobId}")
async def delete_schedule(request: web.Request) -> web.Response:
    """Delete a scheduled job that has not come due (204)."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    job = state.schedules.get(request.match_info["scheduleJobId"], printer.serial)
    due = job.print_at is not None and job.print_at <= utc_now()
    if job.status not in DELETABLE or due:
        raise Refused(403, "command_not_allowed")
    state.schedules.remove(job)
    return web.Response(status=204)


@routes.get(SCHEDULES + "/{scheduleJobId}")
async def schedule_info(request: web.Request) -> web.Response:
    """Answer a scheduled job's status, name and pages."""
    state = request.app[STATE_KEY]
    printer = state.device(request)
    job = state.schedules.get(request.match_info["scheduleJobId"], printer.serial)
    return web.json_response(job.info())


def _check_reservable(state: SimState, job: SimJob) -> None:
    now = utc_now()
    if job.print_at is None or not now + EARLIEST <= job.print_at <= now + LATEST:
        raise Refused(403, "command_not_allowed")
    reserved = [
        other
        for other in state.schedules.of_printer(job.serial)
        if other.status == "reserved"
    ]
    if len(reserved) >= state.settings.schedule_limit:
        raise Refused(403, "schedule_limit_exceeded")


def quarter_hours_ahead(quarters: int) -> str:
    """Return a ``printDateTime`` ``quarters`` quarter hours after the next one."""
    now = utc_now().replace(second=0)
    start = now - timedelta(minutes=now.minute % 15) + timedelta(minutes=15)
    return format_print_date_time(start + timedelta(minutes=15 * quarters))
