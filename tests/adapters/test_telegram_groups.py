"""Group commands from Telegram: names, mentions as user ids, invite deep links."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest
from telegram import User

from adapters.telegram import TelegramAdapter
from adapters.telegram_mentions import MemberDirectory
from bot.core.commands import (
    ApproversCommand,
    Command,
    ConnectCommand,
    InviteCommand,
    JoinCommand,
    PauseCommand,
    PolicyCommand,
    ResumeCommand,
    ShareCommand,
    StartCommand,
    UnshareCommand,
    UsageCommand,
)
from tests.adapters.telegram_harness import ADA, BAO, RecordingCore, running_adapter
from tests.fakes import telegram_payloads as payloads
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_payloads import ChatPayload, UserPayload

CY: UserPayload = payloads.user(6161, "Cy", username="cy_reads")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    assert server.unknown_methods == []


@pytest.fixture
def core() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def adapter(
    fake: FakeTelegram, core: RecordingCore
) -> AsyncIterator[TelegramAdapter]:
    async with running_adapter(fake, core) as started:
        yield started


async def _command_for(
    fake: FakeTelegram,
    core: RecordingCore,
    chat: ChatPayload,
    text: str,
    text_mentions: Sequence[tuple[str, UserPayload]] = (),
) -> Command:
    count = len(core.commands) + 1
    update = fake.message_update(chat, ADA, text=text, text_mentions=text_mentions)
    fake.push_update(update)
    commands = await core.wait_for_commands(count)
    return commands[-1]


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("/share Office", ShareCommand, {"argument": "Office"}),
        ("/share@chatprint_bot channel", ShareCommand, {"argument": "channel"}),
        ("/unshare Office", UnshareCommand, {"printer": "Office"}),
        ("/invite revoke", InviteCommand, {"argument": "revoke"}),
        ("/join K7PX2MQ9RT", JoinCommand, {"code": "K7PX2MQ9RT"}),
        ("/policy auto=5 mono", PolicyCommand, {"argument": "auto=5 mono"}),
        ("/approvers", ApproversCommand, {"argument": ""}),
        ("/pause", PauseCommand, {"printer": ""}),
        ("/resume Office", ResumeCommand, {"printer": "Office"}),
        ("/usage", UsageCommand, {}),
        ("/connect 123456", ConnectCommand, {"code": "123456"}),
    ],
)
async def test_group_commands_become_their_core_commands(
    fake: FakeTelegram,
    core: RecordingCore,
    adapter: TelegramAdapter,
    text: str,
    kind: type[Command],
    fields: dict[str, object],
) -> None:
    group = fake.group_chat()

    command = await _command_for(fake, core, group, text)

    assert type(command) is kind
    assert command.origin.is_group
    for name, value in fields.items():
        assert getattr(command, name) == value


async def test_text_mention_of_a_person_without_username_becomes_their_id(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    text = "/approvers add Bao 🐼"

    command = await _command_for(
        fake, core, group, text, text_mentions=[("Bao 🐼", BAO)]
    )

    assert isinstance(command, ApproversCommand)
    assert command.argument == f"add @{BAO['id']}"


async def test_mention_of_a_username_seen_before_becomes_the_id(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    fake.push_update(fake.message_update(group, CY, text="/usage"))
    await core.wait_for_commands(1)

    command = await _command_for(
        fake,
        core,
        group,
        "/policy members=🐼Bao,@CY_reads,@stranger mono",
        text_mentions=[("🐼Bao", BAO)],
    )

    assert isinstance(command, PolicyCommand)
    assert command.argument == (f"members=@{BAO['id']},@{CY['id']},@stranger mono")


async def test_the_bots_own_mention_is_kept_for_option_text(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()

    command = await _command_for(fake, core, group, "/approvers@chatprint_bot")

    assert isinstance(command, ApproversCommand)
    assert command.argument == ""


async def test_private_join_deep_link_becomes_a_join_command(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    chat = fake.private_chat(ADA)

    command = await _command_for(fake, core, chat, "/start join-K7PX2MQ9RT")

    assert isinstance(command, JoinCommand)
    assert command.code == "K7PX2MQ9RT"
    assert not command.origin.is_group


async def test_startgroup_payload_in_a_group_becomes_a_join_command(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()

    command = await _command_for(fake, core, group, "/start@chatprint_bot K7PX2MQ9RT")

    assert isinstance(command, JoinCommand)
    assert command.code == "K7PX2MQ9RT"
    assert command.origin.is_group


@pytest.mark.parametrize("text", ["/start", "/start linked"])
async def test_start_without_an_invite_in_a_private_chat_stays_start(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter, text: str
) -> None:
    chat = fake.private_chat(ADA)

    command = await _command_for(fake, core, chat, text)

    assert isinstance(command, StartCommand)


def test_member_directory_forgets_the_least_recently_seen_past_its_limit() -> None:
    directory = MemberDirectory(limit=2)
    people = [User(n, f"P{n}", is_bot=False, username=f"p{n}") for n in (1, 2, 3)]

    directory.remember(people[0])
    directory.remember(people[1])
    directory.remember(people[0])
    directory.remember(people[2])

    assert directory.get_id("P1") == 1
    assert directory.get_id("p2") is None
    assert directory.get_id("p3") == 3


def test_member_directory_ignores_bots_and_people_without_username() -> None:
    directory = MemberDirectory()

    directory.remember(User(7, "Helper", is_bot=True, username="helper_bot"))
    directory.remember(User(8, "Quiet", is_bot=False))

    assert directory.get_id("helper_bot") is None
