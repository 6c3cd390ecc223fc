"""The commands every adapter produces, and the one parser of command text."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.chat import Attachment, Origin
from bot.errors import ChatprintError


class UnknownCommand(ChatprintError):
    """A command name the bot does not know."""

    default_key = "command.unknown"


@dataclass(frozen=True)
class Command:
    """Base of every command: where it came from."""

    origin: Origin


@dataclass(frozen=True)
class PrintCommand(Command):
    """Print one or more attachments.

    Args:
        attachments: What to print, in the order sent.
        options: Option text as typed (``copies=2 pages=1-3 mono``).
        ask: Show the settings card first instead of printing at once.
        combine: For several attachments: ``True`` one document, ``False``
            separate jobs, ``None`` ask the user.
    """

    attachments: tuple[Attachment, ...] = ()
    options: str = ""
    ask: bool = False
    combine: bool | None = None


@dataclass(frozen=True)
class StartCommand(Command):
    """First contact, or a deep link back into the chat (``/start linked``)."""

    payload: str = ""


@dataclass(frozen=True)
class HelpCommand(Command):
    """Explain the commands and options."""


@dataclass(frozen=True)
class LinkCommand(Command):
    """Link an Epson printer to this chat user."""


@dataclass(frozen=True)
class UnlinkCommand(Command):
    """Remove a linked printer and its tokens (by name; the default one if empty)."""

    printer: str = ""


@dataclass(frozen=True)
class ForgetCommand(Command):
    """Delete everything stored about this user (asks first unless confirmed)."""

    confirmed: bool = False


@dataclass(frozen=True)
class PrintersCommand(Command):
    """List printers, or ``default NAME`` / ``rename NAME NEW``."""

    argument: str = ""


@dataclass(frozen=True)
class StatusCommand(Command):
    """Show a job's status (the latest one if ``job`` is empty)."""

    job: str = ""


@dataclass(frozen=True)
class JobsCommand(Command):
    """List recent jobs."""


@dataclass(frozen=True)
class CancelCommand(Command):
    """Cancel a job (the latest unfinished one if ``job`` is empty)."""

    job: str = ""


@dataclass(frozen=True)
class ReprintCommand(Command):
    """Print a recent job again."""

    job: str = ""


@dataclass(frozen=True)
class SettingsCommand(Command):
    """Show saved default options, or save new ones (``options`` not empty)."""

    options: str = ""


@dataclass(frozen=True)
class ButtonCommand(Command):
    """A press on a button the core sent (``Button.action``)."""

    action: str = ""


@dataclass(frozen=True)
class ShareCommand(Command):
    """Share a printer with this group (``NAME``, ``default NAME``, ``channel``)."""

    argument: str = ""


@dataclass(frozen=True)
class UnshareCommand(Command):
    """Stop sharing a printer (by name; the group's default if empty)."""

    printer: str = ""


@dataclass(frozen=True)
class InviteCommand(Command):
    """Make an invite code for a printer, or ``revoke`` the open ones."""

    argument: str = ""


@dataclass(frozen=True)
class JoinCommand(Command):
    """Redeem an invite code in a group: the printer is shared with it."""

    code: str = ""


@dataclass(frozen=True)
class PolicyCommand(Command):
    """Show the shared printer's policy, or change it (``auto=5 mono ...``)."""

    argument: str = ""


@dataclass(frozen=True)
class ApproversCommand(Command):
    """List approvers, or ``add``/``remove`` a member by id or mention."""

    argument: str = ""


@dataclass(frozen=True)
class PauseCommand(Command):
    """Pause printing for the group on a shared printer."""

    printer: str = ""


@dataclass(frozen=True)
class ResumeCommand(Command):
    """Resume printing for the group on a shared printer."""

    printer: str = ""


@dataclass(frozen=True)
class UsageCommand(Command):
    """Show pages used on the group's printer (everyone's, for the owner)."""


@dataclass(frozen=True)
class ConnectCommand(Command):
    """Get a one-time code (empty), or enter one made on another platform."""

    code: str = ""


_TEXT_COMMANDS: dict[str, type[Command]] = {
    "start": StartCommand,
    "help": HelpCommand,
    "link": LinkCommand,
    "unlink": UnlinkCommand,
    "forget": ForgetCommand,
    "printers": PrintersCommand,
    "status": StatusCommand,
    "jobs": JobsCommand,
    "cancel": CancelCommand,
    "reprint": ReprintCommand,
    "settings": SettingsCommand,
    "print": PrintCommand,
    "share": ShareCommand,
    "unshare": UnshareCommand,
    "invite": InviteCommand,
    "join": JoinCommand,
    "policy": PolicyCommand,
    "approvers": ApproversCommand,
    "pause": PauseCommand,
    "resume": ResumeCommand,
    "usage": UsageCommand,
    "connect": ConnectCommand,
}
_ARGUMENT_FIELD = {
    StartCommand: "payload",
    UnlinkCommand: "printer",
    PrintersCommand: "argument",
    StatusCommand: "job",
    CancelCommand: "job",
    ReprintCommand: "job",
    SettingsCommand: "options",
    PrintCommand: "options",
    ShareCommand: "argument",
    UnshareCommand: "printer",
    InviteCommand: "argument",
    JoinCommand: "code",
    PolicyCommand: "argument",
    ApproversCommand: "argument",
    PauseCommand: "printer",
    ResumeCommand: "printer",
    ConnectCommand: "code",
}
COMMAND_NAMES = tuple(_TEXT_COMMANDS)


def command_from_text(
    name: str,
    argument: str,
    origin: Origin,
    attachments: tuple[Attachment, ...] = (),
) -> Command:
    """Build the command for ``/name argument`` as typed in any chat.

    Args:
        name: The command name without the slash (``print``; ``print@bot`` is fine).
        argument: The rest of the line.
        origin: The chat event.
        attachments: Files that came with it (only ``print`` uses them).

    Raises:
        UnknownCommand: ``name`` is not a chatprint command.
    """
    bare = name.lstrip("/").split("@", 1)[0].lower()
    kind = _TEXT_COMMANDS.get(bare)
    if kind is None:
        raise UnknownCommand(f"unknown command {bare!r}", command=bare)
    argument = argument.strip()
    if kind is PrintCommand:
        return PrintCommand(origin, attachments=attachments, options=argument)
    if kind is ForgetCommand:
        return ForgetCommand(origin, confirmed=argument.lower() in ("yes", "confirm"))
    field_name = _ARGUMENT_FIELD.get(kind)
    if field_name is None:
        return kind(origin)
    return kind(origin, **{field_name: argument})
