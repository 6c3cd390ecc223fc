"""Group commands about a shared printer's rules: policy, approvers, pause, usage."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.chat import OutgoingMessage
from bot.core.commands import (
    ApproversCommand,
    PauseCommand,
    PolicyCommand,
    ResumeCommand,
    UsageCommand,
)
from bot.core.context import Request
from bot.core.policy import Policy, PolicyError, member_key, parse_member
from bot.core.quotas import Usage, load_usage, period_start
from bot.core.sharing import (
    NotAllowed,
    SharedPrinter,
    is_owner,
    may_manage,
    person_of,
    require_manager,
    require_shared,
)
from bot.schedule_time import local_text

if TYPE_CHECKING:
    from bot.core.service import PrintService


async def handle_policy(
    service: PrintService, request: Request, command: PolicyCommand
) -> list[OutgoingMessage]:
    """Show the policy of the group's printer, or change it (owner, approvers).

    Raises:
        MembersUnknown: People named by something other than a user id; the
            policy stays as it was.
    """
    name, text = _printer_option(command.argument)
    shared = await require_shared(service, request, name)
    if not text:
        return [_describe(request, shared.printer.name, shared.policy)]
    await require_manager(service, request, shared)
    policy = shared.policy.changed(text, request.origin.target.platform)
    if policy.approvers != shared.policy.approvers:
        await _require_owner(service, request, shared)
    await service.store.save_printer_policy(shared.printer.id, policy.to_dict())
    return [_describe(request, shared.printer.name, policy)]


async def handle_approvers(
    service: PrintService, request: Request, command: ApproversCommand
) -> list[OutgoingMessage]:
    """List the approvers, or ``add``/``remove`` one (the owner only).

    Raises:
        MembersUnknown: The person is not named by a user id; nothing changes.
    """
    shared = await require_shared(service, request)
    verb, _, who = command.argument.strip().partition(" ")
    policy = shared.policy
    if verb.lower() in ("add", "remove"):
        await _require_owner(service, request, shared)
        platform = request.origin.target.platform
        approvers = _approvers_after(policy.approvers, verb.lower(), who, platform)
        policy = dataclasses.replace(policy, approvers=approvers)
        await service.store.save_printer_policy(shared.printer.id, policy.to_dict())
    elif verb:
        raise PolicyError(f"unknown approvers verb {verb[:20]!r}", setting=verb[:20])
    names = ", ".join(a.partition(":")[2] for a in policy.approvers)
    return [
        request.reply(
            "group.approvers", printer=shared.printer.name, approvers=names or "-"
        )
    ]


def _approvers_after(
    approvers: tuple[str, ...], verb: str, who: str, platform: str
) -> tuple[str, ...]:
    # Unknown usernames used to be stored as typed: such an entry can still go.
    stored = member_key(platform, who.strip().removeprefix("@"))
    if verb == "remove" and stored in approvers:
        return tuple(a for a in approvers if a != stored)
    member = parse_member(who, platform)
    kept = tuple(a for a in approvers if a != member)
    return (*kept, member) if verb == "add" else kept


async def handle_pause(
    service: PrintService, request: Request, command: PauseCommand
) -> list[OutgoingMessage]:
    """Stop new requests on the shared printer until resumed."""
    shared = await _set_paused(service, request, command.printer, paused=True)
    return [request.reply("group.paused", printer=shared.printer.name)]


async def handle_resume(
    service: PrintService, request: Request, command: ResumeCommand
) -> list[OutgoingMessage]:
    """Take requests on the shared printer again."""
    shared = await _set_paused(service, request, command.printer, paused=False)
    return [request.reply("group.resumed", printer=shared.printer.name)]


async def handle_usage(
    service: PrintService, request: Request, command: UsageCommand
) -> list[OutgoingMessage]:
    """Tell a member their pages; tell the owner and approvers everyone's."""
    shared = await require_shared(service, request)
    now = datetime.now(UTC)
    policy = shared.policy
    person = await person_of(service, request.identity.id)
    mine = await load_usage(service.store, policy, shared.printer.id, person, now)
    lines = [_usage_line(request, policy, usage) for usage in mine]
    answers = [
        request.reply(
            "group.usage.mine",
            private=True,
            printer=shared.printer.name,
            lines="\n".join(lines),
        )
    ]
    if await may_manage(service, request.identity, shared.printer, policy):
        answers.append(await _everyone(service, request, shared, now))
    return answers


async def _everyone(
    service: PrintService, request: Request, shared: SharedPrinter, now: datetime
) -> OutgoingMessage:
    since = period_start("month", now, shared.policy)
    usage = await service.store.load_printer_usage(shared.printer.id, since)
    lines = []
    for identity_id, pages in sorted(usage.items(), key=lambda item: -item[1]):
        identity = await service.store.load_identity(identity_id)
        name = identity.display_name if identity else "?"
        lines.append(request.text("group.usage.member", name=name, pages=pages))
    return request.reply(
        "group.usage.everyone",
        private=True,
        printer=shared.printer.name,
        lines="\n".join(lines) or "-",
    )


def _usage_line(request: Request, policy: Policy, usage: Usage) -> str:
    period = request.text(f"group.period.{usage.period}")
    if usage.limit is None:
        return request.text("group.usage.line_free", period=period, used=usage.used)
    return request.text(
        "group.usage.line",
        period=period,
        used=usage.used,
        limit=usage.limit,
        reset=local_text(usage.resets_at, policy.timezone),
    )


def _describe(request: Request, printer: str, policy: Policy) -> OutgoingMessage:
    lines = [_who_line(request, policy), _approval_line(request, policy)]
    if policy.max_pages:
        lines.append(request.text("group.policy.max_pages", pages=policy.max_pages))
    if policy.max_copies:
        lines.append(request.text("group.policy.max_copies", copies=policy.max_copies))
    if policy.mono:
        lines.append(request.text("group.policy.forced_mono"))
    if policy.duplex:
        lines.append(request.text("group.policy.forced_duplex"))
    if policy.hours:
        lines.append(
            request.text(
                f"group.policy.hours_{policy.outside}",
                hours=policy.hours_text(),
                zone=policy.timezone,
            )
        )
    for name, pages in policy.quotas.items():
        lines.append(request.text(f"group.policy.quota_{name}", pages=pages))
    if policy.paused:
        lines.append(request.text("group.policy.paused"))
    return request.reply("group.policy.show", printer=printer, lines="\n".join(lines))


def _who_line(request: Request, policy: Policy) -> str:
    if policy.who == "members":
        return request.text("group.policy.who_members", count=len(policy.members))
    if policy.who == "role":
        return request.text("group.policy.who_role", roles=", ".join(policy.roles))
    return request.text("group.policy.who_all")


def _approval_line(request: Request, policy: Policy) -> str:
    if policy.auto_pages is None:
        return request.text("group.policy.auto_all")
    where = request.text(f"group.policy.to_{policy.approvals}")
    if policy.auto_pages == 0:
        return request.text("group.policy.auto_none", where=where)
    return request.text("group.policy.auto_pages", pages=policy.auto_pages, where=where)


def _printer_option(argument: str) -> tuple[str, str]:
    first, _, rest = argument.strip().partition(" ")
    if first.lower().startswith("printer="):
        return first.partition("=")[2].strip('"'), rest.strip()
    return "", argument.strip()


async def _set_paused(
    service: PrintService, request: Request, name: str, *, paused: bool
) -> SharedPrinter:
    shared = await require_shared(service, request, name)
    await require_manager(service, request, shared)
    policy = dataclasses.replace(shared.policy, paused=paused)
    await service.store.save_printer_policy(shared.printer.id, policy.to_dict())
    return shared


async def _require_owner(
    service: PrintService, request: Request, shared: SharedPrinter
) -> None:
    if not await is_owner(service, request.identity, shared.printer):
        raise NotAllowed("only the owner names approvers", key="group.owner_only")
