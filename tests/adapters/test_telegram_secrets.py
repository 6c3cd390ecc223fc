"""The bot token never reaches a log line, even with every logger at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.telegram import QUIET_LOGGERS, TelegramAdapter
from bot.core.chat import ChatTarget, OutgoingMessage
from bot.core.commands import Command, PrintCommand, StatusCommand
from tests.adapters.telegram_harness import (
    ADA,
    RecordingCore,
    answer_with_name,
    running_adapter,
)
from tests.fakes.loopback import wait_until
from tests.fakes.telegram import FakeTelegram

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n"
FORMATTER = logging.Formatter("%(name)s %(levelname)s %(message)s")
ADA_CHAT = ChatTarget("telegram", str(ADA["id"]), str(ADA["id"]))


def _fail_on_status(command: Command) -> list[OutgoingMessage]:
    if isinstance(command, StatusCommand):
        raise RuntimeError("the core broke while reading the status")
    return answer_with_name(command)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        server.private_chat(ADA)
        yield server


@pytest.fixture
def fresh_library_loggers() -> Iterator[None]:
    """Library loggers as in a new process, where nothing has quietened them yet."""
    saved = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


async def _print_with_download(fake: FakeTelegram, core: RecordingCore) -> None:
    document = fake.document(fake.add_file(PDF, "secret-test.pdf"))
    chat = fake.private_chat(ADA)
    fake.push_update(
        fake.message_update(chat, ADA, document=document, caption="/print")
    )
    [command] = await core.wait_for_commands()
    assert isinstance(command, PrintCommand)
    assert b"".join([c async for c in command.attachments[0].open()]) == PDF


async def _status_edits_with_flood_wait(
    fake: FakeTelegram, adapter: TelegramAdapter
) -> None:
    ref = await adapter.deliver(ADA_CHAT, OutgoingMessage("Waiting"))
    fake.fail_next("editMessageText", error_code=429, retry_after=1)
    await adapter.deliver(ADA_CHAT, OutgoingMessage("Printing"), replace=ref)


async def _core_failure_and_polling_error(
    fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("getUpdates", error_code=502, description="Bad Gateway")
    # The update answers the poll in flight; the next poll meets the 502.
    fake.push_update(fake.message_update(fake.private_chat(ADA), ADA, text="/status"))
    await wait_until(
        lambda: _logged_warning(caplog.records, "adapters.telegram_polling")
    )
    await wait_until(lambda: _logged_with_traceback(caplog.records, "adapters"))


def _logged_warning(records: list[logging.LogRecord], name: str) -> bool:
    return any(r.name == name and r.levelno == logging.WARNING for r in records)


def _logged_with_traceback(records: list[logging.LogRecord], prefix: str) -> bool:
    return any(r.name.startswith(prefix) and r.exc_info for r in records)


async def test_token_appears_in_no_log_record_of_a_whole_flow_at_debug(
    fake: FakeTelegram,
    fresh_library_loggers: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core = RecordingCore(_fail_on_status)
    caplog.set_level(logging.DEBUG)

    async with running_adapter(fake, core):
        await _print_with_download(fake, core)
        await _core_failure_and_polling_error(fake, caplog)

    _assert_no_token(fake, caplog)


async def test_token_appears_in_no_log_record_of_a_flood_wait_at_debug(
    fake: FakeTelegram,
    fresh_library_loggers: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Its own test: the wait takes a whole second, Telegram's smallest.
    caplog.set_level(logging.DEBUG)

    async with running_adapter(fake, RecordingCore()) as adapter:
        await _status_edits_with_flood_wait(fake, adapter)

    _assert_no_token(fake, caplog)
    assert len(fake.calls_to("editMessageText")) == 1


def _assert_no_token(fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    text = "\n".join(FORMATTER.format(record) for record in caplog.records)
    assert "Telegram bot @chatprint_bot started" in text
    assert fake.token not in text
    assert fake.token.split(":", 1)[1] not in text


async def test_starting_turns_the_request_loggers_down_to_warning(
    fake: FakeTelegram, fresh_library_loggers: None
) -> None:
    async with running_adapter(fake, RecordingCore()):
        levels = {name: logging.getLogger(name).level for name in QUIET_LOGGERS}

    assert levels == dict.fromkeys(QUIET_LOGGERS, logging.WARNING)
