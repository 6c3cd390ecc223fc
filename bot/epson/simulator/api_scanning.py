"""API routes for scan destinations: list, register, update and delete."""

from __future__ import annotations

import re

from aiohttp import web

from bot.epson.simulator.api_printing import API
from bot.epson.simulator.bodies import invalid_resource, read_object, text_field
from bot.epson.simulator.errors import Refused
from bot.epson.simulator.jobs import new_id
from bot.epson.simulator.printers import SimPrinter
from bot.epson.simulator.shapes import DESTINATION_SERVICES, DestinationWire
from bot.epson.simulator.state import STATE_KEY

DESTINATIONS = f"{API}/scanning/destinations"
MIN_ALIAS, MAX_ALIAS = 1, 20
MIN_DESTINATION, MAX_DESTINATION = 4, 544
_MAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")

routes = web.RouteTableDef()


@routes.get(DESTINATIONS)
async def list_destinations(request: web.Request) -> web.Response:
    """Answer the printer's scan destinations."""
    printer = _scanner(request)
    return web.json_response({"destinations": list(printer.destinations.values())})


@routes.post(DESTINATIONS)
async def add_destination(request: web.Request) -> web.Response:
    """Register a scan destination (201)."""
    printer = _scanner(request)
    body = await read_object(request)
    service = body.get("destinationService")
    if not isinstance(service, str) or service not in DESTINATION_SERVICES:
        raise invalid_resource()
    alias, destination = _alias(printer, body), _destination(service, body)
    _check_unique(printer, alias, None)
    limit = request.app[STATE_KEY].settings.destination_limit
    if len(printer.destinations) >= limit:
        raise Refused(403, "destination_limit_exceeded")

    destination_id = new_id()
    printer.destinations[destination_id] = {
        "destinationId": destination_id,
        "aliasName": alias,
        "destinationService": service,
        "destination": destination,
    }
    return web.json_response({"destinationId": destination_id}, status=201)


@routes.put(DESTINATIONS + "/{destinationId}")
async def update_destination(request: web.Request) -> web.Response:
    """Change a destination's alias and address; its service stays (204)."""
    printer = _scanner(request)
    entry = _entry(printer, request.match_info["destinationId"])
    body = await read_object(request)
    alias = _alias(printer, body)
    destination = _destination(entry["destinationService"], body)
    _check_unique(printer, alias, entry["destinationId"])

    entry["aliasName"], entry["destination"] = alias, destination
    return web.Response(status=204)


@routes.delete(DESTINATIONS + "/{destinationId}")
async def delete_destination(request: web.Request) -> web.Response:
    """Remove a scan destination (204)."""
    printer = _scanner(request)
    entry = _entry(printer, request.match_info["destinationId"])
    del printer.destinations[entry["destinationId"]]
    return web.Response(status=204)


def _scanner(request: web.Request) -> SimPrinter:
    printer = request.app[STATE_KEY].device(request)
    if not printer.scanner:
        raise Refused(400, "not_supported")
    return printer


def _entry(printer: SimPrinter, destination_id: str) -> DestinationWire:
    entry = printer.destinations.get(destination_id)
    if entry is None:
        raise Refused(404, "destination_not_found")
    return entry


def _alias(printer: SimPrinter, body: dict[str, object]) -> str:
    alias = text_field(body, "aliasName", MIN_ALIAS, MAX_ALIAS)
    # Panels without multibyte display show ASCII names only.
    if not printer.multibyte_display and not alias.isascii():
        raise invalid_resource()
    return alias


def _destination(service: str, body: dict[str, object]) -> str:
    destination = text_field(body, "destination", MIN_DESTINATION, MAX_DESTINATION)
    if service == "mail" and not _MAIL.fullmatch(destination):
        raise invalid_resource()
    if service == "url" and not destination.startswith(("http://", "https://")):
        raise invalid_resource()
    return destination


def _check_unique(printer: SimPrinter, alias: str, own_id: str | None) -> None:
    for entry in printer.destinations.values():
        if entry["aliasName"] == alias and entry["destinationId"] != own_id:
            raise Refused(400, "duplicate_alias_name")
