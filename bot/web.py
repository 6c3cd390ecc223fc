"""The web server: the OAuth callback, Epson's job notifications, and health."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from bot.catalogue import LANGUAGES, render, render_error
from bot.core.link_state import StateRejected
from bot.core.linking import CALLBACK_PATH
from bot.core.service import PrintService
from bot.epson.errors import AccessDenied, EpsonError, InvalidCallback, NotRegistered
from bot.epson.models import parse_callback
from bot.errors import ChatprintError
from bot.secret import Secret

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# No request may hold a handler longer than this (the slowest is the OAuth
# callback, which waits for Epson's token endpoint and device info).
REQUEST_TIMEOUT = 60.0
Middleware = Callable[[web.Request], Awaitable[web.StreamResponse]]


def notification_path(secret_key: Secret) -> str:
    """The unguessable path Epson posts job notifications to.

    Epson signs nothing it sends, so the path itself is the only gate, and a
    notification only makes the bot re-read the job from the API.
    """
    digest = hmac.new(secret_key.reveal().encode(), b"epson-notify", hashlib.sha256)
    return "/epson/notify/" + digest.hexdigest()[:40]


def build_app(
    service: PrintService,
    secret_key: Secret,
    extra_routes: Iterable[web.RouteDef] = (),
) -> web.Application:
    """The aiohttp application with every route chatprint serves."""
    app = web.Application(client_max_size=MAX_BODY, middlewares=[_hide_failures])
    handlers = _Handlers(service)
    app.router.add_get(CALLBACK_PATH, handlers.oauth_callback)
    app.router.add_post(notification_path(secret_key), handlers.notification)
    app.router.add_get("/healthz", handlers.health)
    app.router.add_routes(list(extra_routes))
    return app


@web.middleware
async def _hide_failures(
    request: web.Request, handler: Middleware
) -> web.StreamResponse:
    try:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            return await handler(request)
    except web.HTTPException:
        raise
    except TimeoutError:
        logger.warning("Request to %s took over %.0fs", request.path, REQUEST_TIMEOUT)
        return _page(503, "page.failed_title", "error.unexpected")
    except Exception:
        logger.exception("Request to %s failed", request.path)
        return _page(500, "page.failed_title", "error.unexpected")


class _Handlers:
    def __init__(self, service: PrintService) -> None:
        self._service = service

    async def oauth_callback(self, request: web.Request) -> web.Response:
        query = request.query
        try:
            outcome = await self._service.complete_link(
                code=query.get("code"),
                state=query.get("state"),
                error=query.get("error"),
            )
        except StateRejected as exc:
            return _page(400, "page.refused_title", exc.key)
        except ChatprintError as exc:
            logger.info("Link refused at the callback: %s", exc.key)
            return _error_page(exc)
        language = outcome.language
        body = render("page.linked", language, printer=outcome.printer.name)
        title = render("page.linked_title", language)
        back = None
        if outcome.chat_url is not None:
            back = (outcome.chat_url, render("page.back_to_chat", language))
        return _html(200, title, [body], link=back)

    async def notification(self, request: web.Request) -> web.Response:
        try:
            callback = parse_callback(json.loads(await request.read()))
        except (ValueError, InvalidCallback):
            return web.Response(status=400, text="bad notification")
        await self._service.on_notification(callback)
        return web.Response(status=200, text="ok")

    async def health(self, request: web.Request) -> web.Response:
        try:
            await self._service.store.ping()
        except Exception:
            logger.exception("Health check: the database is not reachable")
            return web.json_response(
                {"status": "failing", "database": "down"}, status=503
            )
        return web.json_response({"status": "ok", "database": "ok"})


def _error_page(error: ChatprintError) -> web.Response:
    # Refusals by the person or their account are theirs to fix (400); anything
    # else from Epson is a failure upstream (502).
    upstream = isinstance(error, EpsonError) and not isinstance(
        error, NotRegistered | AccessDenied
    )
    status = 502 if upstream else 400
    paragraphs = [render_error(error, language) for language in LANGUAGES]
    title = " / ".join(render("page.refused_title", lang) for lang in LANGUAGES)
    return _html(status, title, paragraphs)


def _page(status: int, title_key: str, body_key: str) -> web.Response:
    title = " / ".join(render(title_key, lang) for lang in LANGUAGES)
    return _html(status, title, [render(body_key, lang) for lang in LANGUAGES])


def _html(
    status: int,
    title: str,
    paragraphs: list[str],
    *,
    link: tuple[str, str] | None = None,
) -> web.Response:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    if link is not None and link[0].startswith("https://"):
        url, label = (html.escape(part, quote=True) for part in link)
        body += f"<p><a href='{url}'>{label}</a></p>"
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body style='font-family:sans-serif;max-width:36em;margin:3em auto'>"
        f"<h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return web.Response(status=status, text=page, content_type="text/html")
