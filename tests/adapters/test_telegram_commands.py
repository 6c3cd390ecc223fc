"""Telegram messages become the right core commands (against the fake Bot API)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.telegram import TelegramAdapter
from bot import catalogue
from bot.convert.errors import EmptyFile
from bot.core.chat import OutgoingMessage
from bot.core.commands import (
    ButtonCommand,
    CancelCommand,
    Command,
    ForgetCommand,
    HelpCommand,
    JobsCommand,
    LinkCommand,
    PrintCommand,
    PrintersCommand,
    ReprintCommand,
    SettingsCommand,
    StartCommand,
    StatusCommand,
    UnlinkCommand,
)
from tests.adapters.telegram_harness import ADA, BAO, RecordingCore, running_adapter
from tests.fakes.loopback import wait_until
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_payloads import DocumentPayload, PhotoSizePayload

PDF = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"


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


async def _read(command: Command, index: int = 0) -> bytes:
    assert isinstance(command, PrintCommand)
    chunks = [chunk async for chunk in command.attachments[index].open()]
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("text", "kind", "fields"),
    [
        ("/start linked", StartCommand, {"payload": "linked"}),
        ("/help", HelpCommand, {}),
        ("/help@chatprint_bot", HelpCommand, {}),
        ("/link", LinkCommand, {}),
        ("/unlink Office 2F", UnlinkCommand, {"printer": "Office 2F"}),
        ("/printers default Home", PrintersCommand, {"argument": "default Home"}),
        ("/print copies=2", PrintCommand, {"options": "copies=2", "ask": False}),
        ("/status 12", StatusCommand, {"job": "12"}),
        ("/jobs", JobsCommand, {}),
        ("/cancel 3", CancelCommand, {"job": "3"}),
        ("/reprint 4", ReprintCommand, {"job": "4"}),
        ("/settings copies=2 mono", SettingsCommand, {"options": "copies=2 mono"}),
        ("/forget yes", ForgetCommand, {"confirmed": True}),
    ],
)
async def test_each_text_command_maps_to_its_core_command(
    fake: FakeTelegram,
    core: RecordingCore,
    adapter: TelegramAdapter,
    text: str,
    kind: type[Command],
    fields: dict[str, object],
) -> None:
    update = fake.message_update(fake.private_chat(ADA), ADA, text=text)

    fake.push_update(update)
    [command] = await core.wait_for_commands()

    assert type(command) is kind
    assert {name: getattr(command, name) for name in fields} == fields


async def test_origin_names_sender_chat_language_and_update(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    update = fake.message_update(fake.private_chat(BAO), BAO, text="/jobs")

    fake.push_update(update)
    [command] = await core.wait_for_commands()

    origin = command.origin
    assert origin.event_id == f"telegram:{update['update_id']}"
    assert origin.sender.user_id == "5151"
    assert origin.sender.display_name == "Bao"
    assert origin.sender.language == "zh-hans"
    assert (origin.target.chat_id, origin.target.user_id) == ("5151", "5151")
    assert origin.is_group is False


async def test_answers_are_sent_to_the_asking_chat(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    fake.push_update(fake.message_update(fake.private_chat(ADA), ADA, text="/help"))

    await fake.wait_for("sendMessage")

    assert [m.text for m in fake.bot_messages(ADA["id"])] == ["handled HelpCommand"]


async def test_unknown_command_in_private_chat_is_answered_from_the_catalogue(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    fake.push_update(fake.message_update(fake.private_chat(ADA), ADA, text="/dance"))

    await fake.wait_for("sendMessage")

    assert core.commands == []
    [shown] = fake.bot_messages(ADA["id"])
    assert "/dance" in shown.text


async def test_caption_print_carries_options_and_a_streamable_document(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    document = fake.document(
        fake.add_file(PDF, "report.pdf"), mime_type="application/pdf"
    )
    update = fake.message_update(
        fake.private_chat(ADA), ADA, document=document, caption="/print copies=2 mono"
    )

    fake.push_update(update)
    [command] = await core.wait_for_commands()

    assert isinstance(command, PrintCommand)
    assert command.options == "copies=2 mono"
    assert command.ask is False
    [attachment] = command.attachments
    assert (attachment.name, attachment.size) == ("report.pdf", len(PDF))
    assert attachment.ref == document["file_id"]
    assert attachment.is_photo is False
    assert await _read(command) == PDF


async def test_document_without_caption_in_private_chat_asks_for_settings(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    document = fake.document(fake.add_file(PDF, "a.pdf"))

    fake.push_update(
        fake.message_update(fake.private_chat(ADA), ADA, document=document)
    )
    [command] = await core.wait_for_commands()

    assert isinstance(command, PrintCommand)
    assert command.ask is True
    assert [a.name for a in command.attachments] == ["a.pdf"]


async def test_photo_prints_its_largest_size_in_photo_mode(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    sizes = fake.add_photo(b"thumb", b"medium-size", b"the large original")

    update = fake.message_update(
        fake.private_chat(ADA), ADA, photo=sizes, caption="/print"
    )
    fake.push_update(update)
    [command] = await core.wait_for_commands()

    assert isinstance(command, PrintCommand)
    [attachment] = command.attachments
    assert attachment.ref == sizes[-1]["file_id"]
    assert attachment.is_photo is True
    assert attachment.name == "photo.jpg"
    assert await _read(command) == b"the large original"


async def test_album_becomes_one_command_with_every_file(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    chat = fake.private_chat(ADA)
    parts: list[DocumentPayload | list[PhotoSizePayload]] = [
        fake.add_photo(b"s1", b"large one"),
        fake.document(fake.add_file(PDF, "b.pdf")),
        fake.add_photo(b"s3", b"large three"),
    ]
    updates = fake.media_group(chat, ADA, parts, caption="/print copies=3")

    for update in updates:
        fake.push_update(update)
    [command] = await core.wait_for_commands()
    await fake.wait_for("sendMessage")

    assert isinstance(command, PrintCommand)
    assert [a.name for a in command.attachments] == ["photo.jpg", "b.pdf", "photo.jpg"]
    assert command.options == "copies=3"
    assert command.combine is None
    assert command.origin.event_id == f"telegram:{updates[0]['update_id']}"
    assert len(core.commands) == 1


async def test_print_replying_to_an_earlier_file_prints_that_file(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    chat = fake.private_chat(ADA)
    document = fake.document(fake.add_file(PDF, "earlier.pdf"))
    earlier = fake.message_update(chat, ADA, document=document, caption="for later")
    reply_to = earlier["message"]["message_id"]

    fake.push_update(
        fake.message_update(chat, ADA, text="/print pages=1", reply_to=reply_to)
    )
    [command] = await core.wait_for_commands()

    assert isinstance(command, PrintCommand)
    assert command.options == "pages=1"
    assert [a.name for a in command.attachments] == ["earlier.pdf"]


async def test_group_ignores_plain_files_but_handles_print_captions(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    plain = fake.document(fake.add_file(PDF, "minutes.pdf"))
    wanted = fake.document(fake.add_file(PDF, "print-me.pdf"))
    ignored = fake.message_update(group, ADA, document=plain)
    asked = fake.message_update(group, ADA, document=wanted, caption="/print")

    fake.push_update(ignored)
    fake.push_update(asked)
    await fake.wait_for("sendMessage")

    [command] = core.commands
    assert isinstance(command, PrintCommand)
    assert [a.name for a in command.attachments] == ["print-me.pdf"]
    assert command.origin.is_group is True
    assert command.origin.chat_title == "Office"
    assert command.origin.target.chat_id == str(group["id"])


async def test_group_handles_a_mention_with_a_file_as_a_print_request(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    document = fake.document(fake.add_file(PDF, "poster.pdf"))
    update = fake.message_update(
        group, ADA, document=document, caption="@chatprint_bot copies=2"
    )

    fake.push_update(update)
    [command] = await core.wait_for_commands()

    assert isinstance(command, PrintCommand)
    assert command.options == "copies=2"
    assert [a.name for a in command.attachments] == ["poster.pdf"]


async def test_group_mention_without_a_file_asks_for_help(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()

    fake.push_update(fake.message_update(group, ADA, text="hey @chatprint_bot?"))
    [command] = await core.wait_for_commands()

    assert isinstance(command, HelpCommand)


async def test_group_ignores_commands_for_other_bots_and_unknown_commands(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    group = fake.group_chat()
    for text in ("/print@otherbot", "/roll d20", "/jobs"):
        fake.push_update(fake.message_update(group, ADA, text=text))

    await fake.wait_for("sendMessage")
    await wait_until(lambda: not fake.pending_updates)

    assert [type(c) for c in core.commands] == [JobsCommand]
    assert len(fake.calls_to("sendMessage")) == 1


async def test_button_press_becomes_a_button_command_and_edits_its_card(
    fake: FakeTelegram, core: RecordingCore, adapter: TelegramAdapter
) -> None:
    fake.push_update(fake.message_update(fake.private_chat(ADA), ADA, text="/print"))
    await fake.wait_for("sendMessage")
    [card_id] = fake.messages[ADA["id"]].keys() - {1}
    press = fake.callback_update(ADA, ADA["id"], card_id, "go:7")

    fake.push_update(press)
    await fake.wait_for("editMessageText")

    button = core.commands[-1]
    assert isinstance(button, ButtonCommand)
    assert button.action == "go:7"
    assert button.origin.status_ref == f"{ADA['id']}:{card_id}"
    assert press["callback_query"]["id"] in fake.answers
    assert fake.messages[ADA["id"]][card_id].text == "handled ButtonCommand"
    assert len(fake.bot_messages(ADA["id"])) == 1


def _raise_for_jobs(command: Command) -> list[OutgoingMessage]:
    if isinstance(command, JobsCommand):
        raise RuntimeError("the core broke")
    if isinstance(command, StatusCommand):
        raise EmptyFile("zero bytes")
    return []


async def test_error_hook_shows_a_chatprint_error_from_the_catalogue(
    fake: FakeTelegram,
) -> None:
    core = RecordingCore(_raise_for_jobs)
    async with running_adapter(fake, core):
        fake.push_update(
            fake.message_update(fake.private_chat(BAO), BAO, text="/status")
        )
        await fake.wait_for("sendMessage")

    [shown] = fake.bot_messages(BAO["id"])
    assert shown.text == catalogue.render("intake.empty", "zh-TW")


async def test_error_hook_logs_anything_else_and_apologises(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    core = RecordingCore(_raise_for_jobs)
    async with running_adapter(fake, core):
        fake.push_update(fake.message_update(fake.private_chat(ADA), ADA, text="/jobs"))
        await fake.wait_for("sendMessage")

    [shown] = fake.bot_messages(ADA["id"])
    assert shown.text == catalogue.render("error.unexpected", "en")
    [record] = [r for r in caplog.records if r.exc_info]
    assert record.name == "adapters.telegram"
    assert record.exc_info is not None
    assert "the core broke" in str(record.exc_info[1])
