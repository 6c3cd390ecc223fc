"""Telegram groups end to end: sharing, approval cards, usage and invite deep links.

The fake Bot API, the adapter, the real core and the Epson simulator; every test
runs at DEBUG and fails if the bot token reaches a log record.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.adapters.telegram_harness import ADA, link_printer, real_core, wait_shown
from tests.core.conftest import write_pdf
from tests.fakes import telegram_payloads as payloads
from tests.fakes.telegram import FakeTelegram, ShownMessage
from tests.fakes.telegram_payloads import ChatPayload, UserPayload

FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")
MEI: UserPayload = payloads.user(7171, "Mei", language_code="en")
NOA: UserPayload = payloads.user(8181, "Noa", language_code="en")
INVITE_CODE = re.compile(r"Invite code for .+: ([A-Z0-9]+)")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.private_chat(ADA)
        server.private_chat(MEI)
        yield server
    assert server.unknown_methods == []


@pytest.fixture(autouse=True)
def token_kept_out_of_logs(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    """Record every flow at DEBUG; after it, no record may hold the token."""
    caplog.set_level(logging.DEBUG)
    yield
    records = [
        record
        for when in ("setup", "call", "teardown")
        for record in caplog.get_records(when)
    ]
    text = "\n".join(FORMATTER.format(record) for record in records)
    assert "Telegram bot @chatprint_bot started" in text
    assert fake.token not in text
    assert fake.token.split(":", 1)[1] not in text


@pytest.fixture
async def runtime(
    tmp_path: Path, simulator: Simulator, fake: FakeTelegram
) -> AsyncIterator[Runtime]:
    async with real_core(tmp_path, simulator, fake) as started:
        yield started


@pytest.fixture
async def group(fake: FakeTelegram, runtime: Runtime) -> ChatPayload:
    """A group where Ada has linked and shared her printer (every request asks)."""
    await link_printer(fake, ADA)
    chat = fake.group_chat("Book Club")
    _say(fake, chat, ADA, "/share")
    await wait_shown(fake, chat["id"], "is now shared with Book Club")
    return chat


def _say(fake: FakeTelegram, chat: ChatPayload, user: UserPayload, text: str) -> None:
    fake.push_update(fake.message_update(chat, user, text=text))


def _print_in_group(
    fake: FakeTelegram, chat: ChatPayload, path: Path, user: UserPayload = MEI
) -> None:
    document = fake.document(fake.add_file(path.read_bytes(), path.name))
    update = fake.message_update(chat, user, document=document, caption="/print")
    fake.push_update(update)


async def _approval_card(fake: FakeTelegram, chat: ChatPayload) -> tuple[int, str]:
    """The id of the group's approval card and the data of its Approve button."""
    await wait_shown(fake, chat["id"], "asks to print")
    [(card_id, card)] = [
        (message_id, shown)
        for message_id, shown in fake.messages[chat["id"]].items()
        if shown.from_bot and "asks to print" in shown.text
    ]
    approve = next(b["callback_data"] for b in card.buttons if b["text"] == "Approve")
    return card_id, approve


def _card(fake: FakeTelegram, chat: ChatPayload, card_id: int) -> ShownMessage:
    return fake.messages[chat["id"]][card_id]


async def test_owner_approves_a_member_request_and_the_card_caption_closes(
    fake: FakeTelegram, group: ChatPayload, simulator: Simulator, tmp_path: Path
) -> None:
    _print_in_group(fake, group, write_pdf(tmp_path / "essay.pdf", pages=3))
    await wait_shown(fake, group["id"], "is waiting for approval")
    card_id, approve = await _approval_card(fake, group)
    assert _card(fake, group, card_id).kind == "photo"
    assert simulator.prints == []

    fake.push_update(fake.callback_update(ADA, group["id"], card_id, approve))
    await wait_shown(fake, group["id"], "Done:")

    [record] = simulator.prints
    assert record.pages == 3
    card = _card(fake, group, card_id)
    assert (card.kind, card.text, card.buttons) == (
        "photo",
        "Approved by Ada: essay.pdf.",
        (),
    )
    assert fake.calls_to("editMessageCaption")
    await wait_shown(fake, group["id"], "was approved by Ada")


async def test_a_member_pressing_approve_is_refused_and_nothing_prints(
    fake: FakeTelegram,
    group: ChatPayload,
    runtime: Runtime,
    simulator: Simulator,
    tmp_path: Path,
) -> None:
    _print_in_group(fake, group, write_pdf(tmp_path / "essay.pdf"))
    card_id, approve = await _approval_card(fake, group)

    fake.push_update(fake.callback_update(MEI, group["id"], card_id, approve))
    refused = await wait_shown(fake, MEI["id"], "Only the printer's owner")

    assert "approver" in refused.text
    [job] = await runtime.store.load_unfinished_jobs()
    assert job.state == "held"
    assert _card(fake, group, card_id).labels == ("Approve", "Deny")
    assert simulator.prints == []


async def test_usage_in_the_group_answers_the_member_privately(
    fake: FakeTelegram, group: ChatPayload
) -> None:
    _say(fake, group, MEI, "/usage")

    answer = await wait_shown(fake, MEI["id"], "Your pages on")

    assert "This month: 0" in answer.text


async def _invite_code(fake: FakeTelegram) -> str:
    """Ada links her printer and asks for an invite code in private."""
    await link_printer(fake, ADA)
    _say(fake, fake.private_chat(ADA), ADA, "/invite")
    invite = await wait_shown(fake, ADA["id"], "Invite code for")
    match = INVITE_CODE.search(invite.text)
    assert match is not None
    return match.group(1)


async def test_startgroup_deep_link_with_an_invite_shares_the_printer(
    fake: FakeTelegram, runtime: Runtime
) -> None:
    code = await _invite_code(fake)
    chat = fake.group_chat("Choir")

    _say(fake, chat, ADA, f"/start@chatprint_bot join-{code}")
    await wait_shown(fake, chat["id"], "is now shared with Choir")

    group = await runtime.store.find_group("telegram", str(chat["id"]))
    assert group is not None
    assert len(await runtime.store.load_shares(group.id)) == 1


async def test_an_invite_deep_link_works_only_once(
    fake: FakeTelegram, runtime: Runtime
) -> None:
    code = await _invite_code(fake)
    first, second = fake.group_chat("Choir"), fake.group_chat("Band")
    _say(fake, first, ADA, f"/start@chatprint_bot join-{code}")
    await wait_shown(fake, first["id"], "is now shared with Choir")

    _say(fake, second, MEI, f"/start@chatprint_bot join-{code}")
    await wait_shown(fake, MEI["id"], "invite code is not valid")

    assert fake.bot_messages(second["id"]) == []


async def test_join_deep_link_in_a_private_chat_asks_for_the_group(
    fake: FakeTelegram, runtime: Runtime
) -> None:
    _say(fake, fake.private_chat(MEI), MEI, "/start join-K7PX2MQ9RT")

    told = await wait_shown(fake, MEI["id"], "works in a group chat")

    assert "/start" not in told.text


async def test_a_member_named_approver_by_mention_may_approve(
    fake: FakeTelegram, group: ChatPayload, simulator: Simulator, tmp_path: Path
) -> None:
    naming = fake.message_update(
        group, ADA, text="/approvers add Mei", text_mentions=[("Mei", MEI)]
    )
    fake.push_update(naming)
    named = await wait_shown(fake, group["id"], "Approvers for")
    assert named.text.endswith(str(MEI["id"]))
    _print_in_group(fake, group, write_pdf(tmp_path / "essay.pdf"), user=NOA)
    card_id, approve = await _approval_card(fake, group)

    fake.push_update(fake.callback_update(MEI, group["id"], card_id, approve))
    await wait_shown(fake, group["id"], "Done:")

    assert len(simulator.prints) == 1
    assert _card(fake, group, card_id).text == "Approved by Mei: essay.pdf."
