"""Routes of the simulated authorization server: authorize (consent) and token.

The authorize step follows RFC 6749 4.1: problems with the client or the
redirect URI are shown as a page (there is nowhere safe to redirect); every other
outcome goes back to ``redirect_uri`` with ``code`` or ``error`` and ``state``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web
from yarl import URL

from bot.epson.simulator.oauth import TokenRefused
from bot.epson.simulator.pages import consent_page, error_page
from bot.epson.simulator.printers import SimPrinter
from bot.epson.simulator.state import AUTHORIZE_OUTCOMES, STATE_KEY, SimState

logger = logging.getLogger(__name__)

CARRIED_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
)
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

routes = web.RouteTableDef()


class _PageRefusal(Exception):
    """The authorize request cannot be answered by a redirect."""


@routes.get("/auth/authorize")
async def authorize(request: web.Request) -> web.Response:
    """Show the consent page, or decide at once when told to."""
    state = request.app[STATE_KEY]
    fields = _carried(request.query)
    try:
        _check_client(state, fields)
    except _PageRefusal as exc:
        return _html(error_page(str(exc)), 400)
    problem = _request_problem(fields)
    if problem is not None:
        return _redirect(fields, {"error": problem})

    outcome = state.take_outcome() or (
        "approve" if state.settings.auto_approve else None
    )
    if outcome is None:
        page = consent_page(state.printers.values(), fields, state.settings.client_id)
        return _html(page, 200)
    return _decide(state, fields, outcome, None)


@routes.post("/auth/authorize")
async def decide(request: web.Request) -> web.Response:
    """Take the person's choice from the consent page."""
    state = request.app[STATE_KEY]
    form = await request.post()
    fields = _carried({k: v for k, v in form.items() if isinstance(v, str)})
    try:
        _check_client(state, fields)
    except _PageRefusal as exc:
        return _html(error_page(str(exc)), 400)
    problem = _request_problem(fields)
    if problem is not None:
        return _redirect(fields, {"error": problem})

    outcome = "approve" if form.get("decision") == "approve" else "access_denied"
    serial = form.get("serial")
    return _decide(state, fields, outcome, serial if isinstance(serial, str) else None)


@routes.post("/auth/token")
async def token(request: web.Request) -> web.Response:
    """Exchange a code, a refresh token or client credentials for tokens."""
    authority = request.app[STATE_KEY].tokens
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    try:
        authority.check_client(request.headers.get("Authorization"))
        body = authority.grant(fields)
    except TokenRefused as exc:
        logger.info("Token request refused: %s", exc.error)
        headers = dict(NO_STORE)
        if exc.status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="epson-connect-simulator"'
        return web.json_response(
            {"error": exc.error}, status=exc.status, headers=headers
        )
    return web.json_response(body, headers=NO_STORE)


def _decide(
    state: SimState, fields: Mapping[str, str], outcome: str, serial: str | None
) -> web.Response:
    if outcome in ("access_denied", "not_registered"):
        return _redirect(fields, {"error": outcome})
    chosen = outcome if outcome not in AUTHORIZE_OUTCOMES else serial
    printer = _printer(state, chosen)
    if printer is None or not printer.registered:
        return _redirect(fields, {"error": "not_registered"})
    code = state.tokens.issue_code(
        printer.serial, fields["redirect_uri"], fields.get("code_challenge") or None
    )
    return _redirect(fields, {"code": code})


def _printer(state: SimState, serial: str | None) -> SimPrinter | None:
    if serial is not None:
        return state.printers.get(serial)
    registered = [p for p in state.printers.values() if p.registered]
    return registered[0] if registered else None


def _carried(values: Mapping[str, str]) -> dict[str, str]:
    return {name: values[name] for name in CARRIED_FIELDS if name in values}


def _check_client(state: SimState, fields: Mapping[str, str]) -> None:
    if fields.get("client_id") != state.settings.client_id:
        raise _PageRefusal("Unknown application (client_id).")
    uri = URL(fields.get("redirect_uri", ""))
    if uri.scheme not in ("http", "https") or not uri.host:
        raise _PageRefusal("Missing or invalid redirect_uri.")


def _request_problem(fields: Mapping[str, str]) -> str | None:
    if fields.get("response_type") != "code":
        return "unsupported_response_type"
    if fields.get("scope", "device") != "device":
        return "invalid_scope"
    if "code_challenge" in fields and fields.get("code_challenge_method") != "S256":
        return "invalid_request"
    return None


def _redirect(fields: Mapping[str, str], answer: dict[str, str]) -> web.Response:
    if "state" in fields:
        answer["state"] = fields["state"]
    location = URL(fields["redirect_uri"]).update_query(answer)
    return web.Response(status=302, headers={"Location": str(location)})


def _html(page: str, status: int) -> web.Response:
    return web.Response(text=page, status=status, content_type="text/html")
