"""Discord group printing end to end: the fake, the adapter, the core, the simulator.

A ChatRoom plays Telegram beside Discord in the same runtime, for the codes that
join one person's accounts across platforms.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord
import pytest

from adapters.discord import DiscordAdapter
from bot import catalogue
from bot.config import ConversionConfig
from bot.core.commands import ConnectCommand, JoinCommand
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.adapters.test_discord_support import config_for
from tests.core.conftest import make_config, write_pdf
from tests.core.group_chat import group_origin, group_print
from tests.fakes.chat import ChatRoom
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_payloads import Asker, Payload
from tests.fakes.discord_rest import ShownMessage
from tests.fakes.loopback import wait_until

CODE = re.compile(r"code: ([A-Z0-9]+)")


@pytest.fixture(name="fake")
async def fake_fixture() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
    assert server.unknown_routes == []


@pytest.fixture
def step_seconds() -> float:
    return 0.02


@pytest.fixture(name="telegram")
def telegram_fixture() -> ChatRoom:
    return ChatRoom(platform="telegram")


@pytest.fixture(name="runtime")
async def runtime_fixture(
    tmp_path: Path, simulator: Simulator, fake: FakeDiscord, telegram: ChatRoom
) -> AsyncIterator[Runtime]:
    config = dataclasses.replace(
        make_config(tmp_path, simulator),
        discord=config_for(fake),
        conversion=ConversionConfig(libreoffice=str(tmp_path / "no-soffice")),
    )
    async with Runtime(config) as rt:
        adapter = DiscordAdapter(config.discord, rt.service, guild_ready_timeout=0.0)
        rt.service.register(adapter)
        rt.service.register(telegram)
        async with adapter:
            await rt.serve()
            yield rt


@pytest.fixture(name="sent")
def sent_fixture() -> list[Payload]:
    """Every interaction a test sends, for the token check."""
    return []


@pytest.fixture(name="debug_log")
def debug_log_fixture(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    # The fake server's access log is test machinery, not the bot. (The last
    # set_level also sets the capturing handler's level: DEBUG must come last.)
    caplog.set_level(logging.WARNING, logger="aiohttp.access")
    caplog.set_level(logging.DEBUG)
    return caplog


async def _send(fake: FakeDiscord, sent: list[Payload], payload: Payload) -> None:
    sent.append(await fake.send_interaction(payload))


async def _slash(
    fake: FakeDiscord,
    sent: list[Payload],
    name: str,
    asker: Asker,
    options: dict[str, object] | None = None,
) -> None:
    await _send(fake, sent, fake.slash_interaction(name, options or {}, asker))


async def _shown(fake: FakeDiscord, needle: str, timeout: float = 5) -> ShownMessage:
    """Wait until a message containing ``needle`` is on screen."""

    def find() -> ShownMessage | None:
        return next((m for m in fake.messages if needle in m.content), None)

    await wait_until(lambda: find() is not None, timeout, message=repr(needle))
    message = find()
    assert message is not None
    return message


def _plain(key: str, **params: object) -> str:
    """A catalogue sentence as the adapter shows it (markdown escaped)."""
    return discord.utils.escape_markdown(catalogue.render(key, "en", **params))


def _people(fake: FakeDiscord) -> tuple[Asker, Asker]:
    """Alice (who owns the printer) and Bob, in the server."""
    return fake.asker(), fake.asker(user_id=fake.world.other_user_id)


async def _owner_shares(
    fake: FakeDiscord, sent: list[Payload], policy: str = ""
) -> None:
    """Alice links her printer, shares it with the server, and sets ``policy``."""
    alice, _ = _people(fake)
    await _slash(fake, sent, "link", alice)
    prompt = await _shown(fake, _plain("link.prompt"))
    [url] = [b["url"] for b in prompt.buttons if "url" in b]
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, await response.text()
    await _shown(fake, "is linked")
    await _slash(fake, sent, "share", alice)
    await _shown(fake, "is now shared with Print Club")
    if policy:
        await _slash(fake, sent, "policy", alice, {"rules": policy})
        await _shown(fake, "Rules for")


async def _print(
    fake: FakeDiscord, sent: list[Payload], asker: Asker, pdf: Path
) -> None:
    attachment = fake.add_attachment(pdf.read_bytes(), pdf.name, "application/pdf")
    await _slash(fake, sent, "print", asker, {"file": attachment})


def _action(message: ShownMessage, verb: str) -> str:
    actions = [str(b.get("custom_id", "")) for b in message.buttons]
    return next(a for a in actions if a.startswith(verb))


def _assert_no_secrets(
    fake: FakeDiscord, sent: list[Payload], log: pytest.LogCaptureFixture
) -> None:
    secrets = [fake.token] + [str(p["token"]) for p in sent]
    logged = "\n".join(log.text.splitlines() + [r.getMessage() for r in log.records])
    assert len(log.records) > 10
    assert [s for s in secrets if s in logged] == []


async def test_member_print_waits_for_the_owner_approve_button_then_prints(
    fake: FakeDiscord,
    runtime: Runtime,
    simulator: Simulator,
    sent: list[Payload],
    debug_log: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    alice, bob = _people(fake)
    await _owner_shares(fake, sent)

    await _print(fake, sent, bob, write_pdf(tmp_path / "essay.pdf", pages=2))
    approval = await _shown(fake, "Bob asks to print essay.pdf")
    held = await _shown(fake, "is waiting for approval")

    assert simulator.prints == []
    assert not approval.ephemeral
    assert not held.ephemeral

    await _send(
        fake,
        sent,
        fake.button_interaction(_action(approval, "approve:"), approval, alice),
    )
    await _shown(fake, "Done:")

    [record] = simulator.prints
    assert record.pages == 2
    assert approval.content == _plain(
        "group.approved_notice", name="Alice", file="essay.pdf"
    )
    assert approval.buttons == []
    _assert_no_secrets(fake, sent, debug_log)


async def test_member_without_the_policy_role_is_refused_and_one_with_it_prints(
    fake: FakeDiscord,
    runtime: Runtime,
    simulator: Simulator,
    sent: list[Payload],
    tmp_path: Path,
) -> None:
    role = fake.world.role_id
    await _owner_shares(fake, sent, f"auto=all who=role:{role}")
    _, bob = _people(fake)
    pdf = write_pdf(tmp_path / "flyer.pdf")

    await _print(fake, sent, bob, pdf)
    refused = await _shown(fake, _plain("group.refused.role"))

    assert refused.ephemeral
    assert simulator.prints == []

    await _print(fake, sent, dataclasses.replace(bob, roles=(role,)), pdf)
    await _shown(fake, "Done:")

    assert len(simulator.prints) == 1


async def test_usage_answers_only_the_member_who_asked(
    fake: FakeDiscord, runtime: Runtime, sent: list[Payload]
) -> None:
    await _owner_shares(fake, sent, "day=10")
    _, bob = _people(fake)

    await _slash(fake, sent, "usage", bob)
    usage = await _shown(fake, "Your pages on")

    assert usage.ephemeral
    assert "0 of 10" in usage.content


async def test_connect_code_from_discord_joins_the_telegram_account_in_one_ledger(
    fake: FakeDiscord,
    runtime: Runtime,
    telegram: ChatRoom,
    sent: list[Payload],
    debug_log: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    alice, bob = _people(fake)
    await _owner_shares(fake, sent, "auto=all day=10")
    await _slash(fake, sent, "invite", alice)
    invite = await _shown(fake, "Invite code for")
    [invite_code] = re.findall(r"code for .*?: ([A-Z0-9]+)", invite.content)
    join = JoinCommand(group_origin(telegram, "carol"), code=invite_code)
    await runtime.service.handle(join)
    pdf = write_pdf(tmp_path / "notes.pdf", pages=3)
    await runtime.service.handle(group_print(telegram, "bob", pdf))
    await telegram.wait_for_text("Done:")

    await _slash(fake, sent, "connect", bob)
    offer = await _shown(fake, "Your connect code")
    [code] = CODE.findall(offer.content)
    answers = await runtime.service.handle(
        ConnectCommand(telegram.origin("bob"), code=code)
    )
    await _slash(fake, sent, "usage", bob)
    usage = await _shown(fake, "Your pages on")

    assert invite.ephemeral
    assert offer.ephemeral
    assert "now connected to your Discord account" in answers[0].text
    assert "3 of 10" in usage.content
    _assert_no_secrets(fake, sent, debug_log)
    assert code not in debug_log.text
    assert invite_code not in debug_log.text


async def test_member_pressing_approve_is_told_privately_and_the_card_stays(
    fake: FakeDiscord,
    runtime: Runtime,
    simulator: Simulator,
    sent: list[Payload],
    tmp_path: Path,
) -> None:
    _, bob = _people(fake)
    await _owner_shares(fake, sent)
    await _print(fake, sent, bob, write_pdf(tmp_path / "essay.pdf"))
    approval = await _shown(fake, "Bob asks to print essay.pdf")
    card = approval.content

    press = fake.button_interaction(_action(approval, "approve:"), approval, bob)
    await _send(fake, sent, press)
    refused = await _shown(fake, _plain("group.not_allowed"))

    assert refused.ephemeral
    assert approval.content == card
    assert len(approval.buttons) == 2
    assert simulator.prints == []


async def test_private_approvals_reach_the_owner_in_dms_and_deny_there(
    fake: FakeDiscord,
    runtime: Runtime,
    simulator: Simulator,
    sent: list[Payload],
    tmp_path: Path,
) -> None:
    _, bob = _people(fake)
    await _owner_shares(fake, sent, "approvals=private")
    await _print(fake, sent, bob, write_pdf(tmp_path / "essay.pdf"))
    approval = await _shown(fake, "Bob asks to print essay.pdf")
    in_dm = fake.asker(in_guild=False)
    cards = [m.channel_id for m in fake.messages if "asks to print" in m.content]

    press = fake.button_interaction(_action(approval, "deny:"), approval, in_dm)
    await _send(fake, sent, press)
    told = await _shown(fake, "was not approved")

    assert cards == [in_dm.dm_channel_id]
    assert approval.content == _plain(
        "group.denied_notice", name="Alice", file="essay.pdf"
    )
    assert told.channel_id == fake.world.channel_id
    assert simulator.prints == []
