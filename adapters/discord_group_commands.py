"""Chatprint's Discord commands for group printing: shares, rules, codes, usage.

A printer shared with ``/share`` serves the whole server unless the scope is
``channel``; ``/share`` with ``default`` makes a printer already shared there the
group's default instead. Answers that concern the whole group (a share, the
rules, a pause) are public; invite and connect codes and a member's page count
go to the asker only. The core parses the argument text, as it does for every
chat.
"""

from __future__ import annotations

from collections.abc import Callable

import discord
from discord import app_commands

from adapters.discord_commands import (
    AppCommand,
    Runner,
    catalogue_choices,
    command_description,
    command_name,
    parameter_description,
)
from bot.core.chat import Origin
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
    UnshareCommand,
    UsageCommand,
)

TextCommand = Callable[[Origin, str], Command]
SCOPES = ("server", "channel")
NAME_LENGTH = 100
# Policy text is the longest argument; one limit keeps the annotation global.
TEXT_LENGTH = 1000


def install_group_commands(
    tree: app_commands.CommandTree[discord.Client], run: Runner
) -> None:
    """Add the group printing commands to ``tree``; ``run`` carries them out."""
    for command in _group_commands(run):
        tree.add_command(command)


def share_argument(printer: str, scope: str, *, default: bool = False) -> str:
    """The ``/share`` text the core reads: ``NAME``, ``channel NAME``, ``default NAME``.

    Making a printer the default shares nothing, so the scope does not apply.
    """
    if default:
        return f"default {printer}".strip()
    if scope == "channel":
        return f"channel {printer}".strip()
    return printer


def _group_commands(run: Runner) -> list[AppCommand]:
    return [
        _share_command(run),
        _text_command(run, "unshare", "printer", UnshareCommand, private=False),
        _text_command(run, "invite", "printer", InviteCommand, private=True),
        _join_command(run),
        _text_command(run, "policy", "rules", PolicyCommand, private=False),
        _text_command(run, "approvers", "action", ApproversCommand, private=False),
        _text_command(run, "pause", "printer", PauseCommand, private=False),
        _text_command(run, "resume", "printer", ResumeCommand, private=False),
        _usage_command(run),
        _text_command(run, "connect", "code", ConnectCommand, private=True),
    ]


def _share_command(run: Runner) -> AppCommand:
    @app_commands.command(
        name=command_name("share"), description=command_description("share")
    )
    @app_commands.describe(
        printer=parameter_description("share", "printer"),
        scope=parameter_description("share", "scope"),
        default=parameter_description("share", "default"),
    )
    @app_commands.choices(scope=catalogue_choices("command.share.scopes", SCOPES))
    async def share(
        interaction: discord.Interaction,
        printer: app_commands.Range[str, 1, NAME_LENGTH] | None = None,
        scope: str | None = None,
        default: bool | None = None,
    ) -> None:
        argument = share_argument(
            printer or "", scope or "server", default=bool(default)
        )
        await run(
            interaction, lambda origin, _: ShareCommand(origin, argument), private=False
        )

    return share


def _join_command(run: Runner) -> AppCommand:
    @app_commands.command(
        name=command_name("join"), description=command_description("join")
    )
    @app_commands.describe(code=parameter_description("join", "code"))
    async def join(
        interaction: discord.Interaction,
        code: app_commands.Range[str, 1, NAME_LENGTH],
    ) -> None:
        await run(
            interaction, lambda origin, _: JoinCommand(origin, code), private=False
        )

    return join


def _usage_command(run: Runner) -> AppCommand:
    @app_commands.command(
        name=command_name("usage"), description=command_description("usage")
    )
    async def usage(interaction: discord.Interaction) -> None:
        await run(interaction, lambda origin, _: UsageCommand(origin), private=True)

    return usage


def _text_command(
    run: Runner,
    name: str,
    parameter: str,
    kind: TextCommand,
    *,
    private: bool,
) -> AppCommand:
    """A command with one optional text parameter, named ``parameter`` on Discord."""

    @app_commands.command(
        name=command_name(name), description=command_description(name)
    )
    @app_commands.rename(text=parameter)
    @app_commands.describe(text=parameter_description(name, parameter))
    async def callback(
        interaction: discord.Interaction,
        text: app_commands.Range[str, 1, TEXT_LENGTH] | None = None,
    ) -> None:
        argument = text or ""
        await run(
            interaction, lambda origin, _: kind(origin, argument), private=private
        )

    return callback
