"""The fake Bot API, driven by the real python-telegram-bot against loopback."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from PIL import Image
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup
from telegram import Update as PtbUpdate
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ApplicationBuilder, ContextTypes, MessageHandler
from telegram.ext import filters as ptb_filters

from tests.fakes import telegram_payloads as payloads
from tests.fakes.loopback import wait_until
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_payloads import UserPayload

ADA: UserPayload = payloads.user(4242, "Ada", language_code="en")
PDF = b"%PDF-1.4 fake document for the fake\n%%EOF\n"


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    assert server.unknown_methods == []


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.api_url, base_file_url=fake.file_url) as b:
        yield b


async def _echo_file_size(
    update: PtbUpdate, context: ContextTypes.DEFAULT_TYPE
) -> None:
    message = update.effective_message
    assert message is not None
    assert message.document is not None
    data = await (await message.document.get_file()).download_as_bytearray()
    status = await message.reply_text(f"received {len(data)} bytes")
    await status.edit_text(f"printed {message.caption}")


@pytest.fixture
async def polling_app(fake: FakeTelegram) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.api_url)
        .base_file_url(fake.file_url)
        .build()
    )
    app.add_handler(MessageHandler(ptb_filters.Document.ALL, _echo_file_size))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=5)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_polling_delivers_a_document_the_bot_downloads_and_answers(
    fake: FakeTelegram,
    polling_app: Application,  # type: ignore[type-arg]
) -> None:
    chat = fake.private_chat(ADA)
    document = fake.document(fake.add_file(PDF, "report.pdf"))
    update = fake.message_update(
        chat, ADA, document=document, caption="/print copies=2"
    )

    fake.push_update(update)
    await fake.wait_for("editMessageText")

    shown = fake.bot_messages(ADA["id"])
    assert [m.text for m in shown] == ["printed /print copies=2"]
    assert shown[0].edited
    assert fake.calls_to("getFile")[0].params == {"file_id": document["file_id"]}
    assert fake.downloads == ["documents/file_1.pdf"]
    sent = fake.calls_to("sendMessage")[0].params
    assert sent == {"chat_id": ADA["id"], "text": f"received {len(PDF)} bytes"}
    methods = [call.method for call in fake.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]


async def test_caption_command_carries_a_bot_command_entity(fake: FakeTelegram) -> None:
    chat = fake.private_chat(ADA)

    update = fake.message_update(chat, ADA, caption="/print@chatprint_bot pages=1")

    entity = update["message"]["caption_entities"][0]
    assert entity == {"type": "bot_command", "offset": 0, "length": 20}


async def test_next_poll_confirms_consumed_updates(
    fake: FakeTelegram,
    polling_app: Application,  # type: ignore[type-arg]
) -> None:
    chat = fake.private_chat(ADA)
    first = fake.message_update(chat, ADA, text="hello")

    fake.push_update(first)
    await wait_until(lambda: _polled_from(fake, first["update_id"] + 1))

    assert fake.pending_updates == []


def _polled_from(fake: FakeTelegram, offset: int) -> bool:
    polls = [c for c in fake.calls if c.method == "getUpdates"]
    return any(c.params.get("offset") == offset for c in polls)


async def test_close_answers_a_pending_long_poll_at_once(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        poll = asyncio.create_task(
            session.post(
                f"{fake.api_url}{fake.token}/getUpdates", data={"timeout": "30"}
            )
        )
        await fake.wait_until_polling()
        loop = asyncio.get_running_loop()
        started = loop.time()

        await fake.close()
        response = await poll

        assert loop.time() - started < 0.5
        assert (await response.json()) == {"ok": True, "result": []}


async def test_edit_with_same_text_and_markup_is_refused_as_not_modified(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)
    sent = await bot.send_message(ADA["id"], "Printing")

    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("Printing", chat_id=ADA["id"], message_id=sent.id)


async def test_edit_without_markup_removes_the_buttons(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Cancel", callback_data="c")]]
    )
    sent = await bot.send_message(ADA["id"], "Printing", reply_markup=keyboard)

    await bot.edit_message_text("Printing", chat_id=ADA["id"], message_id=sent.id)

    assert fake.messages[ADA["id"]][sent.id].buttons == ()


async def test_flood_control_surfaces_as_retry_after(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)
    fake.fail_next("sendMessage", error_code=429, retry_after=3)

    with pytest.raises(RetryAfter, match="Retry in 3"):
        await bot.send_message(ADA["id"], "hello")
    await bot.send_message(ADA["id"], "hello again")

    assert [m.text for m in fake.bot_messages(ADA["id"])] == ["hello again"]


async def test_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    impostor = Bot("999:wrong", base_url=fake.api_url, base_file_url=fake.file_url)

    with pytest.raises(InvalidToken, match="Unauthorized"):
        await impostor.get_me()


async def test_unknown_method_is_recorded_and_not_found(fake: FakeTelegram) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{fake.api_url}{fake.token}/sendDice"
        async with session.post(url, data={"chat_id": "1"}) as response:
            status = response.status

    assert status == 404
    assert fake.unknown_methods == ["sendDice"]
    fake.unknown_methods.clear()


async def test_string_parameters_stay_strings_in_forms(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)

    sent = await bot.send_message(ADA["id"], "123")

    assert sent.text == "123"
    assert fake.calls_to("sendMessage")[0].params["text"] == "123"


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"text": "hi"}, "Bad Request: chat_id is empty"),
        ({"chat_id": 4242}, "Bad Request: message text is empty"),
        ({"chat_id": 4242, "text": "hi", "reply_markup": 5}, "must be of type"),
        ({"chat_id": 7, "text": "hi"}, "Bad Request: chat not found"),
    ],
)
async def test_json_bodies_are_checked_like_telegram(
    fake: FakeTelegram, body: dict[str, object], description: str
) -> None:
    fake.private_chat(ADA)

    async with aiohttp.ClientSession() as session:
        url = f"{fake.api_url}{fake.token}/sendMessage"
        async with session.post(url, json=body) as response:
            envelope = await response.json()

    assert response.status == 400
    assert envelope["ok"] is False
    assert description in envelope["description"]


async def test_callback_data_over_64_bytes_is_refused(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)
    button = InlineKeyboardButton("Go", callback_data="x" * 65)

    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(
            ADA["id"], "hi", reply_markup=InlineKeyboardMarkup([[button]])
        )


async def test_url_buttons_are_kept_in_the_shown_message(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)
    button = InlineKeyboardButton("Authorize", url="http://127.0.0.1:9/authorize")

    sent = await bot.send_message(
        ADA["id"], "Link", reply_markup=InlineKeyboardMarkup([[button]])
    )

    shown = fake.messages[ADA["id"]][sent.id]
    assert shown.buttons == (
        {"text": "Authorize", "url": "http://127.0.0.1:9/authorize"},
    )


async def test_set_my_commands_records_valid_commands_per_language(
    fake: FakeTelegram, bot: Bot
) -> None:
    await bot.set_my_commands([BotCommand("print", "Print a file")], language_code="zh")

    assert fake.commands == {
        "zh": [{"command": "print", "description": "Print a file"}]
    }


@pytest.mark.parametrize(
    ("command", "language", "error"),
    [
        (BotCommand("Print", "Print a file"), None, "(?i)bot_command_invalid"),
        (BotCommand("print", ""), None, "(?i)description_invalid"),
        (BotCommand("print", "Print"), "zh-hans", "(?i)lang_code_invalid"),
    ],
)
async def test_set_my_commands_refuses_invalid_commands(
    bot: Bot, command: BotCommand, language: str | None, error: str
) -> None:
    with pytest.raises(BadRequest, match=error):
        await bot.set_my_commands([command], language_code=language)


async def test_callback_query_can_be_answered_once(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Yes", callback_data="yes")]]
    )
    sent = await bot.send_message(ADA["id"], "Sure?", reply_markup=keyboard)
    update = fake.callback_update(ADA, ADA["id"], sent.id, "yes")
    query_id = update["callback_query"]["id"]

    await bot.answer_callback_query(query_id)

    assert query_id in fake.answers
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)


async def test_uploaded_photo_and_document_are_shown(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)

    photo = await bot.send_photo(ADA["id"], _png(), caption="Page 1")
    document = await bot.send_document(ADA["id"], PDF, filename="out.pdf")

    assert photo.photo[-1].width == 40
    assert document.document is not None
    assert document.document.file_name == "out.pdf"
    kinds = [m.kind for m in fake.bot_messages(ADA["id"])]
    assert kinds == ["photo", "document"]


async def test_non_image_photo_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    fake.private_chat(ADA)

    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(ADA["id"], PDF)


async def test_webhook_is_recorded_and_blocks_get_updates(
    fake: FakeTelegram, bot: Bot
) -> None:
    await bot.set_webhook(
        "https://example.org/telegram/webhook", secret_token="s3cr-t_"
    )

    assert fake.webhook is not None
    assert fake.webhook.secret_token == "s3cr-t_"
    with pytest.raises(Exception, match=r"(?i)webhook is active"):
        await bot.get_updates()


async def test_deleted_message_is_gone(fake: FakeTelegram, bot: Bot) -> None:
    fake.private_chat(ADA)
    sent = await bot.send_message(ADA["id"], "bye")

    await bot.delete_message(ADA["id"], sent.id)

    assert sent.id not in fake.messages.get(ADA["id"], {})
    with pytest.raises(BadRequest, match=r"(?i)not found"):
        await bot.delete_message(ADA["id"], sent.id)


async def test_reply_to_an_earlier_file_quotes_the_whole_message(
    fake: FakeTelegram,
) -> None:
    chat = fake.private_chat(ADA)
    document = fake.document(fake.add_file(PDF, "a.pdf"))
    original = fake.message_update(chat, ADA, document=document)

    reply = fake.message_update(
        chat, ADA, text="/print", reply_to=original["message"]["message_id"]
    )

    assert reply["message"]["reply_to_message"]["document"] == document


async def test_media_group_shares_one_id_with_the_caption_on_the_first(
    fake: FakeTelegram,
) -> None:
    chat = fake.private_chat(ADA)
    parts = [fake.add_photo(b"small", b"large"), fake.add_photo(b"s", b"l")]

    updates = fake.media_group(chat, ADA, parts, caption="/print")

    group_ids = {u["message"]["media_group_id"] for u in updates}
    assert len(group_ids) == 1
    assert [u["message"].get("caption") for u in updates] == ["/print", None]
    assert [s["width"] for s in updates[0]["message"]["photo"]] == [90, 320]


async def test_user_seen_only_in_a_group_cannot_be_messaged_privately(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.message_update(fake.group_chat(), ADA, text="hello")

    with pytest.raises(Forbidden, match="can't initiate"):
        await bot.send_message(ADA["id"], "hi")


async def test_message_ids_are_never_reused_after_a_deletion(
    fake: FakeTelegram, bot: Bot
) -> None:
    fake.private_chat(ADA)
    first = await bot.send_message(ADA["id"], "one")
    await bot.delete_message(ADA["id"], first.id)

    second = await bot.send_message(ADA["id"], "two")

    assert second.id == first.id + 1


async def test_files_over_twenty_megabytes_cannot_be_fetched(
    fake: FakeTelegram, bot: Bot
) -> None:
    file_id = fake.add_file(b"0" * (20 * 1024 * 1024 + 1), "huge.pdf")

    with pytest.raises(BadRequest, match="too big"):
        await bot.get_file(file_id)
