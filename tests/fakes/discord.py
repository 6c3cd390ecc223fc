"""A fake Discord (REST API, gateway and attachment CDN) for driving discord.py.

One aiohttp server on 127.0.0.1 serves ``/api/v10`` (bot, interaction and webhook
routes), ``/gateway`` (see :mod:`tests.fakes.discord_gateway`) and
``/attachments/...``. It is strict where Discord is: bot token, payload rules,
the 3-second window to acknowledge an interaction, one acknowledgement only, and
the interaction token's lifetime. Tests read what users see in ``messages`` and
what was asked in ``calls``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import quote

import discord
import yarl
from aiohttp import web

from tests.fakes import discord_payloads as wire
from tests.fakes.discord_commands import command_errors
from tests.fakes.discord_gateway import Gateway, GatewaySettings
from tests.fakes.discord_payloads import Payload, World
from tests.fakes.discord_rest import (
    LOADING,
    Call,
    DiscordError,
    MessageBoard,
    ShownMessage,
    invalid_form,
    invalid_webhook_token,
    json_response,
    unknown_interaction,
)
from tests.fakes.loopback import LoopbackServer, wait_until

logger = logging.getLogger(__name__)

API = "/api/v10"
TOKEN = "MTE4MDAwMDAwMDAwMDAwMDAw.fake.bot-token-0123456789"
_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_CALL = web.RequestKey("call", Call)
_TRUE = ("1", "true", "True")
# Callback types that update the message a component sits on.
_COMPONENT_ONLY = (6, 7)


@dataclass
class _Interaction:
    payload: Payload
    created: float
    callback_type: int | None = None
    original: ShownMessage | None = None


class FakeDiscord:
    """The fake Discord server; an async context manager.

    Args:
        token: The bot token that bot routes and IDENTIFY must carry.
        ack_window: Seconds an interaction may wait for its callback (Discord: 3).
        interaction_lifetime: Seconds an interaction token works for webhook
            routes (Discord: 15 minutes).
        heartbeat_interval: Seconds between the client's heartbeats.
        allowed_privileged_intents: Privileged intent bits the bot may ask for.

    Attributes:
        calls: Every request, in order (``unknown_routes``: those answered 404).
        commands: The global commands as last registered (``guild_commands``).
        board: The messages the bot has shown; ``messages`` lists the visible ones.
        gateway: The websocket side (``heartbeat_acks``, ``identifies``).
        cdn_open: Clear it to hold attachment downloads until it is set again.
    """

    def __init__(
        self,
        *,
        token: str = TOKEN,
        ack_window: float = 3.0,
        interaction_lifetime: float = 15 * 60,
        heartbeat_interval: float = 0.1,
        allowed_privileged_intents: int = 0,
    ) -> None:
        self.token = token
        self.ack_window = ack_window
        self.interaction_lifetime = interaction_lifetime
        self.world = World()
        self.calls: list[Call] = []
        self.unknown_routes: list[Call] = []
        self.commands: list[Payload] = []
        self.guild_commands: dict[str, list[Payload]] = {}
        self.gateway = Gateway(
            GatewaySettings(
                token, heartbeat_interval, allowed_privileged_intents, self._greeting
            )
        )
        self._interactions: dict[str, _Interaction] = {}
        self._attachments: dict[str, bytes] = {}
        self.board = MessageBoard(self.world, self._store_upload)
        self._dm_channels: dict[str, Payload] = {}
        # Set: the CDN answers at once; cleared by a test to hold downloads.
        self.cdn_open = asyncio.Event()
        self.cdn_open.set()
        self._server = LoopbackServer(self._application())

    # -- lifecycle ---------------------------------------------------------------

    async def __aenter__(self) -> FakeDiscord:
        await self._server.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.gateway.close()
        await self._server.close()

    @property
    def base_url(self) -> str:
        return self._server.url

    @property
    def api_url(self) -> str:
        """The REST base, as ``discord.http.Route.BASE`` wants it."""
        return self._server.url + API

    @property
    def gateway_url(self) -> str:
        return "ws" + self._server.url.removeprefix("http") + "/gateway"

    # -- what tests read ---------------------------------------------------------

    @property
    def messages(self) -> list[ShownMessage]:
        """What users see now, oldest first (deleted messages left out)."""
        return self.board.visible

    def calls_to(self, method: str, fragment: str) -> list[Call]:
        """The calls with ``method`` whose path contains ``fragment``."""
        return [c for c in self.calls if c.method == method and fragment in c.path]

    async def wait_for(
        self,
        predicate: Callable[[], bool],
        timeout: float = 5.0,
    ) -> None:
        """Poll ``predicate`` until it holds, or raise TimeoutError."""
        await wait_until(predicate, timeout, message="fake Discord condition")

    # -- what tests arrange ------------------------------------------------------

    def add_attachment(
        self,
        data: bytes,
        filename: str,
        content_type: str,
        *,
        channel_id: str | None = None,
    ) -> Payload:
        """Put a file on the CDN; return the attachment object pointing at it."""
        attachment_id = self.world.new_id()
        channel = channel_id or self.world.channel_id
        path = f"/attachments/{channel}/{attachment_id}/"
        # Kept under the decoded path, which is what aiohttp's request.path gives.
        self._attachments[path + filename] = data
        signature = f"?ex=0&is=0&hm={attachment_id[-8:]}"
        url = f"{self.base_url}{path}{quote(filename)}{signature}"
        return wire.attachment(attachment_id, filename, len(data), url, content_type)

    def _store_upload(self, filename: str) -> Payload:
        # Uploaded files land on the CDN, as Discord keeps a message's files.
        return self.add_attachment(b"", filename, "application/octet-stream")

    def asker(
        self,
        *,
        user_id: str | None = None,
        locale: str = "en-US",
        in_guild: bool = True,
        roles: tuple[str, ...] = (),
    ) -> wire.Asker:
        """Who triggers an interaction (alice in the guild by default).

        ``roles`` are the member's role ids in the guild (``world.role_id`` is
        the one role the guild has besides @everyone).
        """
        person = user_id or self.world.user_id
        channel = "" if in_guild else self._dm_channel(person)["id"]
        return wire.Asker(person, self._name(person), locale, in_guild, channel, roles)

    def _name(self, user_id: str) -> str:
        return "bob" if user_id == self.world.other_user_id else "alice"

    def slash_interaction(
        self,
        name: str,
        options: Mapping[str, object] | None = None,
        asker: wire.Asker | None = None,
    ) -> Payload:
        """A slash command payload; attachment payloads become resolved options."""
        data = wire.slash_data(self._command_id(name), name, options or {})
        return self._interaction(wire.APPLICATION_COMMAND, data, asker)

    def message_interaction(
        self, name: str, target: Payload, asker: wire.Asker | None = None
    ) -> Payload:
        """A message context-menu command payload aimed at ``target``."""
        data = wire.message_command_data(self._command_id(name), name, target)
        return self._interaction(wire.APPLICATION_COMMAND, data, asker)

    def button_interaction(
        self, custom_id: str, message: ShownMessage, asker: wire.Asker | None = None
    ) -> Payload:
        """A button press on ``message`` (a message the bot sent)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return self._interaction(
            wire.MESSAGE_COMPONENT, data, asker, message=message.payload
        )

    def user_message(
        self, content: str = "", attachments: list[Payload] | None = None
    ) -> Payload:
        """A message alice posted in the guild channel (for context menus)."""
        author = wire.user(self.world.user_id, "alice")
        fields = {"content": content, "attachments": attachments or []}
        message_id = self.world.new_id()
        return wire.message(message_id, self.world.channel_id, author, fields)

    def age_interactions(self, seconds: float) -> None:
        """Make every interaction so far ``seconds`` older (windows, lifetimes)."""
        for interaction in self._interactions.values():
            interaction.created -= seconds

    async def send_interaction(self, payload: Payload) -> Payload:
        """Dispatch INTERACTION_CREATE; the acknowledgement window starts now.

        Sending the same payload again re-delivers it, as Discord may: the first
        delivery's state (window, acknowledgement) still holds.
        """
        if payload["token"] not in self._interactions:
            self._interactions[payload["token"]] = _Interaction(payload, _now())
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        return payload

    def _interaction(
        self,
        kind: int,
        data: Payload,
        asker: wire.Asker | None,
        message: Payload | None = None,
    ) -> Payload:
        token = f"aW50ZXJhY3Rpb24.{self.world.new_id()}.interaction-token"
        return wire.interaction(
            self.world,
            asker or self.asker(),
            kind=kind,
            data=data,
            token=token,
            message=message,
        )

    def _command_id(self, name: str) -> str:
        registered = self.commands + [
            c for commands in self.guild_commands.values() for c in commands
        ]
        found = next((c["id"] for c in registered if c["name"] == name), None)
        return found or self.world.new_id()

    def _greeting(self, session_id: str) -> list[tuple[str, Payload]]:
        ready = wire.ready(self.world, session_id, self.gateway_url)
        return [("READY", ready), ("GUILD_CREATE", wire.guild_create(self.world))]

    # -- the server --------------------------------------------------------------

    def _application(self) -> web.Application:
        app = web.Application(middlewares=[self._record])
        hook = "/webhooks/{app}/{token}"
        message = hook + "/messages/{mid}"
        routes = [
            ("GET", "/users/@me", self._get_me, True),
            ("GET", "/oauth2/applications/@me", self._get_application, True),
            ("GET", "/users/{user}", self._get_user, True),
            ("PUT", "/applications/{app}/commands", self._put_commands, True),
            ("PUT", "/applications/{app}/guilds/{guild}/commands",
             self._put_commands, True),
            ("POST", "/interactions/{iid}/{token}/callback",
             self._post_callback, False),
            ("GET", message, self._get_webhook_message, False),
            ("PATCH", message, self._patch_webhook_message, False),
            ("DELETE", message, self._delete_webhook_message, False),
            ("POST", hook, self._post_followup, False),
            ("POST", "/channels/{channel}/messages", self._post_channel_message, True),
            ("PATCH", "/channels/{channel}/messages/{mid}",
             self._patch_channel_message, True),
            ("POST", "/users/@me/channels", self._post_dm_channel, True),
        ]  # fmt: skip
        for method, path, handler, bot_route in routes:
            app.router.add_route(method, API + path, self._guarded(handler, bot_route))
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel}/{id}/{name}", self._get_attachment)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    @web.middleware
    async def _record(
        self, request: web.Request, handler: _Handler
    ) -> web.StreamResponse:
        call = Call(request.method, request.path.removeprefix(API), dict(request.query))
        request[_CALL] = call
        self.calls.append(call)
        try:
            response = await handler(request)
        except DiscordError as error:
            response = json_response(error.body, error.status)
        call.status = response.status
        return response

    def _guarded(self, handler: _Handler, bot_route: bool) -> _Handler:
        async def guarded(request: web.Request) -> web.StreamResponse:
            if (
                bot_route
                and request.headers.get("Authorization") != f"Bot {self.token}"
            ):
                raise DiscordError(401, 0, "401: Unauthorized")
            await self._read_body(request)
            return await handler(request)

        return guarded

    async def _read_body(self, request: web.Request) -> None:
        """Parse JSON or multipart (``payload_json`` + ``files[n]``) into the call."""
        call: Call = request[_CALL]
        if request.content_type == "multipart/form-data":
            form = await request.post()
            call.body = json.loads(str(form.get("payload_json") or "{}"))
            files = [v for k, v in form.items() if k.startswith("files[")]
            call.files = [f.filename for f in files if isinstance(f, web.FileField)]
            return
        raw = await request.read()
        if not raw:
            return
        if request.content_type != "application/json":
            raise DiscordError(400, 50109, "The request body contains invalid JSON.")
        try:
            call.body = json.loads(raw)
        except ValueError as exc:
            raise DiscordError(
                400, 50109, "The request body contains invalid JSON."
            ) from exc

    async def _not_found(self, request: web.Request) -> web.Response:
        self.unknown_routes.append(request[_CALL])
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    # -- bot routes --------------------------------------------------------------

    async def _get_me(self, request: web.Request) -> web.Response:
        return json_response(wire.bot_user(self.world))

    async def _get_user(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"]
        if user_id not in (self.world.user_id, self.world.other_user_id):
            raise DiscordError(404, 10013, "Unknown User")
        return json_response(wire.user(user_id, self._name(user_id)))

    async def _get_application(self, request: web.Request) -> web.Response:
        return json_response(wire.application(self.world))

    async def _put_commands(self, request: web.Request) -> web.Response:
        if request.match_info["app"] != self.world.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        body = request[_CALL].body
        errors = command_errors(body)
        if errors:
            raise invalid_form(errors)
        guild = request.match_info.get("guild")
        registered = [self._registered(command, guild) for command in body]
        if guild is None:
            self.commands = registered
        else:
            self.guild_commands[guild] = registered
        return json_response(registered)

    def _registered(self, command: Payload, guild: str | None) -> Payload:
        defaults: Payload = {
            "type": 1,
            "description": "",
            "options": [],
            "name_localizations": None,
            "description_localizations": None,
            "default_member_permissions": None,
            "nsfw": False,
        }
        assigned = {
            "id": self.world.new_id(),
            "application_id": self.world.application_id,
            "version": self.world.new_id(),
        }
        if guild is not None:
            assigned["guild_id"] = guild
        return defaults | command | assigned

    async def _post_channel_message(self, request: web.Request) -> web.Response:
        channel = self._channel(request.match_info["channel"])
        call: Call = request[_CALL]
        fields = self.board.fields(call, allow_ephemeral=False)
        shown = self.board.show(channel["id"], fields, "channel")
        return json_response(shown.payload)

    async def _patch_channel_message(self, request: web.Request) -> web.Response:
        self._channel(request.match_info["channel"])
        shown = self.board.find(request.match_info["mid"])
        self.board.edit(shown, request[_CALL])
        return json_response(shown.payload)

    async def _post_dm_channel(self, request: web.Request) -> web.Response:
        recipient = (request[_CALL].body or {}).get("recipient_id")
        if not isinstance(recipient, str | int):
            raise invalid_form(
                {"recipient_id": {"_errors": [{"code": "BASE_TYPE_REQUIRED"}]}}
            )
        return json_response(self._dm_channel(str(recipient)))

    def _dm_channel(self, user_id: str) -> Payload:
        if user_id not in self._dm_channels:
            person = wire.user(user_id, self._name(user_id))
            self._dm_channels[user_id] = wire.dm_channel(self.world.new_id(), person)
        return self._dm_channels[user_id]

    def _channel(self, channel_id: str) -> Payload:
        if channel_id == self.world.channel_id:
            return wire.text_channel(self.world)
        for channel in self._dm_channels.values():
            if channel["id"] == channel_id:
                return channel
        raise DiscordError(404, 10003, "Unknown Channel")

    # -- interactions and webhooks -----------------------------------------------

    async def _post_callback(self, request: web.Request) -> web.Response:
        interaction = self._interactions.get(request.match_info["token"])
        if (
            interaction is None
            or interaction.payload["id"] != request.match_info["iid"]
        ):
            raise unknown_interaction()
        if interaction.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        if _now() - interaction.created > self.ack_window:
            raise unknown_interaction()
        body = request[_CALL].body or {}
        self._acknowledge(interaction, body, request[_CALL])
        if request.query.get("with_response") not in _TRUE:
            return web.Response(status=204)
        return json_response(self._callback_response(interaction))

    def _acknowledge(
        self, interaction: _Interaction, body: Payload, call: Call
    ) -> None:
        kind = body.get("type")
        if kind not in (1, 4, 5, 6, 7, 9):
            raise invalid_form({"type": {"_errors": [{"code": "BASE_TYPE_CHOICES"}]}})
        if kind in _COMPONENT_ONLY and "message" not in interaction.payload:
            problem = {"code": "INTERACTION_RESPONSE_TYPE_INVALID"}
            raise invalid_form({"type": {"_errors": [problem]}})
        interaction.callback_type = kind
        data = Call(
            call.method, call.path, call.query, body.get("data") or {}, call.files
        )
        if kind in (4, 5):
            fields = self.board.fields(data, allow_ephemeral=True)
            if kind == 5:
                fields["flags"] = int(fields.get("flags") or 0) | LOADING
            channel = str(interaction.payload["channel_id"])
            interaction.original = self.board.show(channel, fields, "original")
        elif kind in (6, 7):
            interaction.original = self.board.adopt(interaction.payload["message"])
            if kind == 7:
                self.board.edit(interaction.original, data)

    def _callback_response(self, interaction: _Interaction) -> Payload:
        original = interaction.original
        reply: Payload = {
            "id": interaction.payload["id"],
            "type": interaction.payload["type"],
            "response_message_id": original.id if original else None,
            "response_message_loading": bool(original and original.loading),
            "response_message_ephemeral": bool(original and original.ephemeral),
        }
        resource: Payload = {"type": interaction.callback_type}
        if original is not None:
            resource["message"] = original.payload
        return {"interaction": reply, "resource": resource}

    def _live_interaction(self, request: web.Request) -> _Interaction:
        """The interaction whose token is in the path, if the token still works."""
        interaction = self._interactions.get(request.match_info["token"])
        if (
            interaction is None
            or request.match_info["app"] != self.world.application_id
        ):
            raise invalid_webhook_token()
        if _now() - interaction.created > self.interaction_lifetime:
            raise invalid_webhook_token()
        return interaction

    def _webhook_message(self, request: web.Request) -> ShownMessage:
        interaction = self._live_interaction(request)
        mid = request.match_info["mid"]
        if mid != "@original":
            return self.board.find(mid)
        if interaction.original is None or interaction.original.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return interaction.original

    async def _get_webhook_message(self, request: web.Request) -> web.Response:
        return json_response(self._webhook_message(request).payload)

    async def _patch_webhook_message(self, request: web.Request) -> web.Response:
        shown = self._webhook_message(request)
        self.board.edit(shown, request[_CALL])
        return json_response(shown.payload)

    async def _delete_webhook_message(self, request: web.Request) -> web.Response:
        self._webhook_message(request).deleted = True
        return web.Response(status=204)

    async def _post_followup(self, request: web.Request) -> web.Response:
        interaction = self._live_interaction(request)
        if interaction.callback_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        call = request[_CALL]
        fields = self.board.fields(call, allow_ephemeral=True)
        original = interaction.original
        filling = original is not None and original.loading and not original.deleted
        if interaction.callback_type == 5 and original is not None and filling:
            # Discord fills the "thinking" message with the first follow-up, which
            # keeps the deferral's ephemeral setting whatever the follow-up asks.
            self.board.edit(original, call)
            shown = original
        else:
            channel = str(interaction.payload["channel_id"])
            shown = self.board.show(channel, fields, "followup")
        if request.query.get("wait") in _TRUE:
            return json_response(shown.payload)
        return web.Response(status=204)

    # -- CDN ---------------------------------------------------------------------

    async def _get_attachment(self, request: web.Request) -> web.Response:
        await self.cdn_open.wait()
        data = self._attachments.get(request.path)
        if data is None:
            return web.Response(status=404, text="This content is no longer available.")
        return web.Response(body=data, content_type="application/octet-stream")


def _now() -> float:
    return asyncio.get_running_loop().time()


@contextlib.contextmanager
def redirect_discordpy(api_url: str, gateway_url: str) -> Iterator[None]:
    """Point discord.py's REST base and gateway at a fake; restore them after."""
    saved = discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.http.Route.BASE = api_url
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = (
            saved
        )
