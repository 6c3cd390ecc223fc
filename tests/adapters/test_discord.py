"""The Discord adapter turns interactions into core commands, against the fake."""

from __future__ import annotations

import discord
import pytest

from adapters.discord import DiscordAdapter, DiscordStartFailed
from bot import catalogue
from bot.core.chat import Button, ChatTarget, OutgoingMessage
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
    StatusCommand,
    UnlinkCommand,
)
from bot.errors import ChatprintError
from tests.adapters.test_discord_support import (  # noqa: F401 - fixtures
    PDF,
    RecordingCore,
    adapter_fixture,
    config_for,
    core_fixture,
    fake_fixture,
)
from tests.fakes.discord import FakeDiscord
from tests.fakes.discord_payloads import EPHEMERAL

MESSAGE_CONTENT = 1 << 15


def _synced(fake: FakeDiscord, name: str) -> dict[str, object]:
    return next(c for c in fake.commands if c["name"] == name)


async def _command_after(
    fake: FakeDiscord, core: RecordingCore, payload: dict[str, object]
) -> Command:
    await fake.send_interaction(payload)
    await fake.wait_for(lambda: bool(core.commands))
    return core.commands[-1]


async def test_start_registers_commands_with_chinese_descriptions(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    print_command = _synced(fake, "print")

    names = {c["name"] for c in fake.commands}
    assert names >= {"print", "link", "unlink", "printers", "status", "jobs"}
    assert names >= {"cancel", "settings", "forget", "help", "Print"}
    assert print_command["description_localizations"] == {
        "zh-TW": catalogue.render("command.print.description", "zh-TW"),
        "zh-CN": catalogue.render("command.print.description", "zh-TW"),
    }
    assert print_command["description"] == catalogue.render(
        "command.print.description", "en"
    )
    assert _synced(fake, "Print")["type"] == 3


async def test_print_options_are_registered_with_ranges_and_choices(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    options = {o["name"]: o for o in _synced(fake, "print")["options"]}  # type: ignore[attr-defined]

    assert options["file"]["type"] == 11
    assert options["file"]["required"]
    assert (options["copies"]["min_value"], options["copies"]["max_value"]) == (1, 99)
    assert [c["value"] for c in options["duplex"]["choices"]] == [
        "none",
        "long",
        "short",
    ]
    assert {"a4", "a3", "letter", "legal", "4x6", "5x7"} <= {
        c["value"] for c in options["paper"]["choices"]
    }
    mono = options["color"]["choices"][1]
    assert mono["name_localizations"]["zh-TW"] == catalogue.render(
        "option.value.color.mono", "zh-TW"
    )


async def test_start_leaves_out_the_message_content_intent(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    intents = fake.gateway.identifies[0]["intents"]

    assert intents & MESSAGE_CONTENT == 0
    assert intents == discord.Intents.default().value & ~MESSAGE_CONTENT


async def test_start_with_a_wrong_token_fails_and_restores_discordpy(
    fake: FakeDiscord, core: RecordingCore
) -> None:
    adapter = DiscordAdapter(config_for(fake, "wrong-token"), core)

    with pytest.raises(DiscordStartFailed):
        await adapter.start()

    assert discord.http.Route.BASE == "https://discord.com/api/v10"


async def test_start_fails_when_the_gateway_refuses_the_bot(
    fake: FakeDiscord, core: RecordingCore
) -> None:
    fake.gateway.settings.token = "a-token-the-gateway-knows"
    adapter = DiscordAdapter(config_for(fake), core, guild_ready_timeout=0.0)

    with pytest.raises(DiscordStartFailed, match="gateway"):
        await adapter.start()

    assert len(fake.gateway.identifies) == 1


async def test_gateway_giving_up_after_start_is_logged(
    fake: FakeDiscord, adapter: DiscordAdapter, caplog: pytest.LogCaptureFixture
) -> None:
    def reported() -> bool:
        return any("ended for good" in r.getMessage() for r in caplog.records)

    await fake.gateway.close(code=4004)
    await fake.wait_for(reported)

    (record,) = [r for r in caplog.records if "ended for good" in r.getMessage()]
    assert record.levelname == "ERROR"


async def test_slash_print_defers_publicly_then_passes_files_and_option_text(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    pdf = fake.add_attachment(PDF, "report.pdf", "application/pdf")
    options = {"file": pdf, "copies": 2, "pages": "1-3, 5", "color": "mono"}
    payload = fake.slash_interaction("print", options)

    command = await _command_after(fake, core, payload)

    assert isinstance(command, PrintCommand)
    assert command.options == 'copies=2 pages="1-3, 5" color=mono'
    (attachment,) = command.attachments
    assert (attachment.name, attachment.size, attachment.ref) == (
        "report.pdf",
        len(PDF),
        pdf["url"],
    )
    assert core.files == [PDF]
    first, second = (c.path.split("/")[1] for c in fake.calls[-2:])
    assert (first, second) == ("interactions", "attachments")
    assert fake.calls[-2].body == {"type": 5}


async def test_interaction_is_acknowledged_before_files_are_downloaded(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    pdf = fake.add_attachment(PDF, "slow.pdf", "application/pdf")
    fake.cdn_open.clear()

    await fake.send_interaction(fake.slash_interaction("print", {"file": pdf}))
    await fake.wait_for(lambda: bool(fake.calls_to("POST", "/callback")))
    fake.cdn_open.set()
    await fake.wait_for(lambda: bool(core.commands))

    (callback,) = fake.calls_to("POST", "/callback")
    assert callback.status == 200
    assert core.files == [PDF]


async def test_attachment_with_a_chinese_name_and_spaces_is_fetched(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    pdf = fake.add_attachment(PDF, "季報 第一季.pdf", "application/pdf")

    command = await _command_after(
        fake, core, fake.slash_interaction("print", {"file": pdf})
    )

    assert isinstance(command, PrintCommand)
    assert command.attachments[0].name == "季報 第一季.pdf"
    assert core.files == [PDF]


async def test_slash_print_describes_the_asker_and_the_place(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    pdf = fake.add_attachment(PDF, "a.pdf", "application/pdf")
    payload = fake.slash_interaction("print", {"file": pdf}, fake.asker(locale="zh-TW"))

    origin = (await _command_after(fake, core, payload)).origin

    assert origin.event_id == f"discord:{payload['id']}"
    assert origin.sender.user_id == fake.world.user_id
    assert origin.sender.language == "zh-TW"
    assert origin.target.chat_id == fake.world.channel_id
    assert origin.is_group
    assert origin.chat_title == "Print Club"
    assert origin.status_ref == f"interaction:{payload['id']}"


async def test_slash_print_in_a_dm_is_a_private_chat(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    pdf = fake.add_attachment(PDF, "a.pdf", "application/pdf")
    asker = fake.asker(in_guild=False)

    command = await _command_after(
        fake, core, fake.slash_interaction("print", {"file": pdf}, asker)
    )

    origin = command.origin
    assert not origin.is_group
    assert origin.chat_title == ""
    assert origin.target.chat_id == asker.dm_channel_id
    assert origin.target.user_id == asker.user_id


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("link", {}, LinkCommand),
        ("unlink", {"printer": "Office"}, UnlinkCommand),
        ("printers", {}, PrintersCommand),
        ("printers", {"action": "default Office"}, PrintersCommand),
        ("status", {"job": 3}, StatusCommand),
        ("jobs", {}, JobsCommand),
        ("cancel", {"job": 7}, CancelCommand),
        ("settings", {"options": "copies=2 mono"}, SettingsCommand),
        ("forget", {}, ForgetCommand),
        ("help", {}, HelpCommand),
    ],
)
async def test_personal_commands_defer_privately_and_make_their_command(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    core: RecordingCore,
    name: str,
    options: dict[str, object],
    expected: type[Command],
) -> None:
    payload = fake.slash_interaction(name, options)

    command = await _command_after(fake, core, payload)

    assert type(command) is expected
    argument = next(iter(options.values()), None)
    if argument is not None:
        assert str(argument) in vars(command).values()
    (callback,) = fake.calls_to("POST", "/callback")
    assert callback.body["data"]["flags"] & EPHEMERAL


async def test_reprint_defers_publicly_with_the_job_number(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    payload = fake.slash_interaction("reprint", {"job": 4})

    command = await _command_after(fake, core, payload)

    assert isinstance(command, ReprintCommand)
    assert command.job == "4"
    (callback,) = fake.calls_to("POST", "/callback")
    assert not callback.body.get("data", {}).get("flags", 0) & EPHEMERAL


async def test_context_menu_print_takes_the_message_attachments(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    photo = fake.add_attachment(b"\xff\xd8\xffjpeg", "cat.jpg", "image/jpeg")
    target = fake.user_message("print this", [photo])

    command = await _command_after(
        fake, core, fake.message_interaction("Print", target)
    )

    assert isinstance(command, PrintCommand)
    assert [a.name for a in command.attachments] == ["cat.jpg"]
    assert command.options == ""
    assert core.files == [b"\xff\xd8\xffjpeg"]


async def test_button_press_becomes_a_button_command(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    target = fake.asker().user_id
    card = OutgoingMessage("Print it?", buttons=(Button("Go", action="go:7"),))
    await adapter.deliver(_target(fake, target), card)
    (shown,) = fake.messages

    command = await _command_after(fake, core, fake.button_interaction("go:7", shown))

    assert isinstance(command, ButtonCommand)
    assert command.action == "go:7"
    assert fake.calls_to("POST", "/callback")[0].body == {"type": 6}
    assert shown.buttons[0]["custom_id"] == "go:7"


async def test_first_answer_replaces_the_deferred_response(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    core.answers = [OutgoingMessage("Your printers: none", private=True)]

    await fake.send_interaction(fake.slash_interaction("printers"))
    await fake.wait_for(lambda: any(m.content for m in fake.messages))

    (shown,) = fake.messages
    assert shown.content == "Your printers: none"
    assert shown.ephemeral
    assert not shown.loading


async def test_link_button_is_drawn_as_a_url_button(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    url = "https://auth.example/authorize?state=abc"
    core.answers = [
        OutgoingMessage(
            "Open this page", buttons=(Button("Link", url=url),), private=True
        )
    ]

    await fake.send_interaction(fake.slash_interaction("link"))
    await fake.wait_for(lambda: any(m.buttons for m in fake.messages))

    (button,) = fake.messages[0].buttons
    assert (button["style"], button["url"], button["label"]) == (5, url, "Link")


async def test_private_answer_to_a_public_print_is_shown_to_the_asker_only(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    core.answers = [OutgoingMessage("You have not linked a printer", private=True)]
    pdf = fake.add_attachment(PDF, "a.pdf", "application/pdf")

    await fake.send_interaction(fake.slash_interaction("print", {"file": pdf}))
    await fake.wait_for(lambda: any(m.content for m in fake.messages))

    (shown,) = fake.messages
    assert shown.ephemeral
    assert shown.source == "followup"
    assert fake.calls_to("DELETE", "/messages/@original")


async def test_print_without_answers_keeps_the_response_for_its_status(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    pdf = fake.add_attachment(PDF, "a.pdf", "application/pdf")

    await _command_after(fake, core, fake.slash_interaction("print", {"file": pdf}))

    (shown,) = fake.messages
    assert shown.loading
    assert not shown.ephemeral


async def test_redelivered_interaction_keeps_its_event_id_without_crashing(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    payload = fake.slash_interaction("jobs")

    await fake.send_interaction(payload)
    await fake.wait_for(lambda: len(core.commands) == 1)
    await fake.send_interaction(payload)
    await fake.wait_for(lambda: len(core.commands) == 2)

    first, second = core.commands
    assert first.origin.event_id == second.origin.event_id
    assert [r for r in caplog.records if r.levelname == "ERROR"] == []


async def test_core_error_shows_its_catalogue_sentence(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    core.failure = ChatprintError("no printer", key="link.not_linked")

    await fake.send_interaction(
        fake.slash_interaction("printers", asker=fake.asker(locale="zh-TW"))
    )
    await fake.wait_for(lambda: any(m.content for m in fake.messages))

    assert fake.messages[0].content == catalogue.render("link.not_linked", "zh-TW")


async def test_unexpected_error_is_logged_and_apologised_for(
    fake: FakeDiscord,
    adapter: DiscordAdapter,
    core: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    core.failure = RuntimeError("boom")

    await fake.send_interaction(fake.slash_interaction("help"))
    await fake.wait_for(lambda: any(m.content for m in fake.messages))

    assert fake.messages[0].content == discord.utils.escape_markdown(
        catalogue.render("error.unexpected", "en")
    )
    (record,) = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.exc_info is not None
    assert "boom" in str(record.exc_info[1])


async def test_failed_button_press_is_apologised_for_privately(
    fake: FakeDiscord, adapter: DiscordAdapter, core: RecordingCore
) -> None:
    card = OutgoingMessage("Print it?", buttons=(Button("Go", action="go:7"),))
    await adapter.deliver(_target(fake, fake.world.user_id), card)
    (shown,) = fake.messages
    core.failure = RuntimeError("boom")

    await fake.send_interaction(fake.button_interaction("go:7", shown))
    await fake.wait_for(lambda: len(fake.messages) == 2)

    card_now, apology = fake.messages
    assert card_now.content == "Print it?"
    assert apology.ephemeral
    assert apology.content == discord.utils.escape_markdown(
        catalogue.render("error.unexpected", "en")
    )


def _target(fake: FakeDiscord, user_id: str) -> ChatTarget:
    return ChatTarget("discord", fake.world.channel_id, user_id)
