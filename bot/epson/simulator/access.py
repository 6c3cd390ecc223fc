"""Who may call the API: the ``x-api-key`` and the right kind of bearer token."""

from __future__ import annotations

import hmac
import logging

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.epson.simulator.api_printing import API, NOTIFICATION_PATH
from bot.epson.simulator.errors import Refused
from bot.epson.simulator.state import SERIAL_KEY, STATE_KEY

logger = logging.getLogger(__name__)


@web.middleware
async def require_credentials(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Refuse an API call without the API key or a live token with 401.

    The notification setting takes an application token; everything else takes
    a device token, whose printer the handlers then act on.
    """
    if not request.path.startswith(API + "/"):
        return await handler(request)
    state = request.app[STATE_KEY]
    api_key = request.headers.get("x-api-key", "")
    if not hmac.compare_digest(api_key, state.settings.api_key):
        raise Refused(401, "unauthorized")
    token = _bearer(request)
    if request.path == NOTIFICATION_PATH:
        if not state.tokens.is_application_token(token):
            raise Refused(401, "unauthorized")
    else:
        request[SERIAL_KEY] = _device_serial(state.tokens.device_serial(token))
    return await handler(request)


def _bearer(request: web.Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _device_serial(serial: str | None) -> str:
    if serial is None:
        raise Refused(401, "unauthorized")
    return serial


@web.middleware
async def answer_refusals(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn a ``Refused`` raised below into its JSON error response.

    Any other error in a handler is a simulator bug; it is logged and answered
    the way Epson answers its own: 500 ``internal_server_error``.
    """
    try:
        return await handler(request)
    except Refused as exc:
        return exc.to_response()
    except web.HTTPException:
        raise
    except Exception:
        logger.exception("Simulator failed on %s %s", request.method, request.path)
        return Refused(500, "internal_server_error").to_response()
