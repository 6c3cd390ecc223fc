"""The Discord adapter shows the core's messages where they can still be edited."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest

from adapters.discord import DiscordAdapter
from adapters.discord_files import AttachmentUnavailable
from bot.core.chat import ChatTarget, Origin, OutgoingMessage
from bot.core.commands import PrintCommand
from tests.adapters.test_discord_support import (  # noqa: F401 - fixtures
    PDF,
    RecordingCore,
    adapter_fixture,
    config_for,
    core_fixture,
    fake_fixture,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.loopback import wait_until

SHORT_LIFETIME = 1.0


async def _print_origin(fake: FakeDiscord, core: RecordingCore) -> Origin:
    """Run /print in the guild and return the origin the core got."""
    pdf = fake.add_attachment(PDF, "report.pdf", "application/pdf")
    await fake.send_interaction(fake.slash_interaction("print", {"file": pdf}))
    await fake.wait_for(lambda: bool(core.commands))
    return core.commands[-1].origin


async def test_deliver_edits_the_deferred_response_of_the_interaction(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    origin = await _print_origin(fake, core)

    ref = await adapter.deliver(
        origin.target, OutgoingMessage("Printing"), replace=origin.status_ref
    )

    assert ref == origin.status_ref
    (shown,) = fake.messages
    assert (shown.source, shown.content, shown.loading) == (
        "original",
        "Printing",
        False,
    )


async def test_deliver_falls_back_to_a_channel_message_once_discord_refuses_the_token(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    origin = await _print_origin(fake, core)
    await adapter.deliver(
        origin.target, OutgoingMessage("Printing"), replace=origin.status_ref
    )
    fake.age_interactions(fake.interaction_lifetime + 1)

    ref = await adapter.deliver(
        origin.target, OutgoingMessage("Done"), replace=origin.status_ref
    )

    original, posted = fake.messages
    assert original.content == "Printing"
    assert (posted.source, posted.content, posted.channel_id) == (
        "channel",
        "Done",
        fake.world.channel_id,
    )
    assert ref == f"channel:{fake.world.channel_id}:{posted.id}"


async def test_channel_message_ref_is_edited_in_place(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    target = ChatTarget("discord", fake.world.channel_id, fake.world.user_id)
    ref = await adapter.deliver(target, OutgoingMessage("Waiting"))

    again = await adapter.deliver(target, OutgoingMessage("Printed"), replace=ref)

    assert again == ref
    (shown,) = fake.messages
    assert shown.content == "Printed"
    assert fake.calls_to("PATCH", "/channels/")


@pytest.fixture
async def short_lived(
    fake: FakeDiscord, core: RecordingCore
) -> AsyncIterator[DiscordAdapter]:
    async with DiscordAdapter(
        config_for(fake),
        core,
        guild_ready_timeout=0.0,
        interaction_lifetime=SHORT_LIFETIME,
    ) as started:
        yield started


async def test_deliver_stops_using_the_interaction_token_after_its_lifetime(
    fake: FakeDiscord, short_lived: DiscordAdapter, core: RecordingCore
) -> None:
    origin = await _print_origin(fake, core)
    await short_lived.deliver(
        origin.target, OutgoingMessage("Printing"), replace=origin.status_ref
    )
    loop = asyncio.get_running_loop()
    expiry = loop.time() + SHORT_LIFETIME

    await wait_until(lambda: loop.time() > expiry, timeout=2 * SHORT_LIFETIME)
    ref = await short_lived.deliver(
        origin.target, OutgoingMessage("Done"), replace=origin.status_ref
    )

    assert ref is not None
    assert ref.startswith("channel:")
    assert len(fake.calls_to("PATCH", "/messages/@original")) == 1
    assert [m.content for m in fake.messages] == ["Printing", "Done"]


async def test_private_message_outside_an_interaction_goes_to_the_users_dms(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    target = ChatTarget("discord", fake.world.channel_id, fake.world.user_id)

    await adapter.deliver(
        target, OutgoingMessage("Your printer is linked", private=True)
    )

    (shown,) = fake.messages
    assert shown.channel_id != fake.world.channel_id
    assert not shown.ephemeral
    (opened,) = fake.calls_to("POST", "/users/@me/channels")
    assert str(opened.body["recipient_id"]) == fake.world.user_id


async def test_private_status_of_a_public_interaction_is_an_ephemeral_follow_up(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    origin = await _print_origin(fake, core)
    await adapter.deliver(
        origin.target, OutgoingMessage("Printing"), replace=origin.status_ref
    )

    ref = await adapter.deliver(
        origin.target,
        OutgoingMessage("Only you", private=True),
        replace=origin.status_ref,
    )

    assert ref == origin.status_ref
    original, follow_up = fake.messages
    assert original.content == "Printing"
    assert not original.ephemeral
    assert follow_up.content == "Only you"
    assert follow_up.ephemeral


async def test_private_first_status_of_a_public_print_never_shows_publicly(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    origin = await _print_origin(fake, core)

    await adapter.deliver(
        origin.target,
        OutgoingMessage("Only you", private=True),
        replace=origin.status_ref,
    )
    ref = await adapter.deliver(
        origin.target, OutgoingMessage("Printed"), replace=origin.status_ref
    )

    private, public = fake.messages
    assert (private.content, private.ephemeral) == ("Only you", True)
    assert (public.content, public.source) == ("Printed", "channel")
    assert ref == f"channel:{fake.world.channel_id}:{public.id}"


async def test_open_attachment_streams_again_from_the_discord_url(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    pdf = fake.add_attachment(PDF, "a.pdf", "application/pdf")

    data = b"".join([chunk async for chunk in adapter.open_attachment(pdf["url"])])

    assert data == PDF


@pytest.mark.parametrize(
    "url", ["https://evil.example/attachments/1/2/a.pdf", "file:///etc/passwd"]
)
async def test_open_attachment_refuses_urls_off_discord(
    adapter: DiscordAdapter, url: str
) -> None:
    with pytest.raises(AttachmentUnavailable):
        async for _chunk in adapter.open_attachment(url):
            pass


async def test_attachment_over_the_limit_is_not_downloaded_at_once(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    big = fake.add_attachment(PDF, "big.pdf", "application/pdf") | {"size": 30_000_000}
    small = fake.add_attachment(PDF, "small.pdf", "application/pdf")
    core.read_files = False

    await fake.send_interaction(
        fake.slash_interaction("print", {"file": big, "file2": small})
    )
    await fake.wait_for(lambda: bool(core.commands))

    command = core.commands[0]
    assert isinstance(command, PrintCommand)
    assert [a.size for a in command.attachments] == [30_000_000, len(PDF)]
    (download,) = fake.calls_to("GET", "/attachments/")
    assert small["id"] in download.path


async def test_tokens_never_reach_a_log_record(
    fake: FakeDiscord, core: RecordingCore, caplog: pytest.LogCaptureFixture
) -> None:
    # The fake server's access log is test machinery, not the bot. (The last
    # set_level also sets the capturing handler's level: DEBUG must come last.)
    caplog.set_level(logging.WARNING, logger="aiohttp.access")
    caplog.set_level(logging.DEBUG)
    pdf = fake.add_attachment(PDF, "a.pdf", "application/pdf")
    payloads = [
        fake.slash_interaction("print", {"file": pdf}),
        fake.slash_interaction("help"),
    ]
    core.failure = None

    async with DiscordAdapter(
        config_for(fake), core, guild_ready_timeout=0.0
    ) as adapter:
        for payload in payloads:
            await fake.send_interaction(payload)
        await fake.wait_for(lambda: len(core.commands) == 2)
        origin = core.commands[0].origin
        await adapter.deliver(
            origin.target, OutgoingMessage("Done"), replace=origin.status_ref
        )
        core.failure = RuntimeError("boom")
        await fake.send_interaction(fake.slash_interaction("jobs"))
        await fake.wait_for(lambda: len(core.commands) == 3)

    secrets = [fake.token] + [str(p["token"]) for p in payloads]
    logged = "\n".join(
        caplog.text.splitlines() + [r.getMessage() for r in caplog.records]
    )
    assert len(caplog.records) > 10
    assert not [s for s in secrets if s in logged]
