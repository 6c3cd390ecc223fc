"""Discord group settings end to end: the default printer, members named by mention.

The fake Discord gateway and REST, the adapter, the real core and the simulator.
"""

from __future__ import annotations

from pathlib import Path

import aiohttp
import discord

from bot import catalogue
from bot.core.policy import Policy
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.adapters.test_discord_groups_e2e import (  # noqa: F401 - fixtures
    fake_fixture,
    runtime_fixture,
    sent_fixture,
    step_seconds,
    telegram_fixture,
)
from tests.core.conftest import write_pdf
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_payloads import Asker
from tests.fakes.discord_rest import ShownMessage
from tests.fakes.loopback import wait_until

SECOND_PRINTER = "X5BB005678"


async def _slash(
    fake: FakeDiscord, name: str, asker: Asker, options: dict[str, object] | None = None
) -> None:
    await fake.send_interaction(fake.slash_interaction(name, options or {}, asker))


async def _shown(fake: FakeDiscord, needle: str) -> ShownMessage:
    """The first message containing ``needle``, once it is on screen."""

    def find() -> ShownMessage | None:
        return next((m for m in fake.messages if needle in m.content), None)

    await wait_until(lambda: find() is not None, 5, message=repr(needle))
    message = find()
    assert message is not None
    return message


def _plain(key: str, **params: object) -> str:
    """A catalogue sentence as the adapter shows it (markdown escaped)."""
    return discord.utils.escape_markdown(catalogue.render(key, "en", **params))


async def _link(fake: FakeDiscord, alice: Asker, times: int) -> None:
    """Alice links a printer with /link; ``times`` counts the printers linked."""
    await _slash(fake, "link", alice)
    await wait_until(lambda: _prompts(fake) == times, 5, message="link prompt")
    prompt = [m for m in fake.messages if m.content == _plain("link.prompt")][-1]
    [url] = [b["url"] for b in prompt.buttons if "url" in b]
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, await response.text()
    await wait_until(lambda: _linked(fake) == times, 5, message="linked")


def _prompts(fake: FakeDiscord) -> int:
    return sum(1 for m in fake.messages if m.content == _plain("link.prompt"))


def _linked(fake: FakeDiscord) -> int:
    return sum(1 for m in fake.messages if "is linked" in m.content)


async def _policy(runtime: Runtime, fake: FakeDiscord) -> Policy:
    group = await runtime.store.find_group("discord", f"server:{fake.world.guild_id}")
    assert group is not None
    [share, *_] = await runtime.store.load_shares(group.id)
    return Policy.from_dict(share.policy)


async def _share_first(fake: FakeDiscord, alice: Asker) -> None:
    await _link(fake, alice, 1)
    await _slash(fake, "share", alice)
    await _shown(fake, "EW-M873T is now shared with Print Club")


async def test_share_with_default_makes_the_second_printer_the_one_members_use(
    fake: FakeDiscord, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    alice, bob = fake.asker(), fake.asker(user_id=fake.world.other_user_id)
    await _share_first(fake, alice)
    simulator.next_authorize_outcome(SECOND_PRINTER)
    await _link(fake, alice, 2)
    await _slash(fake, "share", alice, {"printer": "PX-S887"})
    await _shown(fake, "PX-S887 is now shared with Print Club")

    await _slash(fake, "share", alice, {"printer": "px-s887", "default": True})
    told = await _shown(fake, _plain("group.default_set", printer="PX-S887"))
    await _slash(fake, "policy", alice, {"rules": "auto=all"})
    await _shown(fake, "Rules for PX-S887")
    pdf = write_pdf(tmp_path / "flyer.pdf")
    attachment = fake.add_attachment(pdf.read_bytes(), pdf.name, "application/pdf")
    await _slash(fake, "print", bob, {"file": attachment})
    await _shown(fake, "Done:")

    assert not told.ephemeral
    [record] = simulator.prints
    assert record.serial == SECOND_PRINTER


async def test_share_default_of_a_printer_not_shared_here_lists_the_shared_ones(
    fake: FakeDiscord, runtime: Runtime
) -> None:
    alice = fake.asker()
    await _share_first(fake, alice)

    await _slash(fake, "share", alice, {"printer": "PX-S887", "default": True})
    refused = await _shown(fake, "no shared printer called")

    assert refused.ephemeral
    assert refused.content == _plain(
        "group.printer_unknown", printer="PX-S887", names="EW-M873T"
    )


async def test_an_approver_named_by_a_discord_mention_is_stored_by_id(
    fake: FakeDiscord, runtime: Runtime
) -> None:
    alice, bob_id = fake.asker(), fake.world.other_user_id
    await _share_first(fake, alice)

    await _slash(fake, "approvers", alice, {"action": f"add <@!{bob_id}>"})
    named = await _shown(fake, "Approvers for")
    await _slash(fake, "policy", alice, {"rules": f"who=members members=<@{bob_id}>"})
    await _shown(fake, "1 listed member may print")

    policy = await _policy(runtime, fake)
    assert named.content.endswith(bob_id)
    assert policy.approvers == (f"discord:{bob_id}",)
    assert policy.members == (f"discord:{bob_id}",)


async def test_a_name_typed_without_a_mention_is_refused_and_nothing_changes(
    fake: FakeDiscord, runtime: Runtime
) -> None:
    alice = fake.asker()
    await _share_first(fake, alice)
    before = await _policy(runtime, fake)

    await _slash(fake, "policy", alice, {"rules": "mono members=@bob,Carol"})
    refused = await _shown(fake, "could not recognise")

    assert refused.ephemeral
    assert _plain("group.members_unknown", names="@bob, Carol") == refused.content
    assert await _policy(runtime, fake) == before
