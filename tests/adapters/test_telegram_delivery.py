"""The Telegram adapter shows the core's messages: send, edit in place, photos."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image
from telegram.error import BadRequest

from adapters.telegram import TelegramAdapter
from bot import catalogue
from bot.core.chat import Button, ChatTarget, OutgoingMessage
from bot.core.commands import ButtonCommand
from bot.errors import ConfigError
from bot.secret import Secret
from tests.adapters.telegram_harness import (
    ADA,
    BAO,
    RecordingCore,
    config_for,
    running_adapter,
)
from tests.fakes.telegram import FakeTelegram

ADA_CHAT = ChatTarget("telegram", str(ADA["id"]), str(ADA["id"]))
CANCEL = Button("Cancel", action="drop:7")
AUTHORIZE = Button("Authorize", url="http://127.0.0.1:9/authorize?state=x")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        fake_chat = server.private_chat(ADA)
        assert fake_chat["id"] == ADA["id"]
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


def _message_id(ref: str | None) -> int:
    assert ref is not None
    chat_id, message_id = ref.split(":")
    assert chat_id == str(ADA["id"])
    return int(message_id)


async def test_deliver_sends_text_with_buttons_and_returns_its_reference(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    message = OutgoingMessage("Link your printer", buttons=(AUTHORIZE, CANCEL))

    ref = await adapter.deliver(ADA_CHAT, message)

    shown = fake.messages[ADA["id"]][_message_id(ref)]
    assert shown.text == "Link your printer"
    assert shown.buttons == (
        {"text": "Authorize", "url": "http://127.0.0.1:9/authorize?state=x"},
        {"text": "Cancel", "callback_data": "drop:7"},
    )


async def test_deliver_edits_in_place_and_skips_unchanged_edits(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    ref = await adapter.deliver(ADA_CHAT, OutgoingMessage("Queued", buttons=(CANCEL,)))

    printing = OutgoingMessage("Printing", buttons=(CANCEL,))
    first = await adapter.deliver(ADA_CHAT, printing, replace=ref)
    again = await adapter.deliver(ADA_CHAT, printing, replace=ref)
    done = await adapter.deliver(ADA_CHAT, OutgoingMessage("Done"), replace=ref)

    assert first == again == done == ref
    assert len(fake.calls_to("editMessageText")) == 2
    assert len(fake.calls_to("sendMessage")) == 1
    shown = fake.messages[ADA["id"]][_message_id(ref)]
    assert (shown.text, shown.buttons) == ("Done", ())


async def test_not_modified_from_telegram_counts_as_success(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    ref = await adapter.deliver(ADA_CHAT, OutgoingMessage("Printing"))

    # A restarted adapter no longer remembers what the message shows.
    async with running_adapter(fake, core) as restarted:
        again = await restarted.deliver(
            ADA_CHAT, OutgoingMessage("Printing"), replace=ref
        )

    assert again == ref
    assert len(fake.calls_to("sendMessage")) == 1
    assert [c.status for c in fake.calls if c.method == "editMessageText"] == [400]


async def test_flood_control_on_an_edit_is_retried_and_the_status_kept(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    ref = await adapter.deliver(ADA_CHAT, OutgoingMessage("Waiting"))
    fake.fail_next("editMessageText", error_code=429, retry_after=1)

    await adapter.deliver(ADA_CHAT, OutgoingMessage("Completed: 3 pages"), replace=ref)

    statuses = [c.status for c in fake.calls if c.method == "editMessageText"]
    assert statuses == [429, 200]
    assert fake.messages[ADA["id"]][_message_id(ref)].text == "Completed: 3 pages"


async def test_message_that_cannot_be_edited_is_sent_anew(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    gone = await adapter.deliver(ADA_CHAT, OutgoingMessage("Waiting"))
    assert gone is not None
    await adapter._outbox._bot.delete_message(ADA["id"], _message_id(gone))  # type: ignore[union-attr]

    ref = await adapter.deliver(ADA_CHAT, OutgoingMessage("Printing"), replace=gone)

    assert ref != gone
    assert fake.messages[ADA["id"]][_message_id(ref)].text == "Printing"


def _preview(tmp_path: Path) -> Path:
    preview = tmp_path / "page1.png"
    Image.new("RGB", (60, 80), "white").save(preview)
    return preview


async def test_message_with_an_image_is_sent_as_a_photo_with_caption(
    fake: FakeTelegram, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    message = OutgoingMessage(
        "Page 1 of 3", image=_preview(tmp_path), buttons=(CANCEL,)
    )

    ref = await adapter.deliver(ADA_CHAT, message)

    shown = fake.messages[ADA["id"]][_message_id(ref)]
    assert (shown.kind, shown.text, shown.labels) == (
        "photo",
        "Page 1 of 3",
        ("Cancel",),
    )


async def test_replacing_a_photo_edits_its_caption_and_removes_the_buttons(
    fake: FakeTelegram, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    card = OutgoingMessage("Approve?", image=_preview(tmp_path), buttons=(CANCEL,))
    ref = await adapter.deliver(ADA_CHAT, card)

    later = await adapter.deliver(ADA_CHAT, OutgoingMessage("Approved"), replace=ref)

    assert later == ref
    shown = fake.messages[ADA["id"]][_message_id(ref)]
    assert (shown.kind, shown.text, shown.labels, shown.edited) == (
        "photo",
        "Approved",
        (),
        True,
    )
    assert fake.calls_to("editMessageText") == []
    assert len(fake.bot_messages(ADA["id"])) == 1


async def test_photo_forgotten_since_a_restart_still_gets_its_caption_edited(
    fake: FakeTelegram, core: RecordingCore, tmp_path: Path
) -> None:
    card = OutgoingMessage("Approve?", image=_preview(tmp_path), buttons=(CANCEL,))
    async with running_adapter(fake, core) as before:
        ref = await before.deliver(ADA_CHAT, card)

    async with running_adapter(fake, core) as after:
        later = await after.deliver(ADA_CHAT, OutgoingMessage("Expired"), replace=ref)

    assert later == ref
    assert fake.messages[ADA["id"]][_message_id(ref)].text == "Expired"
    assert len(fake.calls_to("editMessageCaption")) == 1


async def test_same_caption_again_costs_no_request(
    fake: FakeTelegram, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    card = OutgoingMessage("Approve?", image=_preview(tmp_path), buttons=(CANCEL,))
    ref = await adapter.deliver(ADA_CHAT, card)
    await adapter.deliver(ADA_CHAT, OutgoingMessage("Denied"), replace=ref)

    again = await adapter.deliver(ADA_CHAT, OutgoingMessage("Denied"), replace=ref)

    assert again == ref
    assert len(fake.calls_to("editMessageCaption")) == 1


async def test_fake_refuses_a_caption_edit_that_changes_nothing_or_has_no_media(
    fake: FakeTelegram, adapter: TelegramAdapter, tmp_path: Path
) -> None:
    bot = adapter._outbox._bot  # type: ignore[union-attr]
    photo = await adapter.deliver(
        ADA_CHAT, OutgoingMessage("Hi", image=_preview(tmp_path))
    )
    text = await adapter.deliver(ADA_CHAT, OutgoingMessage("Plain"))

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_caption(ADA["id"], _message_id(photo), caption="Hi")
    with pytest.raises(BadRequest, match="no caption"):
        await bot.edit_message_caption(ADA["id"], _message_id(text), caption="Hi")
    with pytest.raises(BadRequest, match=r"(?i)message identifier is not specified"):
        await bot.edit_message_caption(caption="Hi", inline_message_id=None)


async def test_private_answer_to_a_group_goes_to_the_users_private_chat(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    target = ChatTarget("telegram", str(group["id"]), str(ADA["id"]))

    ref = await adapter.deliver(target, OutgoingMessage("Your printers", private=True))

    assert ref is not None
    assert ref.startswith(f"{ADA['id']}:")
    assert fake.bot_messages(group["id"]) == []


async def test_private_answer_for_a_user_without_private_chat_asks_to_start_one(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    fake.push_update(fake.message_update(group, BAO, text="/printers"))
    await core.wait_for_commands()
    target = ChatTarget("telegram", str(group["id"]), str(BAO["id"]))

    await adapter.deliver(target, OutgoingMessage("Your printers", private=True))

    notice = catalogue.render(
        "telegram.open_private_chat", "zh-TW", bot="chatprint_bot"
    )
    assert notice in [m.text for m in fake.bot_messages(group["id"])]
    assert "Your printers" not in [m.text for m in fake.bot_messages(group["id"])]


async def test_action_longer_than_telegram_allows_travels_as_a_digest(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    action = "settings:" + "x" * 80
    ref = await adapter.deliver(
        ADA_CHAT, OutgoingMessage("Card", buttons=(Button("Go", action=action),))
    )
    message_id = _message_id(ref)
    data = fake.messages[ADA["id"]][message_id].buttons[0]["callback_data"]

    fake.push_update(fake.callback_update(ADA, ADA["id"], message_id, data))
    [command] = await core.wait_for_commands()

    assert len(data.encode()) <= 64
    assert isinstance(command, ButtonCommand)
    assert command.action == action


async def test_start_publishes_the_command_menu_in_english_and_chinese(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    menus = fake.commands

    assert set(menus) == {"", "en", "zh"}
    english = {c["command"]: c["description"] for c in menus["en"]}
    chinese = {c["command"]: c["description"] for c in menus["zh"]}
    assert english["print"] == catalogue.render("command.print.description", "en")
    assert chinese["print"] == catalogue.render("command.print.description", "zh-TW")
    assert menus[""] == menus["en"]
    assert menus["en"][0]["command"] == "print"


async def test_menu_offers_the_group_commands_with_their_catalogue_descriptions(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    group_commands = ("share", "unshare", "invite", "join", "policy", "approvers")
    more = ("pause", "resume", "usage", "connect", "reprint")

    chinese = {c["command"]: c["description"] for c in fake.commands["zh"]}

    for name in (*group_commands, *more):
        wanted = catalogue.render(f"command.{name}.description", "zh-TW")
        assert chinese[name] == wanted, name
    assert "start" not in chinese


async def test_private_answer_from_a_group_edits_the_private_message_it_replaces(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    target = ChatTarget("telegram", str(group["id"]), str(ADA["id"]))
    ref = await adapter.deliver(target, OutgoingMessage("Card", private=True))

    again = await adapter.deliver(
        target, OutgoingMessage("Card, edited", private=True), replace=ref
    )

    assert again == ref
    assert [m.text for m in fake.bot_messages(ADA["id"])] == ["Card, edited"]


async def test_refused_token_is_a_config_error_and_nothing_is_left_running(
    fake: FakeTelegram, core: RecordingCore
) -> None:
    config = config_for(fake, token=Secret("123456789:not-the-real-token"))
    adapter = TelegramAdapter(config, core)

    with pytest.raises(ConfigError, match=r"refused telegram\.token") as refused:
        await adapter.start()

    assert refused.value.__cause__ is None
    assert refused.value.__suppress_context__
    assert "not-the-real-token" not in str(refused.value)
    with pytest.raises(RuntimeError, match="not started"):
        await adapter.deliver(ADA_CHAT, OutgoingMessage("hello"))
