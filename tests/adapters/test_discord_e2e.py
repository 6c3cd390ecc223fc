"""Discord end to end: the fake, the adapter, the real core and the simulator."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import discord
import pytest

from adapters.discord import DiscordAdapter
from bot import catalogue
from bot.config import ConversionConfig
from bot.epson.simulator import Simulator
from bot.runtime import Runtime
from tests.adapters.test_discord_support import config_for
from tests.core.conftest import make_config, write_pdf
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_payloads import Asker
from tests.fakes.discord_rest import ShownMessage
from tests.fakes.loopback import wait_until


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with FakeDiscord() as server:
        yield server
    assert server.unknown_routes == []


@pytest.fixture
async def runtime(
    tmp_path: Path, simulator: Simulator, fake: FakeDiscord
) -> AsyncIterator[Runtime]:
    # No LibreOffice: these files need none, and a warm one takes seconds to stop.
    config = dataclasses.replace(
        make_config(tmp_path, simulator),
        discord=config_for(fake),
        conversion=ConversionConfig(libreoffice=str(tmp_path / "no-soffice")),
    )
    async with Runtime(config) as rt:
        adapter = DiscordAdapter(config.discord, rt.service, guild_ready_timeout=0.0)
        rt.service.register(adapter)
        async with adapter:
            await rt.serve()
            yield rt


async def _shown(fake: FakeDiscord, needle: str, timeout: float = 10) -> ShownMessage:
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


async def _link(fake: FakeDiscord, asker: Asker) -> ShownMessage:
    await fake.send_interaction(fake.slash_interaction("link", asker=asker))
    prompt = await _shown(fake, _plain("link.prompt"))
    [url] = [b["url"] for b in prompt.buttons if "url" in b]
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200, await response.text()
    return await _shown(fake, "is linked")


async def test_link_shows_a_private_url_button_and_announces_the_printer(
    fake: FakeDiscord, runtime: Runtime
) -> None:
    asker = fake.asker(in_guild=False)

    linked = await _link(fake, asker)

    prompt = fake.messages[0]
    assert prompt.ephemeral
    assert prompt.buttons[0]["style"] == 5
    identity = await runtime.store.find_identity("discord", asker.user_id)
    assert identity is not None
    [printer] = await runtime.store.load_printers(identity.id)
    assert printer.name in linked.content


async def test_print_pdf_edits_the_original_response_to_completed(
    fake: FakeDiscord, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    await _link(fake, fake.asker())
    pdf = write_pdf(tmp_path / "report.pdf", pages=2).read_bytes()
    attachment = fake.add_attachment(pdf, "report.pdf", "application/pdf")

    await fake.send_interaction(
        fake.slash_interaction("print", {"file": attachment, "copies": 2})
    )
    done = await _shown(fake, "Done:")

    assert done.source == "original"
    assert "report.pdf" in done.content
    assert "4 pages" in done.content
    assert not done.ephemeral
    assert done.buttons == []
    [record] = simulator.prints
    assert record.settings["copies"] == 2
    assert len(fake.calls_to("PATCH", "/messages/@original")) >= 2


async def test_unlinked_user_is_told_privately_how_to_link(
    fake: FakeDiscord, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    pdf = write_pdf(tmp_path / "a.pdf").read_bytes()
    attachment = fake.add_attachment(pdf, "a.pdf", "application/pdf")

    await fake.send_interaction(fake.slash_interaction("print", {"file": attachment}))
    told = await _shown(fake, "/link")

    assert told.content == _plain("link.not_linked")
    assert told.ephemeral
    assert simulator.prints == []


async def test_file_that_cannot_be_printed_gets_the_catalogue_sentence(
    fake: FakeDiscord, runtime: Runtime, simulator: Simulator
) -> None:
    await _link(fake, fake.asker())
    junk = b"\x00\x01 not a document \xfe" * 40
    attachment = fake.add_attachment(junk, "mystery.bin", "application/octet-stream")

    await fake.send_interaction(fake.slash_interaction("print", {"file": attachment}))
    told = await _shown(fake, "print this kind of file")

    assert "PDF" in told.content
    assert simulator.prints == []


async def test_two_files_ask_one_document_or_several_then_print_the_choice(
    fake: FakeDiscord, runtime: Runtime, simulator: Simulator, tmp_path: Path
) -> None:
    await _link(fake, fake.asker())
    files = {
        option: fake.add_attachment(
            write_pdf(tmp_path / f"{option}.pdf").read_bytes(),
            f"{option}.pdf",
            "application/pdf",
        )
        for option in ("file", "file2")
    }
    await fake.send_interaction(fake.slash_interaction("print", files))
    await wait_until(lambda: any(_combine_action(m) for m in fake.messages))
    card = next(m for m in fake.messages if _combine_action(m))

    await fake.send_interaction(fake.button_interaction(_combine_action(card), card))
    done = await _shown(fake, "Done:")

    assert done is card
    assert "2 pages" in done.content
    [record] = simulator.prints
    assert record.pages == 2


def _combine_action(message: ShownMessage) -> str:
    """The action of the card's "one document" button, or an empty string."""
    actions = [str(b.get("custom_id", "")) for b in message.buttons]
    return next((a for a in actions if a.startswith("combine:")), "")
