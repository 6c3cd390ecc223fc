"""The Discord adapter's group commands, against the fake and a recording core."""

from __future__ import annotations

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord_group_commands import share_argument
from bot import catalogue
from bot.core.chat import Button, ChatTarget, OutgoingMessage
from bot.core.commands import (
    ApproversCommand,
    ButtonCommand,
    Command,
    ConnectCommand,
    InviteCommand,
    JoinCommand,
    PauseCommand,
    PolicyCommand,
    ResumeCommand,
    ShareCommand,
    UnshareCommand,
    UsageCommand,
)
from tests.adapters.test_discord_support import (  # noqa: F401 - fixtures
    RecordingCore,
    adapter_fixture,
    core_fixture,
    fake_fixture,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_payloads import EPHEMERAL

GROUP_COMMANDS = (
    "share",
    "unshare",
    "invite",
    "join",
    "policy",
    "approvers",
    "pause",
    "resume",
    "usage",
    "connect",
)


async def _command_after(
    fake: FakeDiscord, core: RecordingCore, payload: dict[str, object]
) -> Command:
    await fake.send_interaction(payload)
    await fake.wait_for(lambda: bool(core.commands))
    return core.commands[-1]


def _deferred_privately(fake: FakeDiscord) -> bool:
    (callback,) = fake.calls_to("POST", "/callback")
    return bool(callback.body.get("data", {}).get("flags", 0) & EPHEMERAL)


async def test_group_commands_are_registered_with_chinese_descriptions(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    synced = {c["name"]: c for c in fake.commands}

    assert set(GROUP_COMMANDS) <= set(synced)
    for name in GROUP_COMMANDS:
        description = catalogue.render(f"command.{name}.description", "zh-TW")
        assert synced[name]["description_localizations"]["zh-TW"] == description
    [code] = synced["join"]["options"]
    assert (code["name"], code["required"]) == ("code", True)


async def test_share_parameters_and_scope_choices_are_localized(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    share = next(c for c in fake.commands if c["name"] == "share")

    options = {o["name"]: o for o in share["options"]}
    scopes = options["scope"]["choices"]

    assert [c["value"] for c in scopes] == ["server", "channel"]
    assert scopes[1]["name_localizations"]["zh-TW"] == catalogue.render(
        "command.share.scopes.channel", "zh-TW"
    )
    assert options["printer"]["description"] == catalogue.render(
        "command.share.printer", "en"
    )
    assert options["printer"]["description_localizations"]["zh-TW"] == (
        catalogue.render("command.share.printer", "zh-TW")
    )


@pytest.mark.parametrize(
    ("name", "options", "expected", "argument", "private"),
    [
        ("share", {}, ShareCommand, "", False),
        ("share", {"printer": "Office"}, ShareCommand, "Office", False),
        ("share", {"scope": "server"}, ShareCommand, "", False),
        ("unshare", {"printer": "Office"}, UnshareCommand, "Office", False),
        ("invite", {}, InviteCommand, "", True),
        ("invite", {"printer": "revoke"}, InviteCommand, "revoke", True),
        ("join", {"code": "ABCD2345EF"}, JoinCommand, "ABCD2345EF", False),
        ("policy", {"rules": "auto=5 mono"}, PolicyCommand, "auto=5 mono", False),
        ("approvers", {"action": "add <@42>"}, ApproversCommand, "add <@42>", False),
        ("pause", {"printer": "Office"}, PauseCommand, "Office", False),
        ("resume", {}, ResumeCommand, "", False),
        ("usage", {}, UsageCommand, None, True),
        ("connect", {}, ConnectCommand, "", True),
        ("connect", {"code": "K7M2"}, ConnectCommand, "K7M2", True),
    ],
)
async def test_group_command_makes_its_core_command_with_the_argument(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    core: RecordingCore,
    name: str,
    options: dict[str, object],
    expected: type[Command],
    argument: str | None,
    private: bool,
) -> None:
    payload = fake.slash_interaction(name, options)

    command = await _command_after(fake, core, payload)

    assert type(command) is expected
    fields = [v for v in vars(command).values() if isinstance(v, str)]
    assert fields == ([] if argument is None else [argument])
    assert _deferred_privately(fake) is private


async def test_share_with_channel_scope_sends_the_channel_word_first(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    options = {"printer": "Office", "scope": "channel"}

    command = await _command_after(fake, core, fake.slash_interaction("share", options))

    assert isinstance(command, ShareCommand)
    assert command.argument == "channel Office"


def test_share_argument_matches_what_the_core_parses() -> None:
    assert share_argument("", "channel") == "channel"
    assert share_argument("Home Printer", "channel") == "channel Home Printer"
    assert share_argument("Home Printer", "server") == "Home Printer"


async def test_guild_interaction_carries_the_server_and_the_member_roles(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    asker = fake.asker(roles=(fake.world.role_id,))

    command = await _command_after(
        fake, core, fake.slash_interaction("usage", {}, asker)
    )

    origin = command.origin
    assert origin.server_id == fake.world.guild_id
    assert fake.world.role_id in origin.roles
    assert origin.target.chat_id == fake.world.channel_id


async def test_member_without_roles_has_none_but_everyone(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    command = await _command_after(fake, core, fake.slash_interaction("usage"))

    assert fake.world.role_id not in command.origin.roles
    assert set(command.origin.roles) <= {fake.world.guild_id}


async def test_dm_interaction_has_no_server_and_no_roles(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    asker = fake.asker(in_guild=False)

    command = await _command_after(
        fake, core, fake.slash_interaction("connect", {}, asker)
    )

    assert (command.origin.server_id, command.origin.roles) == ("", ())
    assert not command.origin.is_group


@pytest.mark.parametrize("action", ["approve:17", "deny:17"])
async def test_approval_buttons_become_button_commands_from_the_presser(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore, action: str
) -> None:
    card = OutgoingMessage(
        "Bob asks to print essay.pdf",
        buttons=(Button("Approve", action="approve:17"), Button("Deny", "deny:17")),
    )
    target = ChatTarget("discord", fake.world.channel_id, fake.world.user_id)
    await adapter.deliver(target, card)
    (shown,) = fake.messages
    owner = fake.asker(roles=(fake.world.role_id,))

    command = await _command_after(
        fake, core, fake.button_interaction(action, shown, owner)
    )

    assert isinstance(command, ButtonCommand)
    assert command.action == action
    assert command.origin.sender.user_id == fake.world.user_id
    assert command.origin.server_id == fake.world.guild_id
    assert fake.world.role_id in command.origin.roles
    assert [b["custom_id"] for b in shown.buttons] == ["approve:17", "deny:17"]
