"""Commands about the user and their printers: start, help, link, unlink, printers,
settings, forget."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot.core.chat import Button, OutgoingMessage
from bot.core.commands import (
    ForgetCommand,
    HelpCommand,
    LinkCommand,
    PrintersCommand,
    SettingsCommand,
    StartCommand,
    UnlinkCommand,
)
from bot.core.context import Request
from bot.errors import ChatprintError
from bot.options import PrintOptions, parse_options
from storage.records import LinkState, Printer

if TYPE_CHECKING:
    from bot.core.service import PrintService

logger = logging.getLogger(__name__)


class PrinterUnknown(ChatprintError):
    """No linked printer of this user has the given name."""

    default_key = "printer.unknown"


async def handle_start(
    service: PrintService, request: Request, command: StartCommand
) -> list[OutgoingMessage]:
    """Greet, or confirm a link when coming back from the Epson page."""
    printers = await service.store.load_printers(request.identity.id)
    if command.payload == "linked" and printers:
        return [request.reply("link.done", printer=_default(printers).name)]
    return [request.reply("command.welcome"), request.reply("command.help")]


async def handle_help(
    service: PrintService, request: Request, command: HelpCommand
) -> list[OutgoingMessage]:
    """List the commands and print options."""
    return [request.reply("command.help", private=True)]


async def handle_link(
    service: PrintService, request: Request, command: LinkCommand
) -> list[OutgoingMessage]:
    """Send the Epson sign-in link, valid for ten minutes, to this user only."""
    origin = command.origin
    url = service.linker.start(origin.sender, origin.target, request.language)
    button = Button(request.text("button.link"), url=url)
    return [request.reply("link.prompt", private=True, buttons=(button,))]


async def handle_unlink(
    service: PrintService, request: Request, command: UnlinkCommand
) -> list[OutgoingMessage]:
    """Delete a printer and its tokens, as Epson asks when a user leaves."""
    printer = await find_printer(service, request, command.printer)
    await service.store.delete_printer(printer.id)
    service.preparer.forget(printer.id)
    await service.store.audit(request.identity.id, "unlink", f"printer {printer.id}")
    logger.info("Printer %s unlinked by identity %s", printer.id, request.identity.id)
    return [request.reply("link.unlinked", private=True, printer=printer.name)]


async def handle_forget(
    service: PrintService, request: Request, command: ForgetCommand
) -> list[OutgoingMessage]:
    """Delete everything stored about the user, after they confirm."""
    if not command.confirmed:
        yes = Button(request.text("button.forget_confirm"), action="forget:yes")
        return [request.reply("forget.confirm", private=True, buttons=(yes,))]
    for job in await service.store.load_unfinished_jobs():
        if job.identity_id == request.identity.id:
            await service.runner.cancel(job)
    await service.store.forget_identity(request.identity.id)
    logger.info("Identity %s forgotten at their request", request.identity.id)
    return [request.reply("forget.done", private=True)]


async def handle_printers(
    service: PrintService, request: Request, command: PrintersCommand
) -> list[OutgoingMessage]:
    """List printers, or change the default (``default NAME``) or a name."""
    verb, _, rest = command.argument.partition(" ")
    if verb.lower() == "default" and rest:
        printer = await find_printer(service, request, rest)
        await service.store.set_default_printer(request.identity.id, printer.id)
        return [
            request.reply("printers.default_set", private=True, printer=printer.name)
        ]
    if verb.lower() == "rename" and rest:
        old, _, new = rest.strip().rpartition(" ")
        printer = await find_printer(service, request, old)
        await service.store.rename_printer(request.identity.id, printer.id, new.strip())
        return [request.reply("printers.renamed", private=True, printer=new.strip())]
    printers = await service.store.load_printers(request.identity.id)
    if not printers:
        return [request.reply("link.not_linked", private=True)]
    lines = [_printer_line(request, p) for p in printers]
    return [request.reply("printers.list", private=True, printers="\n".join(lines))]


async def handle_settings(
    service: PrintService, request: Request, command: SettingsCommand
) -> list[OutgoingMessage]:
    """Show or save the user's default print options."""
    store = service.store
    if command.options.strip().lower() in ("reset", "clear"):
        await store.save_defaults(request.identity.id, {})
        return [request.reply("settings.cleared", private=True)]
    if command.options.strip():
        options = parse_options(command.options)
        await store.save_defaults(request.identity.id, options.to_dict())
        return [
            request.reply("settings.saved", private=True, options=options.describe())
        ]
    saved = PrintOptions.from_dict(await store.load_defaults(request.identity.id))
    text = saved.describe() or request.text("settings.none")
    return [request.reply("settings.current", private=True, options=text)]


async def find_printer(service: PrintService, request: Request, name: str) -> Printer:
    """The user's printer called ``name``, or their default printer if empty.

    Raises:
        NotLinked: The user has no printer.
        PrinterUnknown: No printer of that name.
    """
    printers = await service.store.load_printers(request.identity.id)
    if not printers:
        raise NotLinked("no printer linked")
    if not name.strip():
        return _default(printers)
    wanted = name.strip().casefold()
    for printer in printers:
        if printer.name.casefold() == wanted:
            return printer
    names = ", ".join(p.name for p in printers)
    raise PrinterUnknown(
        f"no printer named {name!r}", printer=name.strip(), names=names
    )


class NotLinked(ChatprintError):
    """The user has not linked a printer yet."""

    default_key = "link.not_linked"


def _default(printers: list[Printer]) -> Printer:
    return next((p for p in printers if p.is_default), printers[0])


def _printer_line(request: Request, printer: Printer) -> str:
    key = (
        "printers.line_broken" if printer.state is LinkState.BROKEN else "printers.line"
    )
    if printer.is_default and printer.state is LinkState.ACTIVE:
        key = "printers.line_default"
    return request.text(key, printer=printer.name, product=printer.product_name)
