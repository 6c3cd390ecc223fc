"""Telegram groups end to end: naming people by @username in /policy and /approvers.

The bot learns a username only from people it has seen; a name it cannot turn
into a user id is refused with what works instead, and nothing changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.policy import Policy
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.adapters.telegram_harness import ADA, link_printer, real_core, wait_shown
from tests.fakes import telegram_payloads as payloads
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_payloads import ChatPayload, UserPayload

ALICE: UserPayload = payloads.user(7272, "Alice", username="alice_reads")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.private_chat(ADA)
        server.private_chat(ALICE)
        yield server
    assert server.unknown_methods == []


@pytest.fixture
async def runtime(
    tmp_path: Path, simulator: Simulator, fake: FakeTelegram
) -> AsyncIterator[Runtime]:
    async with real_core(tmp_path, simulator, fake) as started:
        yield started


@pytest.fixture
async def group(fake: FakeTelegram, runtime: Runtime) -> ChatPayload:
    """A group where Ada has linked and shared her printer."""
    await link_printer(fake, ADA)
    chat = fake.group_chat("Book Club")
    _say(fake, chat, ADA, "/share")
    await wait_shown(fake, chat["id"], "is now shared with Book Club")
    return chat


def _say(
    fake: FakeTelegram,
    chat: ChatPayload,
    user: UserPayload,
    text: str,
    reply_to: int | None = None,
) -> None:
    fake.push_update(fake.message_update(chat, user, text=text, reply_to=reply_to))


async def _policy(runtime: Runtime, chat: ChatPayload) -> Policy:
    group = await runtime.store.find_group("telegram", str(chat["id"]))
    assert group is not None
    [share] = await runtime.store.load_shares(group.id)
    return Policy.from_dict(share.policy)


async def test_an_approver_named_by_an_unseen_username_is_refused_and_unchanged(
    fake: FakeTelegram, group: ChatPayload, runtime: Runtime
) -> None:
    _say(fake, group, ADA, "/approvers add @alice_reads")
    refused = await wait_shown(fake, ADA["id"], "could not recognise")

    _say(fake, group, ADA, "/approvers")
    listed = await wait_shown(fake, group["id"], "Approvers for")

    assert "@alice_reads" in refused.text
    assert "reply" in refused.text
    assert listed.text.endswith(": -")
    assert (await _policy(runtime, group)).approvers == ()


async def test_policy_lists_every_unseen_username_and_keeps_the_old_rules(
    fake: FakeTelegram, group: ChatPayload, runtime: Runtime
) -> None:
    before = await _policy(runtime, group)

    _say(fake, group, ADA, "/policy who=members members=@alice_reads,@ghost_x mono")
    refused = await wait_shown(fake, ADA["id"], "could not recognise")

    assert "@alice_reads, @ghost_x" in refused.text
    assert await _policy(runtime, group) == before


async def test_a_reply_to_a_message_the_bot_never_saw_names_its_author(
    fake: FakeTelegram, group: ChatPayload, runtime: Runtime
) -> None:
    # In privacy mode the bot never receives Alice's plain message.
    unseen = fake.message_update(group, ALICE, text="Can I print my essay?")
    replied_to = unseen["message"]["message_id"]

    _say(fake, group, ADA, "/approvers add @alice_reads", reply_to=replied_to)
    named = await wait_shown(fake, group["id"], "Approvers for")

    assert named.text.endswith(str(ALICE["id"]))
    assert (await _policy(runtime, group)).approvers == (f"telegram:{ALICE['id']}",)


async def test_a_username_counts_once_its_person_sent_the_bot_a_command(
    fake: FakeTelegram, group: ChatPayload, runtime: Runtime
) -> None:
    _say(fake, group, ALICE, "/usage")
    await wait_shown(fake, ALICE["id"], "Your pages on")

    _say(fake, group, ADA, "/policy who=members members=@Alice_Reads")
    rules = await wait_shown(fake, group["id"], "Rules for")

    assert "1 listed member may print" in rules.text
    assert (await _policy(runtime, group)).members == (f"telegram:{ALICE['id']}",)
