"""The fake Discord, driven end to end by a real discord.py client and command tree."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.discord import FakeDiscord, redirect_discordpy
from tests.fakes.discord_commands import command_errors

PDF = b"%PDF-1.4\n% tiny\n"


@dataclass
class Bot:
    """A discord.py client with a tiny command tree, as the fake's test subject."""

    client: discord.Client
    tree: app_commands.CommandTree[discord.Client]
    errors: list[Exception] = field(default_factory=list)
    seen: list[discord.Interaction] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)


def _build_bot() -> Bot:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0)
    bot = Bot(client, app_commands.CommandTree(client))

    async def on_error(
        interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        bot.errors.append(error)

    @bot.tree.command(name="print", description="Print a file")
    async def print_file(
        interaction: discord.Interaction, file: discord.Attachment, copies: int = 1
    ) -> None:
        await interaction.response.defer(thinking=True)
        data = await file.read()
        text = f"printed {file.filename} ({len(data)} bytes) x{copies}"
        await interaction.edit_original_response(content=text)

    @bot.tree.command(name="wait", description="Answer when the test says so")
    async def wait(interaction: discord.Interaction) -> None:
        bot.seen.append(interaction)
        await bot.release.wait()
        await interaction.response.defer(ephemeral=True)

    @bot.tree.command(name="whisper", description="Defer publicly, answer privately")
    async def whisper(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send("just for you", ephemeral=True)
        await interaction.followup.send("second", ephemeral=True)

    @bot.tree.context_menu(name="Print")
    async def print_message(
        interaction: discord.Interaction, message: discord.Message
    ) -> None:
        names = ", ".join(a.filename for a in message.attachments)
        await interaction.response.send_message(f"got {names}", ephemeral=True)

    bot.tree.on_error = on_error  # type: ignore[method-assign]
    return bot


class AgainView(discord.ui.View):
    """A persistent view with one button, to test component interactions."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Again", custom_id="again")
    async def again(
        self, interaction: discord.Interaction, button: discord.ui.Button[AgainView]
    ) -> None:
        await interaction.response.edit_message(content="pressed", view=None)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        with redirect_discordpy(server.api_url, server.gateway_url):
            yield server


@pytest.fixture
async def bot(fake: FakeDiscord) -> AsyncIterator[Bot]:
    bot = _build_bot()
    async with bot.client:
        await bot.client.login(fake.token)
        bot.client.add_view(AgainView())
        await bot.tree.sync()
        runner = asyncio.create_task(bot.client.connect())
        await _ready_or_raise(bot.client, runner)
        yield bot
        await bot.client.close()
        await runner


async def _ready_or_raise(client: discord.Client, runner: asyncio.Task[None]) -> None:
    ready = asyncio.create_task(client.wait_until_ready())
    await asyncio.wait({ready, runner}, timeout=5, return_when="FIRST_COMPLETED")
    if runner.done():
        ready.cancel()
        runner.result()
    assert ready.done(), "the client did not become ready"


async def test_login_sync_and_ready_reach_the_client(
    fake: FakeDiscord, bot: Bot
) -> None:
    paths = [(c.method, c.path) for c in fake.calls]

    assert ("GET", "/users/@me") in paths
    assert ("GET", "/oauth2/applications/@me") in paths
    assert {c["name"] for c in fake.commands} == {"print", "wait", "whisper", "Print"}
    guild = bot.client.get_guild(int(fake.world.guild_id))
    assert guild is not None
    assert guild.get_channel(int(fake.world.channel_id)) is not None
    assert fake.gateway.identifies[0]["intents"] == discord.Intents.default().value


async def test_slash_command_with_attachment_defers_then_edits_original(
    fake: FakeDiscord, bot: Bot
) -> None:
    pdf = fake.add_attachment(PDF, "report.pdf", "application/pdf")

    await fake.send_interaction(
        fake.slash_interaction("print", {"file": pdf, "copies": 2})
    )
    await fake.wait_for(
        lambda: any(m.content.startswith("printed") for m in fake.messages)
    )

    (shown,) = fake.messages
    assert shown.content == f"printed report.pdf ({len(PDF)} bytes) x2"
    assert not shown.loading
    steps = [(c.method, c.path.split("/")[1], c.status) for c in fake.calls[-3:]]
    assert steps == [
        ("POST", "interactions", 200),
        ("GET", "attachments", 200),
        ("PATCH", "webhooks", 200),
    ]
    assert fake.calls[-3].body == {"type": 5}
    assert bot.errors == []


async def test_heartbeats_are_acknowledged(fake: FakeDiscord, bot: Bot) -> None:
    await fake.wait_for(lambda: fake.gateway.heartbeat_acks >= 3, timeout=2)

    # discord.py measures latency from the ACKs: infinite until one arrives.
    assert bot.client.latency < 1.0


async def test_expired_webhook_token_surfaces_as_http_exception(
    fake: FakeDiscord, bot: Bot
) -> None:
    await fake.send_interaction(fake.slash_interaction("wait"))
    await fake.wait_for(lambda: bool(bot.seen))
    bot.release.set()
    await fake.wait_for(lambda: bool(fake.messages))

    fake.age_interactions(fake.interaction_lifetime + 1)
    with pytest.raises(discord.HTTPException) as caught:
        await bot.seen[0].edit_original_response(content="too late")

    assert caught.value.status == 401
    assert caught.value.code == 50027


async def test_late_acknowledgement_is_an_unknown_interaction(
    fake: FakeDiscord, bot: Bot
) -> None:
    await fake.send_interaction(fake.slash_interaction("wait"))
    await fake.wait_for(lambda: bool(bot.seen))

    fake.age_interactions(fake.ack_window + 0.1)
    bot.release.set()
    await fake.wait_for(lambda: bool(bot.errors))

    error = bot.errors[0].__cause__
    assert isinstance(error, discord.NotFound)
    assert error.code == 10062
    assert fake.messages == []


async def test_redelivered_interaction_cannot_be_acknowledged_twice(
    fake: FakeDiscord, bot: Bot
) -> None:
    payload = fake.slash_interaction("wait")
    bot.release.set()

    await fake.send_interaction(payload)
    await fake.wait_for(lambda: len(fake.messages) == 1)
    await fake.send_interaction(payload)
    await fake.wait_for(lambda: bool(bot.errors))

    error = bot.errors[0].__cause__
    assert isinstance(error, discord.HTTPException)
    assert (error.status, error.code) == (400, 40060)
    assert fake.messages[0].ephemeral


async def test_first_follow_up_fills_the_deferred_response_publicly(
    fake: FakeDiscord, bot: Bot
) -> None:
    await fake.send_interaction(fake.slash_interaction("whisper"))
    await fake.wait_for(lambda: len(fake.messages) == 2)

    filled, second = fake.messages
    assert (filled.source, filled.content, filled.ephemeral) == (
        "original",
        "just for you",
        False,
    )
    assert (second.source, second.ephemeral) == ("followup", True)


async def test_message_context_menu_sees_the_target_attachments(
    fake: FakeDiscord, bot: Bot
) -> None:
    photo = fake.add_attachment(b"\xff\xd8jpeg", "cat.jpg", "image/jpeg")
    target = fake.user_message("look", [photo])

    await fake.send_interaction(fake.message_interaction("Print", target))
    await fake.wait_for(lambda: bool(fake.messages))

    assert fake.messages[0].content == "got cat.jpg"
    assert fake.messages[0].ephemeral


async def test_button_press_updates_the_message_it_sits_on(
    fake: FakeDiscord, bot: Bot
) -> None:
    channel = bot.client.get_channel(int(fake.world.channel_id))
    assert isinstance(channel, discord.TextChannel)
    await channel.send("print again?", view=AgainView())
    (card,) = fake.messages

    await fake.send_interaction(fake.button_interaction("again", card))
    await fake.wait_for(lambda: card.content == "pressed")

    assert card.buttons == []
    assert fake.calls_to("POST", "/callback")[0].body["type"] == 7


async def test_channel_messages_refuse_the_ephemeral_flag(fake: FakeDiscord) -> None:
    url = f"{fake.api_url}/channels/{fake.world.channel_id}/messages"
    headers = {"Authorization": f"Bot {fake.token}"}

    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(url, json={"content": "secret", "flags": 64}) as response,
    ):
        body = await response.json(content_type="application/json")

    assert (response.status, body["code"]) == (400, 50035)
    assert fake.messages == []


async def test_dm_channel_is_opened_for_a_user(fake: FakeDiscord, bot: Bot) -> None:
    user = await bot.client.fetch_user(int(fake.world.user_id))
    await user.send("your job is done")

    (shown,) = fake.messages
    assert shown.channel_id != fake.world.channel_id
    assert fake.calls_to("POST", "/users/@me/channels")


async def test_wrong_token_fails_login(fake: FakeDiscord) -> None:
    client = discord.Client(intents=discord.Intents.default())

    async with client:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")


async def test_unknown_route_answers_json_404(fake: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(fake.api_url + "/guilds/1/bans") as response,
    ):
        body = await response.json(content_type="application/json")
        content_type = response.headers["Content-Type"]

    assert (response.status, body) == (404, {"message": "404: Not Found", "code": 0})
    assert content_type == "application/json"
    assert fake.unknown_routes[0].path == "/guilds/1/bans"


async def test_command_registration_refuses_a_bad_locale_with_form_errors(
    fake: FakeDiscord,
) -> None:
    url = f"{fake.api_url}/applications/{fake.world.application_id}/commands"
    headers = {"Authorization": f"Bot {fake.token}"}
    command = {"name": "print", "description": "P", "name_localizations": {"tw": "x"}}

    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.put(url, json=[command]) as response,
    ):
        body = await response.json(content_type="application/json")

    assert (response.status, body["code"]) == (400, 50035)
    assert "tw" in body["errors"]["0"]["name_localizations"]
    assert fake.commands == []


def test_command_rules_flag_bad_locale_and_upper_case_name() -> None:
    payload = [
        {
            "name": "Print",
            "description": "Print",
            "description_localizations": {"zh": "列印"},
        }
    ]

    errors = command_errors(payload)

    assert errors["0"]["name"]["_errors"][0]["code"] == (
        "APPLICATION_COMMAND_INVALID_NAME"
    )
    assert "zh" in errors["0"]["description_localizations"]


def test_command_rules_flag_too_many_choices_and_long_description() -> None:
    choices = [{"name": f"c{n}", "value": f"c{n}"} for n in range(26)]
    option = {"type": 3, "name": "paper", "description": "x" * 101, "choices": choices}

    errors = command_errors(
        [{"name": "print", "description": "P", "options": [option]}]
    )

    checked = errors["0"]["options"]["0"]
    assert checked["choices"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
    assert checked["description"]["_errors"][0]["code"] == "BASE_TYPE_BAD_LENGTH"


def test_command_rules_accept_a_localized_command() -> None:
    payload = [
        {
            "name": "print",
            "description": "Print a file",
            "name_localizations": {"zh-TW": "列印"},
            "description_localizations": {"zh-TW": "列印檔案"},
            "options": [
                {"type": 11, "name": "file", "description": "F", "required": True}
            ],
        },
        {"name": "Print", "type": 3, "description": ""},
    ]

    assert command_errors(payload) == {}
