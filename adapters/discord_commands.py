"""Chatprint's Discord commands: slash commands and the "Print" message command.

Names and descriptions come from the message catalogue, in English with a
Traditional Chinese localization (also shown to zh-CN users, as
:func:`bot.catalogue.language_for` does). Each command only says which core
:class:`Command` it makes and whether its answer is personal; the adapter does
the rest (acknowledge, fetch files, call the core, answer).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

import discord
from discord import app_commands
from discord.app_commands import Choice, locale_str

from bot import catalogue
from bot.core.chat import Attachment, Origin
from bot.core.commands import (
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
from bot.options import MAX_COPIES, PAPER_NAMES

logger = logging.getLogger(__name__)

AppCommand = app_commands.Command[Any, ..., None]
CommandMaker = Callable[[Origin, tuple[Attachment, ...]], Command]
_LOCALIZED = {
    discord.Locale.taiwan_chinese: "zh-TW",
    discord.Locale.chinese: "zh-TW",
}


class Runner(Protocol):
    """What a command callback hands its interaction to (the adapter)."""

    def __call__(
        self,
        interaction: discord.Interaction,
        make: CommandMaker,
        *,
        private: bool,
        files: Sequence[discord.Attachment] = (),
    ) -> Awaitable[None]: ...


class CatalogueTranslator(app_commands.Translator):
    """Localizes the strings that carry a catalogue ``key`` in their extras."""

    async def translate(
        self,
        string: locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        language = _LOCALIZED.get(locale)
        if key is None or language is None or not catalogue.has_key(key):
            return None
        return catalogue.render(key, language)


def catalogue_text(key: str, default: str) -> locale_str:
    """A catalogue string in English (``default`` while the key is missing)."""
    english = catalogue.render(key, "en") if catalogue.has_key(key) else default
    return locale_str(english, key=key)


def command_name(command: str) -> locale_str:
    """A command's English name, localized when the catalogue names it."""
    return locale_str(command, key=f"command.{command}.name")


def command_description(command: str) -> locale_str:
    """A command's description from ``command.<name>.description``."""
    return catalogue_text(f"command.{command}.description", command)


def parameter_description(command: str, parameter: str) -> locale_str:
    """A parameter's description: its own key, else the print option's label."""
    own = f"command.{command}.{parameter}"
    if catalogue.has_key(own):
        return catalogue_text(own, parameter)
    return catalogue_text(f"option.label.{parameter.rstrip('23')}", parameter)


def catalogue_choices(prefix: str, values: Sequence[str]) -> list[Choice[str]]:
    """Choices named by the catalogue keys ``<prefix>.<value>``."""
    return [
        Choice(name=catalogue_text(f"{prefix}.{value}", value), value=value)
        for value in values
    ]


def _paper_choices() -> list[Choice[str]]:
    # Paper names are the same in every language; the value is what /print takes.
    return [
        Choice(name=name, value=name.lower().replace(" ", "").replace("-", ""))
        for name in PAPER_NAMES.values()
    ]


def option_text(values: Sequence[tuple[str, object]]) -> str:
    """Join filled-in options as typed text: ``copies=2 pages="1-3, 5" color=mono``.

    Quotes in a value are dropped, so a value cannot open another option.
    """
    parts = []
    for name, value in values:
        text = "" if value is None else str(value).replace('"', "").strip()
        if not text:
            continue
        spaced = any(character.isspace() for character in text)
        parts.append(f'{name}="{text}"' if spaced else f"{name}={text}")
    return " ".join(parts)


def install_commands(
    tree: app_commands.CommandTree[discord.Client], run: Runner
) -> None:
    """Add every chatprint command to ``tree``; ``run`` carries them out."""
    tree.add_command(_print_command(run))
    tree.add_command(_print_message_command(run))
    for command in _personal_commands(run):
        tree.add_command(command)


def _print_command(run: Runner) -> AppCommand:
    @app_commands.command(
        name=command_name("print"), description=command_description("print")
    )
    @app_commands.describe(
        **{p: parameter_description("print", p) for p in _PRINT_PARAMETERS}
    )
    @app_commands.choices(
        color=catalogue_choices("option.value.color", ("color", "mono")),
        duplex=catalogue_choices("option.value.duplex", ("none", "long", "short")),
        paper=_paper_choices(),
        quality=catalogue_choices("option.value.quality", ("draft", "normal", "high")),
        mode=catalogue_choices("option.value.mode", ("document", "photo")),
    )
    async def print_files(
        interaction: discord.Interaction,
        file: discord.Attachment,
        file2: discord.Attachment | None = None,
        file3: discord.Attachment | None = None,
        copies: app_commands.Range[int, 1, MAX_COPIES] | None = None,
        pages: app_commands.Range[str, 1, 100] | None = None,
        color: str | None = None,
        duplex: str | None = None,
        paper: str | None = None,
        quality: str | None = None,
        mode: str | None = None,
    ) -> None:
        options = option_text(
            [
                ("copies", copies),
                ("pages", pages),
                ("color", color),
                ("duplex", duplex),
                ("paper", paper),
                ("quality", quality),
                ("mode", mode),
            ]
        )
        files = [f for f in (file, file2, file3) if f is not None]

        def make(origin: Origin, attachments: tuple[Attachment, ...]) -> Command:
            return PrintCommand(origin, attachments=attachments, options=options)

        await run(interaction, make, private=False, files=files)

    return print_files


_PRINT_PARAMETERS = (
    "file",
    "file2",
    "file3",
    "copies",
    "pages",
    "color",
    "duplex",
    "paper",
    "quality",
    "mode",
)


def _print_message_command(run: Runner) -> app_commands.ContextMenu:
    @app_commands.context_menu(
        name=catalogue_text("command.print_message.name", "Print")
    )
    async def print_message(
        interaction: discord.Interaction, message: discord.Message
    ) -> None:
        def make(origin: Origin, attachments: tuple[Attachment, ...]) -> Command:
            return PrintCommand(origin, attachments=attachments)

        await run(interaction, make, private=False, files=message.attachments)

    return print_message


def _personal_commands(run: Runner) -> list[AppCommand]:
    """The commands whose answers only the asking user sees."""

    def simple(name: str, kind: Callable[[Origin], Command]) -> AppCommand:
        @app_commands.command(
            name=command_name(name), description=command_description(name)
        )
        async def callback(interaction: discord.Interaction) -> None:
            await run(interaction, lambda origin, _: kind(origin), private=True)

        return callback

    return [
        simple("link", LinkCommand),
        _printers_command(run),
        simple("jobs", JobsCommand),
        simple("forget", ForgetCommand),
        simple("help", HelpCommand),
        _unlink_command(run),
        _job_command(run, "status", StatusCommand),
        _job_command(run, "cancel", CancelCommand),
        _job_command(run, "reprint", ReprintCommand, private=False),
        _settings_command(run),
    ]


def _unlink_command(run: Runner) -> AppCommand:
    @app_commands.command(
        name=command_name("unlink"), description=command_description("unlink")
    )
    @app_commands.describe(printer=parameter_description("unlink", "printer"))
    async def unlink(
        interaction: discord.Interaction,
        printer: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        name = printer or ""
        await run(
            interaction, lambda origin, _: UnlinkCommand(origin, name), private=True
        )

    return unlink


def _printers_command(run: Runner) -> AppCommand:
    @app_commands.command(
        name=command_name("printers"), description=command_description("printers")
    )
    @app_commands.describe(action=parameter_description("printers", "action"))
    async def printers(
        interaction: discord.Interaction,
        action: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        text = action or ""
        await run(
            interaction, lambda origin, _: PrintersCommand(origin, text), private=True
        )

    return printers


def _job_command(
    run: Runner,
    name: str,
    kind: type[StatusCommand] | type[CancelCommand] | type[ReprintCommand],
    *,
    private: bool = True,
) -> AppCommand:
    @app_commands.command(
        name=command_name(name), description=command_description(name)
    )
    @app_commands.describe(job=parameter_description(name, "job"))
    async def job_command(
        interaction: discord.Interaction,
        job: app_commands.Range[int, 1] | None = None,
    ) -> None:
        number = "" if job is None else str(job)
        await run(interaction, lambda origin, _: kind(origin, number), private=private)

    return job_command


def _settings_command(run: Runner) -> AppCommand:
    @app_commands.command(
        name=command_name("settings"), description=command_description("settings")
    )
    @app_commands.describe(options=parameter_description("settings", "options"))
    async def settings(
        interaction: discord.Interaction,
        options: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        text = options or ""
        await run(
            interaction, lambda origin, _: SettingsCommand(origin, text), private=True
        )

    return settings
