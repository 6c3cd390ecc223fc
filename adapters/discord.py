"""The Discord adapter: slash commands, a message command and buttons for the core.

Every interaction is acknowledged at once (Discord allows three seconds), before
files are fetched or the core is asked. The acknowledgement is a deferred
response that the first answer, or later the job's first status, replaces. The
interaction token lets the adapter edit that response for 15 minutes; after that
status messages go to the channel (or to the user's DMs when private).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

import discord
import yarl
from discord import app_commands

from adapters.discord_commands import (
    CatalogueTranslator,
    CommandMaker,
    install_commands,
)
from adapters.discord_files import AttachmentFetcher
from adapters.discord_group_commands import install_group_commands
from adapters.discord_messages import (
    ChannelRef,
    interaction_ref,
    message_fields,
    parse_channel_ref,
    parse_interaction_ref,
    picture,
)
from bot.catalogue import language_for, render, render_error
from bot.config import DiscordConfig
from bot.core.adapter import CommandHandler
from bot.core.chat import ChatTarget, Origin, OutgoingMessage, Sender
from bot.core.commands import ButtonCommand, Command, PrintCommand
from bot.errors import ChatprintError

logger = logging.getLogger(__name__)

# discord.py logs interaction tokens (in URLs and gateway payloads) at DEBUG.
QUIET_LOGGERS = ("discord.http", "discord.gateway", "discord.webhook.async_")
DEFAULT_API_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg"
READY_TIMEOUT = 60.0
# Stop using an interaction token this long before Discord says it expires.
SAFETY_MARGIN = 60.0
# Discord's code for an interaction acknowledged before (a re-delivery).
ALREADY_ACKNOWLEDGED = 40060


class DiscordStartFailed(ChatprintError):
    """The bot could not log in or reach the gateway."""


@dataclass
class _Live:
    """An interaction whose response the adapter can still edit."""

    interaction: discord.Interaction
    deadline: float
    ephemeral: bool
    # The deferred "thinking" response is still empty.
    loading: bool


class DiscordAdapter:
    """Chatprint on Discord; implements ``ChatAdapter``; an async context manager.

    Args:
        config: Token and endpoints.
        core: Carries out commands.
        guild_ready_timeout: Seconds discord.py waits for guilds before READY.
        interaction_lifetime: Seconds an interaction token works (Discord: 15 min).
    """

    platform = "discord"

    def __init__(
        self,
        config: DiscordConfig,
        core: CommandHandler,
        *,
        guild_ready_timeout: float = 2.0,
        interaction_lifetime: float = 15 * 60,
    ) -> None:
        if not config.token:
            raise ValueError("DiscordConfig.token is empty: set discord.token first")
        self._config = config
        self._core = core
        self._guild_ready_timeout = guild_ready_timeout
        self._usable_for = interaction_lifetime - min(
            SAFETY_MARGIN, interaction_lifetime / 10
        )
        self._live: dict[int, _Live] = {}
        self._files = AttachmentFetcher([config.api_url])
        self._client: discord.Client | None = None
        self._runner: asyncio.Task[None] | None = None
        self._saved_endpoints: tuple[str, yarl.URL] | None = None

    async def __aenter__(self) -> DiscordAdapter:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- lifecycle ---------------------------------------------------------------

    async def start(self) -> None:
        """Log in, register the commands and connect; return once ready.

        Raises:
            DiscordStartFailed: Login, command registration or the gateway failed.
        """
        _quiet_library_loggers()
        self._point_discordpy()
        await self._files.open()
        client, tree = self._build_client()
        try:
            await self._log_in(client, tree)
            self._runner = asyncio.create_task(client.connect(), name="discord")
            self._runner.add_done_callback(_report_connection_end)
            await self._wait_ready(client, self._runner)
        except BaseException:
            await self.stop()
            raise
        logger.info("Discord bot %s is connected", client.user)

    async def stop(self) -> None:
        """Disconnect and release everything; safe to call twice."""
        if self._client is not None:
            await self._client.close()
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)
        self._client = self._runner = None
        self._live.clear()
        await self._files.close()
        self._restore_discordpy()

    def _build_client(
        self,
    ) -> tuple[discord.Client, app_commands.CommandTree[discord.Client]]:
        intents = discord.Intents.default()
        intents.message_content = False
        client = discord.Client(
            intents=intents, guild_ready_timeout=self._guild_ready_timeout
        )
        tree = app_commands.CommandTree(client)
        install_commands(tree, self._run)
        install_group_commands(tree, self._run)
        tree.on_error = self._on_tree_error  # type: ignore[method-assign]
        client.event(self._make_interaction_listener())
        self._client = client
        return client, tree

    async def _log_in(
        self, client: discord.Client, tree: app_commands.CommandTree[discord.Client]
    ) -> None:
        token = self._config.token.reveal() if self._config.token else ""
        try:
            await client.login(token)
            await tree.set_translator(CatalogueTranslator())
            commands = await tree.sync()
        except discord.LoginFailure as exc:
            raise DiscordStartFailed("Discord refused the bot token") from exc
        except discord.HTTPException as exc:
            raise DiscordStartFailed(
                f"Discord answered HTTP {exc.status} (code {exc.code}) at start"
            ) from exc
        logger.info("Discord commands registered: %s", len(commands))

    async def _wait_ready(
        self, client: discord.Client, runner: asyncio.Task[None]
    ) -> None:
        ready = asyncio.create_task(client.wait_until_ready())
        await asyncio.wait(
            {ready, runner}, timeout=READY_TIMEOUT, return_when="FIRST_COMPLETED"
        )
        if ready.done():
            return
        ready.cancel()
        if not runner.done():
            raise DiscordStartFailed("the Discord gateway did not become ready")
        try:
            runner.result()
        except (discord.DiscordException, OSError) as exc:
            raise DiscordStartFailed("the Discord gateway refused the bot") from exc
        raise DiscordStartFailed("the Discord gateway closed before ready")

    def _point_discordpy(self) -> None:
        """Aim discord.py's process-wide endpoints at the configured ones."""
        api = self._config.api_url.rstrip("/")
        gateway = self._config.gateway_url.rstrip("/")
        if api == DEFAULT_API_URL and gateway == DEFAULT_GATEWAY_URL:
            return
        socket = discord.gateway.DiscordWebSocket
        self._saved_endpoints = discord.http.Route.BASE, socket.DEFAULT_GATEWAY
        discord.http.Route.BASE = api
        socket.DEFAULT_GATEWAY = yarl.URL(gateway)
        logger.info("Discord endpoints set to %s and %s", api, gateway)

    def _restore_discordpy(self) -> None:
        if self._saved_endpoints is not None:
            (
                discord.http.Route.BASE,
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            ) = self._saved_endpoints
            self._saved_endpoints = None

    # -- interactions --------------------------------------------------------------

    async def _run(
        self,
        interaction: discord.Interaction,
        make: CommandMaker,
        *,
        private: bool,
        files: Sequence[discord.Attachment] = (),
    ) -> None:
        """Acknowledge, fetch files, ask the core, answer."""
        if not await self._defer(interaction, ephemeral=private):
            return
        attachments = await self._files.fetch_all(files)
        command = make(self._origin(interaction), attachments)
        answers = await self._core.handle(command)
        await self._answer(interaction, command, answers)

    async def _defer(
        self, interaction: discord.Interaction, *, ephemeral: bool
    ) -> bool:
        """Acknowledge ``interaction``; False if it is too late to act on it.

        A re-delivered interaction cannot be acknowledged twice; it still goes to
        the core, which recognizes its event id and drops it.
        """
        try:
            if interaction.type is discord.InteractionType.component:
                await interaction.response.defer()
                ephemeral = bool(
                    interaction.message and interaction.message.flags.ephemeral
                )
            else:
                await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        except discord.HTTPException as exc:
            if exc.code == ALREADY_ACKNOWLEDGED:
                logger.info("Interaction %s was acknowledged before", interaction.id)
                return True
            logger.warning(
                "Interaction %s could not be acknowledged (code %s)",
                interaction.id,
                exc.code,
            )
            return False
        self._remember(interaction, ephemeral)
        return True

    def _remember(self, interaction: discord.Interaction, ephemeral: bool) -> None:
        now = asyncio.get_running_loop().time()
        self._live = {k: v for k, v in self._live.items() if v.deadline > now}
        loading = interaction.type is not discord.InteractionType.component
        self._live[interaction.id] = _Live(
            interaction, now + self._usable_for, ephemeral, loading
        )

    def _origin(self, interaction: discord.Interaction) -> Origin:
        user = interaction.user
        sender = Sender(
            "discord", str(user.id), user.display_name, str(interaction.locale)
        )
        channel_id = interaction.channel_id or 0
        guild = interaction.guild
        return Origin(
            event_id=f"discord:{interaction.id}",
            sender=sender,
            target=ChatTarget("discord", str(channel_id), str(user.id)),
            is_group=interaction.guild_id is not None,
            chat_title=guild.name if guild is not None else "",
            status_ref=interaction_ref(interaction.id),
            server_id=str(interaction.guild_id or ""),
            roles=_role_ids(user),
        )

    async def _answer(
        self,
        interaction: discord.Interaction,
        command: Command,
        answers: list[OutgoingMessage],
    ) -> None:
        """Show the core's answers: the first in the deferred response if it can."""
        live = self._live.get(interaction.id)
        answers = list(answers)
        if live is not None and await self._answer_live(live, command, answers):
            answers = answers[1:]
        for answer in answers:
            await interaction.followup.send(
                **message_fields(answer),
                files=picture(answer),
                ephemeral=answer.private,
            )

    async def _answer_live(
        self, live: _Live, command: Command, answers: list[OutgoingMessage]
    ) -> bool:
        """Put the first answer in the deferred response; False if it cannot go there.

        A command's own "thinking" response is removed when it would stay empty.
        """
        if not answers:
            awaited = isinstance(command, PrintCommand)  # its status will go there
            if live.loading and not awaited:
                await self._drop_response(live)
            return False
        return await self._edit_live(live, answers[0])

    async def _drop_response(self, live: _Live) -> None:
        self._live.pop(live.interaction.id, None)
        await live.interaction.delete_original_response()

    def _make_interaction_listener(
        self,
    ) -> Callable[[discord.Interaction], Coroutine[Any, Any, None]]:
        async def on_interaction(interaction: discord.Interaction) -> None:
            if interaction.type is not discord.InteractionType.component:
                return
            data = cast(dict[str, object], interaction.data or {})
            action = str(data.get("custom_id", ""))
            try:
                await self._run(
                    interaction,
                    lambda origin, _: ButtonCommand(origin, action=action),
                    private=True,
                )
            except Exception as exc:
                await self._show_error(interaction, exc)

        return on_interaction

    async def _on_tree_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        cause = (
            error.original
            if isinstance(error, app_commands.CommandInvokeError)
            else error
        )
        await self._show_error(interaction, cause)

    async def _show_error(
        self, interaction: discord.Interaction, error: Exception
    ) -> None:
        """The error hook: the core's sentence for ours, an apology for the rest."""
        language = language_for(str(interaction.locale))
        if isinstance(error, ChatprintError):
            logger.info("Discord interaction %s refused: %s", interaction.id, error.key)
            text = render_error(error, language)
        else:
            logger.error(
                "Discord interaction %s failed", interaction.id, exc_info=error
            )
            text = render("error.unexpected", language)
        await self._reply_privately(interaction, OutgoingMessage(text, private=True))

    async def _reply_privately(
        self, interaction: discord.Interaction, message: OutgoingMessage
    ) -> None:
        """Answer in the deferred response, a follow-up, or the first response."""
        live = self._live.get(interaction.id)
        if live is not None and await self._edit_live(live, message):
            return
        try:
            if interaction.response.is_done():
                await interaction.followup.send(
                    **message_fields(message), ephemeral=True
                )
            else:
                await interaction.response.send_message(
                    **message_fields(message), ephemeral=True
                )
        except discord.HTTPException as exc:
            logger.warning(
                "Error reply to interaction %s failed (HTTP %s)",
                interaction.id,
                exc.status,
            )

    # -- delivering ------------------------------------------------------------------

    async def deliver(
        self,
        target: ChatTarget,
        message: OutgoingMessage,
        *,
        replace: str | None = None,
    ) -> str | None:
        """Show ``message``; edit the message ``replace`` names while that works.

        Returns:
            ``replace`` when it was edited, else the ref of a new channel message.

        Raises:
            discord.HTTPException: Not even a new message could be sent.
        """
        interaction_id = parse_interaction_ref(replace)
        live = self._live.get(interaction_id) if interaction_id is not None else None
        if live is not None and await self._edit_live(live, message):
            return replace
        channel_ref = parse_channel_ref(replace)
        if channel_ref is not None and await self._edit_channel(channel_ref, message):
            return replace
        return str(await self._send(target, message))

    async def _edit_live(self, live: _Live, message: OutgoingMessage) -> bool:
        """Show ``message`` through a live interaction; False if it cannot."""
        if asyncio.get_running_loop().time() >= live.deadline:
            self._live.pop(live.interaction.id, None)
            return False
        interaction = live.interaction
        try:
            if message.private and not live.ephemeral:
                await self._follow_up_privately(live, message)
            else:
                await interaction.edit_original_response(
                    **message_fields(message, edit=True), attachments=picture(message)
                )
                live.loading = False
        except discord.HTTPException as exc:
            logger.info(
                "Interaction %s response not editable (HTTP %s, code %s)",
                interaction.id,
                exc.status,
                exc.code,
            )
            self._live.pop(interaction.id, None)
            return False
        return True

    async def _follow_up_privately(self, live: _Live, message: OutgoingMessage) -> None:
        """A public response cannot turn private: add an ephemeral follow-up."""
        if live.loading:
            # Discord fills an empty "thinking" response with the first follow-up,
            # publicly: remove it first (later public edits then go to the channel).
            await live.interaction.delete_original_response()
            live.loading = False
        await live.interaction.followup.send(
            **message_fields(message), files=picture(message), ephemeral=True
        )

    async def _edit_channel(self, ref: ChannelRef, message: OutgoingMessage) -> bool:
        client = self._require_client()
        channel = client.get_partial_messageable(ref.channel_id)
        try:
            await channel.get_partial_message(ref.message_id).edit(
                **message_fields(message, edit=True), attachments=picture(message)
            )
        except discord.HTTPException as exc:
            logger.info("Message %s not editable (HTTP %s)", ref.message_id, exc.status)
            return False
        return True

    async def _send(self, target: ChatTarget, message: OutgoingMessage) -> ChannelRef:
        """Post a new message: in the chat, or in the user's DMs when private."""
        client = self._require_client()
        channel: discord.abc.Messageable
        if message.private:
            user = await client.fetch_user(int(target.user_id))
            channel = await user.create_dm()
        else:
            channel = client.get_partial_messageable(int(target.chat_id))
        sent = await channel.send(**message_fields(message), files=picture(message))
        return ChannelRef(sent.channel.id, sent.id)

    def open_attachment(self, ref: str) -> AsyncIterator[bytes]:
        """Stream an attachment again from the URL Discord gave for it."""
        return self._files.stream(ref)

    def _require_client(self) -> discord.Client:
        if self._client is None:
            raise RuntimeError("the Discord adapter is not started: call start()")
        return self._client


def _role_ids(user: discord.User | discord.Member) -> tuple[str, ...]:
    """A server member's role ids (with @everyone's); none outside a server."""
    if not isinstance(user, discord.Member):
        return ()
    return tuple(str(role.id) for role in user.roles)


def _report_connection_end(runner: asyncio.Task[None]) -> None:
    """Log a gateway connection that gave up (discord.py retries the rest)."""
    if runner.cancelled() or runner.exception() is None:
        return
    error = runner.exception()
    logger.error("Discord connection ended for good: %s", type(error).__name__)


def _quiet_library_loggers() -> None:
    """Keep discord.py's request and gateway logs, which carry tokens, above DEBUG.

    The loggers' own level is set, not left to inherit: a root logger turned to
    DEBUG after start must not let the tokens through.
    """
    for name in QUIET_LOGGERS:
        library = logging.getLogger(name)
        if library.level < logging.INFO:
            library.setLevel(logging.INFO)
