"""Telegram end to end: fake Bot API, adapter, real core and the Epson simulator."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from PIL import Image

from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.adapters.telegram_harness import ADA, link_printer, real_core, wait_shown
from tests.core.conftest import write_pdf
from tests.fakes.loopback import wait_until
from tests.fakes.telegram import FakeTelegram, ShownMessage
from tests.fakes.telegram_payloads import (
    DocumentPayload,
    PhotoSizePayload,
    UserPayload,
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server
    assert server.unknown_methods == []


@pytest.fixture
async def runtime(
    tmp_path: Path, simulator: Simulator, fake: FakeTelegram
) -> AsyncIterator[Runtime]:
    async with real_core(tmp_path, simulator, fake) as started:
        yield started


async def _shown(
    fake: FakeTelegram, user: UserPayload, needle: str, timeout: float = 10
) -> ShownMessage:
    """Wait until the bot shows ``user`` a message containing ``needle``."""
    return await wait_shown(fake, user["id"], needle, timeout)


def _send_file(fake: FakeTelegram, data: bytes, name: str, caption: str | None) -> None:
    document = fake.document(fake.add_file(data, name))
    chat = fake.private_chat(ADA)
    fake.push_update(fake.message_update(chat, ADA, document=document, caption=caption))


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 120, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


async def test_link_opens_the_authorize_button_and_announces_the_printer(
    fake: FakeTelegram, runtime: Runtime
) -> None:
    linked = await link_printer(fake)

    identity = await runtime.store.find_identity("telegram", str(ADA["id"]))
    assert identity is not None
    [printer] = await runtime.store.load_printers(identity.id)
    assert printer.name in linked.text


async def test_caption_print_edits_one_status_message_to_completed(
    fake: FakeTelegram, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    await link_printer(fake)
    pdf = write_pdf(tmp_path / "report.pdf", pages=2).read_bytes()

    _send_file(fake, pdf, "report.pdf", "/print copies=2")
    done = await _shown(fake, ADA, "Done:")

    assert "report.pdf" in done.text
    assert "4 pages" in done.text
    assert done.edited
    [record] = simulator.prints
    assert record.settings["copies"] == 2
    # One status message, edited in place rather than sent anew.
    statuses = [
        c for c in fake.calls_to("sendMessage") if "report.pdf" in c.params["text"]
    ]
    assert len(statuses) == 1
    assert len(fake.calls_to("editMessageText")) >= 1
    # Located once, while the request was being recorded, and not again.
    assert len(fake.calls_to("getFile")) == 1


async def test_photo_prints_the_largest_size_in_photo_mode(
    fake: FakeTelegram, runtime: Runtime, simulator: Simulator
) -> None:
    await link_printer(fake)
    sizes = fake.add_photo(_jpeg(90, 68), _jpeg(800, 600))
    chat = fake.private_chat(ADA)

    fake.push_update(fake.message_update(chat, ADA, photo=sizes, caption="/print"))
    await _shown(fake, ADA, "Done:")

    [record] = simulator.prints
    assert record.print_mode == "photo"
    fetched = {call.params["file_id"] for call in fake.calls_to("getFile")}
    assert fetched == {sizes[-1]["file_id"]}


async def test_unlinked_user_is_told_how_to_link(
    fake: FakeTelegram, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf").read_bytes()

    _send_file(fake, pdf, "a.pdf", "/print")
    told = await _shown(fake, ADA, "/link")

    assert "not linked" in told.text
    assert simulator.prints == []


async def test_file_that_cannot_be_printed_gets_the_catalogue_sentence(
    fake: FakeTelegram, runtime: Runtime, simulator: Simulator
) -> None:
    await link_printer(fake)

    _send_file(fake, b"\x00\x01 not a document \xfe" * 40, "mystery.bin", "/print")
    told = await _shown(fake, ADA, "can't print this kind of file")

    assert "PDF" in told.text
    assert simulator.prints == []


def _press(fake: FakeTelegram, card_id: int, action_prefix: str) -> None:
    """Press the first button on the card whose action starts with the prefix."""
    shown = fake.messages[ADA["id"]][card_id]
    actions = [b.get("callback_data", "") for b in shown.buttons]
    data = next(a for a in actions if a.startswith(action_prefix))
    fake.push_update(fake.callback_update(ADA, ADA["id"], card_id, data))


async def _card_id(fake: FakeTelegram, action_prefix: str) -> int:
    """Wait for the bot's message with a button whose action starts with the prefix."""

    def find() -> int | None:
        for message_id, shown in fake.messages.get(ADA["id"], {}).items():
            actions = [b.get("callback_data", "") for b in shown.buttons]
            if any(action.startswith(action_prefix) for action in actions):
                return message_id
        return None

    await wait_until(lambda: find() is not None, message=f"a {action_prefix} card")
    found = find()
    assert found is not None
    return found


async def test_settings_card_buttons_edit_the_card_then_print(
    fake: FakeTelegram, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    await link_printer(fake)
    pdf = write_pdf(tmp_path / "card.pdf").read_bytes()
    _send_file(fake, pdf, "card.pdf", None)
    card_id = await _card_id(fake, "go:")

    _press(fake, card_id, "set:")
    await fake.wait_for("editMessageText", lambda c: c.params["message_id"] == card_id)
    _press(fake, card_id, "go:")
    done = await _shown(fake, ADA, "Done:")

    assert "2 pages" in done.text
    [record] = simulator.prints
    assert record.settings["copies"] == 2
    assert len(fake.answers) == 2


async def test_album_asks_one_document_or_several_and_prints_the_choice(
    fake: FakeTelegram, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    await link_printer(fake)
    chat = fake.private_chat(ADA)
    parts: list[DocumentPayload | list[PhotoSizePayload]] = [
        fake.document(
            fake.add_file(write_pdf(tmp_path / f"{n}.pdf").read_bytes(), f"{n}.pdf")
        )
        for n in ("one", "two")
    ]
    for update in fake.media_group(chat, ADA, parts, caption="/print"):
        fake.push_update(update)
    card_id = await _card_id(fake, "combine:")

    _press(fake, card_id, "combine:")
    done = await _shown(fake, ADA, "Done:")

    assert "2 pages" in done.text
    [record] = simulator.prints
    assert record.pages == 2


async def test_link_asked_in_a_group_is_answered_in_private(
    fake: FakeTelegram, runtime: Runtime
) -> None:
    group = fake.group_chat()
    fake.private_chat(ADA)

    fake.push_update(fake.message_update(group, ADA, text="/link"))
    prompt = await _shown(fake, ADA, "link your Epson printer")

    assert any("url" in button for button in prompt.buttons)
    assert fake.bot_messages(group["id"]) == []


async def test_group_member_without_a_private_chat_is_asked_to_open_one(
    fake: FakeTelegram, runtime: Runtime
) -> None:
    group = fake.group_chat()

    fake.push_update(fake.message_update(group, ADA, text="/link"))
    await wait_until(lambda: bool(fake.bot_messages(group["id"])))

    [notice] = fake.bot_messages(group["id"])
    assert "t.me/chatprint_bot" in notice.text
    assert notice.buttons == ()


async def test_link_page_leads_back_to_the_chat_with_the_bot(
    fake: FakeTelegram, runtime: Runtime
) -> None:
    fake.push_update(fake.message_update(fake.private_chat(ADA), ADA, text="/link"))
    prompt = await _shown(fake, ADA, "link your Epson printer")
    [url] = [b["url"] for b in prompt.buttons if "url" in b]

    async with aiohttp.ClientSession() as session, session.get(url) as response:
        page = await response.text()

    assert "https://t.me/" in page
    assert "?start=linked" in page
