"""Discord's REST vocabulary in the fake: calls, errors and the shown messages.

The answers are built the way discord.py needs them (``application/json`` exactly)
and the message rules are Discord's (content length, component layout).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import discord_payloads as wire
from tests.fakes.discord_payloads import Payload, World

LOADING = 1 << 7
MAX_CONTENT = 2000


class DiscordError(Exception):
    """An error answer of the fake, in Discord's JSON envelope."""

    def __init__(self, status: int, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.body = status, {"message": message, "code": code, **extra}


def unknown_interaction() -> DiscordError:
    """Too late, or no such interaction."""
    return DiscordError(404, 10062, "Unknown interaction")


def invalid_webhook_token() -> DiscordError:
    """An interaction token that expired or never existed."""
    return DiscordError(401, 50027, "Invalid Webhook Token")


def invalid_form(errors: Mapping[str, Any]) -> DiscordError:
    """A body that breaks Discord's rules; ``errors`` is the nested error tree."""
    return DiscordError(400, 50035, "Invalid Form Body", errors=errors)


@dataclass
class Call:
    """One request the fake received (paths below ``/api/v10`` lose that prefix)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any = None
    files: list[str] = field(default_factory=list)
    status: int = 0


@dataclass
class ShownMessage:
    """A message as chat users see it now.

    Attributes:
        payload: The message object (content, components, flags...).
        source: ``original``, ``followup`` or ``channel``.
        deleted: Removed since.
    """

    payload: Payload
    source: str
    deleted: bool = False

    @property
    def id(self) -> str:
        return str(self.payload["id"])

    @property
    def channel_id(self) -> str:
        return str(self.payload["channel_id"])

    @property
    def content(self) -> str:
        return str(self.payload.get("content") or "")

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & wire.EPHEMERAL)

    @property
    def loading(self) -> bool:
        return bool(int(self.payload.get("flags") or 0) & LOADING)

    @property
    def buttons(self) -> list[Payload]:
        """Every button of every action row."""
        rows = self.payload.get("components") or []
        return [item for row in rows for item in row.get("components", [])]


def check_components(rows: list[Any]) -> None:
    """Reject action rows Discord would refuse (5 rows of 5 buttons at most)."""
    problems: dict[str, Any] = {}
    if len(rows) > 5:
        problems["components"] = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}
    for row in rows:
        buttons = row.get("components") or []
        if row.get("type") != 1 or not 1 <= len(buttons) <= 5:
            problems["components"] = {"_errors": [{"code": "COMPONENT_LAYOUT"}]}
        for button in buttons:
            if _button_problem(button):
                problems["components"] = {
                    "_errors": [{"code": _button_problem(button)}]
                }
    if problems:
        raise invalid_form(problems)


def _button_problem(button: Payload) -> str:
    if button.get("type") != 2 or len(button.get("label") or "") > 80:
        return "BUTTON_INVALID"
    if button.get("style") == 5:
        return "" if button.get("url") and "custom_id" not in button else "BUTTON_URL"
    custom_id = button.get("custom_id") or ""
    return "" if 1 <= len(custom_id) <= 100 else "BUTTON_CUSTOM_ID"


def json_response(body: Any, status: int = 200) -> web.Response:
    """A JSON response with exactly ``application/json``, as discord.py requires."""
    return web.Response(
        body=json.dumps(body).encode(),
        status=status,
        headers={"Content-Type": "application/json"},
    )


@dataclass
class MessageBoard:
    """Every message the bot has shown, kept and checked as Discord does.

    Args:
        world: Ids and the bot's user.
        store_upload: Keeps an uploaded file on the CDN; returns its attachment.
    """

    world: World
    store_upload: Callable[[str], Payload]
    shown: list[ShownMessage] = field(default_factory=list)

    @property
    def visible(self) -> list[ShownMessage]:
        """What users see now, oldest first (deleted messages left out)."""
        return [m for m in self.shown if not m.deleted]

    def fields(self, call: Call, *, allow_ephemeral: bool) -> Payload:
        """Check a message body as Discord does; return its shown fields."""
        body: Payload = dict(call.body or {})
        if len(body.get("content") or "") > MAX_CONTENT:
            raise invalid_form(_error_at("content", "BASE_TYPE_MAX_LENGTH"))
        if int(body.get("flags") or 0) & wire.EPHEMERAL and not allow_ephemeral:
            raise invalid_form(_error_at("flags", "EPHEMERAL_NOT_ALLOWED"))
        check_components(body.get("components") or [])
        body["attachments"] = [self.store_upload(name) for name in call.files]
        return body

    def show(self, channel_id: str, fields: Payload, source: str) -> ShownMessage:
        """Post a message; interaction responses carry the application's marks."""
        extra: Payload = {}
        if source in ("original", "followup"):
            application = self.world.application_id
            extra = {
                "type": 20,
                "webhook_id": application,
                "application_id": application,
            }
        author = wire.bot_user(self.world)
        payload = wire.message(self.world.new_id(), channel_id, author, fields, **extra)
        shown = ShownMessage(payload, source)
        self.shown.append(shown)
        return shown

    def find(self, message_id: str) -> ShownMessage:
        """The message ``message_id``; Discord's 10008 if there is none."""
        for shown in self.shown:
            if shown.id == message_id and not shown.deleted:
                return shown
        raise DiscordError(404, 10008, "Unknown Message")

    def adopt(self, message: Payload) -> ShownMessage:
        """The shown message a component sits on (recorded if a test made it up)."""
        for shown in self.shown:
            if shown.id == str(message["id"]):
                return shown
        shown = ShownMessage(dict(message), "channel")
        self.shown.append(shown)
        return shown

    def edit(self, shown: ShownMessage, call: Call) -> None:
        """Apply an edit; the loading mark goes, the ephemeral mark stays."""
        body = call.body or {}
        check_components(body.get("components") or [])
        for key in ("content", "components", "embeds"):
            if key in body:
                shown.payload[key] = body[key] if body[key] is not None else []
        if not shown.payload["content"]:
            shown.payload["content"] = ""
        if call.files:
            shown.payload["attachments"] = [self.store_upload(n) for n in call.files]
        shown.payload["flags"] = int(shown.payload.get("flags") or 0) & ~LOADING
        shown.payload["edited_timestamp"] = wire.now_iso()


def _error_at(field_name: str, code: str) -> dict[str, Any]:
    return {field_name: {"_errors": [{"code": code}]}}
