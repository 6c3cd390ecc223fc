"""Discord's ``/share`` option that sets the group's default printer."""

from __future__ import annotations

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord_group_commands import share_argument
from bot import catalogue
from bot.core.commands import ShareCommand
from tests.adapters.test_discord_support import (  # noqa: F401 - fixtures
    RecordingCore,
    adapter_fixture,
    core_fixture,
    fake_fixture,
)
from tests.fakes.discord import FakeDiscord

BOOLEAN_OPTION = 5


async def test_share_registers_an_optional_default_switch_described_in_both_languages(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    share = next(c for c in fake.commands if c["name"] == "share")

    options = {o["name"]: o for o in share["options"]}
    default = options["default"]

    assert (default["type"], default.get("required", False)) == (BOOLEAN_OPTION, False)
    assert default["description"] == catalogue.render("command.share.default", "en")
    assert default["description_localizations"]["zh-TW"] == catalogue.render(
        "command.share.default", "zh-TW"
    )
    assert len(default["description"]) <= 100


@pytest.mark.parametrize(
    ("options", "argument"),
    [
        ({"printer": "Office", "default": True}, "default Office"),
        ({"printer": "Office", "scope": "channel", "default": True}, "default Office"),
        ({"default": True}, "default"),
        ({"printer": "Office", "default": False}, "Office"),
        ({"printer": "Office", "scope": "channel", "default": False}, "channel Office"),
    ],
)
async def test_share_with_default_asks_the_core_to_set_the_groups_default(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    core: RecordingCore,
    options: dict[str, object],
    argument: str,
) -> None:
    await fake.send_interaction(fake.slash_interaction("share", options))
    await fake.wait_for(lambda: bool(core.commands))

    [command] = core.commands
    assert isinstance(command, ShareCommand)
    assert command.argument == argument


def test_share_argument_with_default_ignores_the_scope() -> None:
    assert share_argument("Home Printer", "channel", default=True) == (
        "default Home Printer"
    )
    assert share_argument("", "server", default=True) == "default"
