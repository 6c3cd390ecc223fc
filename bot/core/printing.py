"""Print requests: printing at once, the settings card, albums, buttons, reprint."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.convert import clean_filename
from bot.core.accounts import find_printer, handle_forget
from bot.core.approvals import APPROVE, DENY
from bot.core.chat import Attachment, Button, OutgoingMessage
from bot.core.commands import (
    ButtonCommand,
    CancelCommand,
    ForgetCommand,
    PrintCommand,
    ReprintCommand,
)
from bot.core.context import Request
from bot.core.events import Phase, StatusEvent
from bot.core.group_print import admit_request, record_group_job
from bot.core.job_commands import JobUnknown, find_job, handle_cancel
from bot.core.sharing import SharedPrinter, find_shared_printer
from bot.epson.errors import EpsonError
from bot.errors import ChatprintError
from bot.options import PrintOptions, parse_options, settings_card
from bot.schedule_time import resolve_print_time
from storage.records import JobRecord, NewJob, Printer, SourceFile

if TYPE_CHECKING:
    from bot.core.service import PrintService

logger = logging.getLogger(__name__)

MAX_ATTACHMENTS = 10


class PrinterBusy(ChatprintError):
    """The printer already has as many jobs in flight as the limit allows."""

    default_key = "printer.busy"


class NothingToPrint(ChatprintError):
    """A print command came without a file."""

    default_key = "print.no_file"


async def handle_print(
    service: PrintService, request: Request, command: PrintCommand
) -> list[OutgoingMessage]:
    """Record the request, then print it (or show the settings card first)."""
    if not command.attachments:
        raise NothingToPrint("print without a file")
    if len(command.attachments) > MAX_ATTACHMENTS:
        raise NothingToPrint(
            "too many files", key="print.too_many_files", limit=MAX_ATTACHMENTS
        )
    if await service.store.find_job_by_request(command.origin.event_id):
        logger.info(
            "Print event %s was seen before; ignoring it", command.origin.event_id
        )
        return []
    options = parse_options(command.options)
    shared = await find_shared_printer(service, request, options.printer or "")
    printer = (
        shared.printer
        if shared
        else await find_printer(service, request, options.printer or "")
    )
    defaults = PrintOptions.from_dict(
        await service.store.load_defaults(request.identity.id)
    )
    merged = options.merged_over(defaults)
    if shared is not None:
        merged = await admit_request(service, request, shared, merged)
    scheduled = _schedule(merged, service.config.scheduling.timezone)
    separate = command.combine is False
    sources = tuple(_source(a) for a in command.attachments)
    # A shared printer's requests skip the card: the owner's approval is the check.
    if shared is None and (
        command.ask or (len(sources) > 1 and command.combine is None)
    ):
        job = await _record(
            service, request, printer, merged, sources, "draft", scheduled
        )
        return [await _card(service, request, job, printer)]
    groups = [(s,) for s in sources] if separate else [sources]
    service.limiter.check(request.identity.id, count=len(groups))
    await _check_printer(service, printer, len(groups))
    for index, group in enumerate(groups):
        suffix = f"#{index}" if separate else ""
        new = _new_job(
            request, printer, merged.to_dict(), group, "received", scheduled, suffix
        )
        job = await (
            record_group_job(service, shared, new)
            if shared
            else service.store.add_job(new)
        )
        await _accept(
            service,
            job,
            command.attachments if not separate else (command.attachments[index],),
            printer=printer,
        )
    return []


async def handle_button(
    service: PrintService, request: Request, command: ButtonCommand
) -> list[OutgoingMessage]:
    """A press on a button the core sent: card settings, print, drop, cancel."""
    verb, _, rest = command.action.partition(":")
    if verb in (APPROVE, DENY) and rest.isdigit():
        return await service.approvals.decide(
            request, int(rest), approve=verb == APPROVE
        )
    if verb == "forget" and rest == "yes":
        return await handle_forget(
            service, request, ForgetCommand(command.origin, confirmed=True)
        )
    if verb == "cancel":
        return await handle_cancel(
            service, request, CancelCommand(command.origin, job=rest)
        )
    number, _, argument = rest.partition(":")
    job = await find_job(service, request, number, unfinished=True)
    if job.state != "draft":
        raise JobUnknown("card already used", key="print.card_used", job=job.id)
    if verb == "set":
        return await _set_option(service, request, job, argument)
    if verb == "go":
        await _go(service, request, job)
        return []
    if verb == "drop":
        await service.store.update_job(
            job.id, state="canceled", detail="dropped from card"
        )
        return [request.reply("print.dropped", file=job.file_name)]
    if verb == "combine":
        await _combine(service, request, job, together=argument == "one")
        return []
    raise JobUnknown(f"unknown button {verb!r}", key="print.card_used", job=job.id)


async def handle_reprint(
    service: PrintService, request: Request, command: ReprintCommand
) -> list[OutgoingMessage]:
    """Print a recent job again: Epson's copy first, a new upload if refused."""
    if await service.store.find_job_by_request(command.origin.event_id):
        return []
    source = await find_job(service, request, command.job, unfinished=False)
    shared = await find_shared_printer(service, request, "")
    if shared is not None:
        return await _reprint_shared(service, request, shared, source)
    printer = await find_printer(service, request, "")
    service.limiter.check(request.identity.id)
    job = await service.store.add_job(
        _new_job(
            request,
            printer,
            source.options,
            source.sources,
            "received",
            None,  # again means now, whenever the first print was scheduled for
        )
    )
    job = await _copy(service, source, job)
    await service.store.audit(
        request.identity.id, "reprint", f"job {source.id} as {job.id}"
    )
    await _accept(service, job, ())
    return []


async def _reprint_shared(
    service: PrintService, request: Request, shared: SharedPrinter, source: JobRecord
) -> list[OutgoingMessage]:
    # Never Epson's copy: the new job must pass the policy and the gate again.
    options = PrintOptions.from_dict(source.options)
    options = await admit_request(service, request, shared, options)
    service.limiter.check(request.identity.id)
    await _check_printer(service, shared.printer, 1)
    new = _new_job(
        request, shared.printer, options.to_dict(), source.sources, "received", None
    )
    job = await record_group_job(service, shared, new)
    await _accept(service, job, ())
    return []


async def _copy(service: PrintService, source: JobRecord, job: JobRecord) -> JobRecord:
    if source.state != "completed" or not source.epson_job_id or not source.printer_id:
        return job
    if source.scheduled_for is not None:
        return job  # its Epson id names a schedule, which copy_job does not know
    epson_id = source.epson_job_id
    name = f"#{job.id} {job.file_name}"[:256]
    try:
        copied = await service.tokens.call(
            source.printer_id,
            lambda t: service.client.copy_job(t, epson_id, job_name=name),
        )
    except EpsonError as exc:
        logger.info("Copy of job %s refused (%s); uploading again", source.id, exc.key)
        return job
    return await service.store.update_job(
        job.id,
        state="uploaded",
        epson_job_id=copied,
        print_mode=source.print_mode,
        settings=source.settings,
        pages=source.pages,
        copies=source.copies,
    )


def _source(attachment: Attachment) -> SourceFile:
    return SourceFile(
        name=clean_filename(attachment.name),
        ref=attachment.ref,
        size=attachment.size,
        is_photo=attachment.is_photo,
    )


def _schedule(options: PrintOptions, default_zone: str) -> datetime | None:
    if options.at is None:
        return None
    zone = options.timezone or default_zone
    return resolve_print_time(options.at, timezone=zone, now=datetime.now(UTC))


async def _check_printer(service: PrintService, printer: Printer, adding: int) -> None:
    active = await service.store.count_active_jobs(printer.id)
    limit = service.config.limits.jobs_per_printer
    if active + adding > limit:
        raise PrinterBusy(
            f"printer {printer.id} has {active} active jobs",
            printer=printer.name,
            minutes=max(1, active - limit + adding),
        )


def _new_job(
    request: Request,
    printer: Printer,
    options: dict[str, str],
    sources: Sequence[SourceFile],
    state: str,
    scheduled: datetime | None,
    suffix: str = "",
) -> NewJob:
    origin = request.origin
    names = [s.name for s in sources]
    return NewJob(
        request_key=origin.event_id + suffix,
        identity_id=request.identity.id,
        printer_id=printer.id,
        chat_id=origin.target.chat_id,
        platform=origin.target.platform,
        file_name=names[0] if len(names) == 1 else f"{names[0]} (+{len(names) - 1})",
        spool_path=None,
        print_mode="document",
        options=options,
        language=request.language,
        scheduled_for=scheduled,
        state=state,
        sources=tuple(sources),
        status_ref=origin.status_ref,
    )


async def _record(
    service: PrintService,
    request: Request,
    printer: Printer,
    options: PrintOptions,
    sources: Sequence[SourceFile],
    state: str,
    scheduled: datetime | None,
    suffix: str = "",
) -> JobRecord:
    new = _new_job(
        request, printer, options.to_dict(), sources, state, scheduled, suffix
    )
    return await service.store.add_job(new)


async def _accept(
    service: PrintService,
    job: JobRecord,
    attachments: Sequence[Attachment],
    *,
    printer: Printer | None = None,
) -> None:
    printer = printer or await service.store.load_printer(job.printer_id or 0)
    event = StatusEvent(
        job_id=job.id,
        phase=Phase.ACCEPTED,
        file_name=job.file_name,
        printer=printer.name if printer else "",
        cancellable=True,
    )
    # The job starts first: fetching the file need not wait for the chat to
    # show "accepted", which is still queued before any later status.
    service.runner.start_job(job.id, attachments, recorded=job)
    await service.reporter.publish(job, event)


async def _card(
    service: PrintService, request: Request, job: JobRecord, printer: Printer
) -> OutgoingMessage:
    options = PrintOptions.from_dict(job.options)
    lines = "\n".join(
        f"{label}: {value}" for label, value in settings_card(options, request.language)
    )
    if len(job.sources) > 1 and job.state == "draft":
        buttons = _album_buttons(request, job)
    else:
        buttons = await _card_buttons(service, request, job, printer, options)
    return request.reply(
        "print.card",
        buttons=buttons,
        file=job.file_name,
        printer=printer.name,
        options=lines or request.text("settings.none"),
    )


def _album_buttons(request: Request, job: JobRecord) -> tuple[Button, ...]:
    return (
        Button(request.text("button.album_one"), action=f"combine:{job.id}:one"),
        Button(request.text("button.album_each"), action=f"combine:{job.id}:each"),
        Button(request.text("button.cancel"), action=f"drop:{job.id}"),
    )


async def _card_buttons(
    service: PrintService,
    request: Request,
    job: JobRecord,
    printer: Printer,
    options: PrintOptions,
) -> tuple[Button, ...]:
    facts = await service.preparer.document_capability(printer)
    copies = options.copies or 1
    buttons = [
        Button(
            request.text("button.copies_more", copies=min(copies + 1, 99)),
            action=f"set:{job.id}:copies={min(copies + 1, 99)}",
        ),
    ]
    if copies > 1:
        buttons.append(
            Button(
                request.text("button.copies_fewer", copies=copies - 1),
                action=f"set:{job.id}:copies={copies - 1}",
            )
        )
    if facts is not None and facts.supports_color():
        mono = options.color_mode == "mono"
        buttons.append(
            Button(
                request.text("button.color" if mono else "button.mono"),
                action=f"set:{job.id}:color={'color' if mono else 'mono'}",
            )
        )
    if facts is not None and facts.supports_double_sided():
        duplex = options.double_sided in ("long", "short")
        buttons.append(
            Button(
                request.text("button.single" if duplex else "button.duplex"),
                action=f"set:{job.id}:duplex={'none' if duplex else 'long'}",
            )
        )
    buttons.append(Button(request.text("button.print"), action=f"go:{job.id}"))
    buttons.append(Button(request.text("button.cancel"), action=f"drop:{job.id}"))
    return tuple(buttons)


async def _set_option(
    service: PrintService, request: Request, job: JobRecord, argument: str
) -> list[OutgoingMessage]:
    change = parse_options(argument)
    options = change.merged_over(PrintOptions.from_dict(job.options))
    job = await service.store.update_job(job.id, options=options.to_dict())
    printer = await service.store.load_printer(
        job.printer_id or 0
    ) or await find_printer(service, request, "")
    return [await _card(service, request, job, printer)]


async def _go(service: PrintService, request: Request, job: JobRecord) -> None:
    service.limiter.check(request.identity.id)
    printer = await service.store.load_printer(job.printer_id or 0)
    if printer is not None:
        await _check_printer(service, printer, 1)
    # The card becomes the job's status message where the chat can edit it.
    job = await service.store.update_job(
        job.id,
        state="received",
        detail="confirmed on card",
        status_ref=request.origin.status_ref or job.status_ref,
    )
    await _accept(service, job, ())


async def _combine(
    service: PrintService, request: Request, job: JobRecord, *, together: bool
) -> None:
    if together:
        await _go(service, request, job)
        return
    service.limiter.check(request.identity.id, count=len(job.sources))
    first, *rest = job.sources
    head = await service.store.update_job(
        job.id,
        state="received",
        sources=(first,),
        file_name=first.name,
        status_ref=request.origin.status_ref or job.status_ref,
    )
    await _accept(service, head, ())
    printer = await service.store.load_printer(job.printer_id or 0)
    if printer is None:
        return
    for index, source in enumerate(rest, start=1):
        new = _new_job(
            request,
            printer,
            job.options,
            (source,),
            "received",
            job.scheduled_for,
            f"#{index}",
        )
        added = await service.store.add_job(new)
        await _accept(service, added, ())
