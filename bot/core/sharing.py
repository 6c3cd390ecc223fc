"""Sharing a printer with a group: who owns and manages it, share, unshare, invites.

A group is a Telegram group, a Discord channel, or a whole Discord server (its
chat id is then ``server:<guild id>``). Only the printer's owner (any of their
linked identities) and the approvers the owner names manage a share; only the
owner names approvers. Members never see the owner's Epson account: messages
name the printer and people by their chat names only.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.accounts import NotLinked, PrinterUnknown
from bot.core.chat import Origin, OutgoingMessage
from bot.core.commands import (
    InviteCommand,
    JoinCommand,
    ShareCommand,
    UnshareCommand,
)
from bot.core.context import Request
from bot.core.policy import Policy, member_key
from bot.errors import ChatprintError
from storage.records import Group, Identity, Printer, Share

if TYPE_CHECKING:
    from bot.core.service import PrintService

logger = logging.getLogger(__name__)

INVITE_TTL = timedelta(days=1)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


class NotInGroup(ChatprintError):
    """A group command sent in a private chat."""

    default_key = "group.only_in_group"


class NotShared(ChatprintError):
    """The group has no shared printer (or none by that name)."""

    default_key = "group.no_share"


class NotAllowed(ChatprintError):
    """The sender may not do this on the shared printer."""

    default_key = "group.not_allowed"


class InviteInvalid(ChatprintError):
    """An invite code that is unknown, used, revoked or expired."""

    default_key = "group.invite_invalid"


@dataclass(frozen=True)
class SharedPrinter:
    """A printer shared with a group, with the owner's policy."""

    group: Group
    share: Share
    printer: Printer

    @property
    def policy(self) -> Policy:
        """The printer's policy, as stored in the share."""
        return Policy.from_dict(self.share.policy)


def new_code() -> str:
    """A random code people can type: no 0/O or 1/I to confuse."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def group_chat_id(origin: Origin, *, whole_server: bool) -> str:
    """The chat id a group is stored under (a Discord server or this chat)."""
    if whole_server and origin.server_id:
        return f"server:{origin.server_id}"
    return origin.target.chat_id


async def load_shared(service: PrintService, origin: Origin) -> list[SharedPrinter]:
    """The printers shared with the group of ``origin``.

    This chat's shares come first; a Discord channel without any falls back to
    the shares of its whole server.
    """
    if not origin.is_group:
        return []
    platform = origin.target.platform
    for chat_id in dict.fromkeys(
        (
            group_chat_id(origin, whole_server=False),
            group_chat_id(origin, whole_server=True),
        )
    ):
        group = await service.store.find_group(platform, chat_id)
        shared = await _shared_in(service, group) if group else []
        if shared:
            return shared
    return []


async def find_shared_printer(
    service: PrintService, request: Request, name: str
) -> SharedPrinter | None:
    """The group's shared printer called ``name`` (the default if empty).

    Returns:
        ``None`` outside groups and in groups without a shared printer.

    Raises:
        PrinterUnknown: The group shares no printer of that name.
    """
    shared = await load_shared(service, request.origin)
    if not shared:
        return None
    if not name.strip():
        return next((s for s in shared if s.share.is_default), shared[0])
    wanted = name.strip().casefold()
    for candidate in shared:
        if candidate.printer.name.casefold() == wanted:
            return candidate
    names = ", ".join(s.printer.name for s in shared)
    raise PrinterUnknown(
        f"no shared printer {name!r}",
        key="group.printer_unknown",
        printer=name,
        names=names,
    )


async def require_shared(
    service: PrintService, request: Request, name: str = ""
) -> SharedPrinter:
    """Like :func:`find_shared_printer`, refusing outside groups and unshared ones."""
    if not request.origin.is_group:
        raise NotInGroup("group command in a private chat")
    shared = await find_shared_printer(service, request, name)
    if shared is None:
        raise NotShared("no printer shared with this group")
    return shared


async def person_of(service: PrintService, identity_id: int) -> list[int]:
    """Every identity of the same person (linked with /connect)."""
    return await service.store.load_linked_identities(identity_id)


async def member_keys(service: PrintService, identity: Identity) -> set[str]:
    """How policies may name this person, on every platform they linked."""
    keys = set()
    for identity_id in await person_of(service, identity.id):
        linked = await service.store.load_identity(identity_id)
        if linked is not None:
            keys.add(member_key(linked.platform, linked.user_id))
    return keys


async def is_owner(service: PrintService, identity: Identity, printer: Printer) -> bool:
    """Whether ``identity`` is (one identity of) the printer's owner."""
    return printer.owner_id in await person_of(service, identity.id)


async def may_manage(
    service: PrintService, identity: Identity, printer: Printer, policy: Policy
) -> bool:
    """Whether ``identity`` is the owner or one of the policy's approvers."""
    if await is_owner(service, identity, printer):
        return True
    return bool(await member_keys(service, identity) & set(policy.approvers))


async def require_manager(
    service: PrintService, request: Request, shared: SharedPrinter
) -> None:
    """Refuse anyone but the owner and approvers.

    Raises:
        NotAllowed: The sender is a plain member.
    """
    if not await may_manage(service, request.identity, shared.printer, shared.policy):
        raise NotAllowed(f"identity {request.identity.id} may not manage the share")


async def own_printers(service: PrintService, request: Request) -> list[Printer]:
    """The printers of every identity of the sender."""
    printers: list[Printer] = []
    for identity_id in await person_of(service, request.identity.id):
        printers.extend(await service.store.load_printers(identity_id))
    return printers


async def find_own_printer(
    service: PrintService, request: Request, name: str
) -> Printer:
    """The sender's printer called ``name`` (their default if empty), any platform.

    Raises:
        NotLinked: The sender has no printer.
        PrinterUnknown: None of that name.
    """
    printers = await own_printers(service, request)
    if not printers:
        raise NotLinked("no printer linked")
    wanted = name.strip().casefold()
    for printer in printers:
        if (printer.name.casefold() == wanted) if wanted else printer.is_default:
            return printer
    if not wanted:
        return printers[0]
    names = ", ".join(p.name for p in printers)
    raise PrinterUnknown(f"no printer {name!r}", printer=name.strip(), names=names)


async def handle_share(
    service: PrintService, request: Request, command: ShareCommand
) -> list[OutgoingMessage]:
    """Share the sender's printer with this group, or set the group's default.

    The argument is ``[channel] [NAME]`` to share, or ``default NAME`` to make a
    printer already shared here the group's default (owner and approvers).

    Raises:
        NotInGroup: Sent in a private chat.
        PrinterUnknown: No such printer of the sender's, or none shared here.
    """
    origin = command.origin
    if not origin.is_group:
        raise NotInGroup("share in a private chat")
    verb, _, rest = command.argument.strip().partition(" ")
    if verb.lower() == "default":
        return await _set_default(service, request, rest)
    only_channel = verb.lower() == "channel"
    name = rest if only_channel else command.argument
    printer = await find_own_printer(service, request, name)
    chat_id = group_chat_id(origin, whole_server=not only_channel)
    group = await service.store.upsert_group(
        origin.target.platform, chat_id, origin.chat_title
    )
    await _share(service, group, printer)
    await service.store.audit(request.identity.id, "share", f"printer {printer.id}")
    return [request.reply("group.shared", printer=printer.name, group=group.title)]


async def _set_default(
    service: PrintService, request: Request, name: str
) -> list[OutgoingMessage]:
    if not name.strip():
        # A name is needed: list the printers the sender can choose from.
        await require_shared(service, request)
        names = ", ".join(
            s.printer.name for s in await load_shared(service, request.origin)
        )
        raise PrinterUnknown(
            "no printer named for the default", key="group.default_unnamed", names=names
        )
    shared = await require_shared(service, request, name)
    await require_manager(service, request, shared)
    await service.store.set_default_share(shared.group.id, shared.share.id)
    return [request.reply("group.default_set", printer=shared.printer.name)]


async def handle_unshare(
    service: PrintService, request: Request, command: UnshareCommand
) -> list[OutgoingMessage]:
    """Stop sharing a printer with this group (owner and approvers only)."""
    shared = await require_shared(service, request, command.printer)
    await require_manager(service, request, shared)
    await service.store.delete_share(shared.share.id)
    await service.store.audit(
        request.identity.id, "unshare", f"printer {shared.printer.id}"
    )
    logger.info("Printer %s unshared from group %s", shared.printer.id, shared.group.id)
    return [request.reply("group.unshared", printer=shared.printer.name)]


async def handle_invite(
    service: PrintService, request: Request, command: InviteCommand
) -> list[OutgoingMessage]:
    """Give the owner a code that shares a printer where it is redeemed."""
    if command.argument.strip().lower() == "revoke":
        printers = await own_printers(service, request)
        count = await service.store.revoke_invites([p.id for p in printers])
        return [request.reply("group.invites_revoked", private=True, count=count)]
    printer = await find_own_printer(service, request, command.argument)
    code = new_code()
    expires = datetime.now(UTC) + INVITE_TTL
    await service.store.save_invite(code, printer.id, request.identity.id, expires)
    hours = int(INVITE_TTL.total_seconds() // 3600)
    return [
        request.reply(
            "group.invite", private=True, code=code, printer=printer.name, hours=hours
        )
    ]


async def handle_join(
    service: PrintService, request: Request, command: JoinCommand
) -> list[OutgoingMessage]:
    """Redeem an invite code in a group: the invite's printer is shared with it."""
    origin = command.origin
    if not origin.is_group:
        raise NotInGroup("join in a private chat")
    group = await service.store.upsert_group(
        origin.target.platform,
        group_chat_id(origin, whole_server=True),
        origin.chat_title,
    )
    invite = await service.store.redeem_invite(
        command.code, group.id, datetime.now(UTC)
    )
    printer = await service.store.load_printer(invite.printer_id) if invite else None
    if printer is None:
        raise InviteInvalid("invite code not valid")
    await _share(service, group, printer)
    return [request.reply("group.shared", printer=printer.name, group=group.title)]


async def _shared_in(service: PrintService, group: Group) -> list[SharedPrinter]:
    shared = []
    for share in await service.store.load_shares(group.id):
        printer = await service.store.load_printer(share.printer_id)
        if printer is not None:
            shared.append(SharedPrinter(group, share, printer))
    return shared


async def _share(service: PrintService, group: Group, printer: Printer) -> Share:
    # One policy per printer: a new share starts with the printer's existing one.
    existing = await service.store.load_printer_shares(printer.id)
    policy = existing[0].policy if existing else Policy().to_dict()
    share = await service.store.add_share(group.id, printer.id, policy)
    logger.info("Printer %s shared with group %s", printer.id, group.id)
    return share
