"""Helpers for group tests: group events in a ChatRoom, sharing, approval buttons."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from bot.core.chat import Button, ChatTarget, Origin, Sender
from bot.core.commands import PolicyCommand, PrintCommand, ShareCommand
from bot.epson.simulator.records import RecordedRequest
from bot.runtime import Runtime
from tests.fakes.chat import ChatRoom, Shown, attachment

GROUP = "club"
_events = itertools.count(1)


def group_origin(
    room: ChatRoom,
    user: str,
    *,
    chat: str = GROUP,
    roles: tuple[str, ...] = (),
    server_id: str = "",
) -> Origin:
    """A new event from ``user`` in the group chat ``chat`` of ``room``."""
    sender = Sender(room.platform, user, user.title(), "en")
    return Origin(
        f"{room.platform}:group-{next(_events)}",
        sender,
        ChatTarget(room.platform, chat, user),
        is_group=True,
        chat_title="Book Club",
        roles=roles,
        server_id=server_id,
    )


def group_print(
    room: ChatRoom,
    user: str,
    path: Path,
    options: str = "",
    *,
    chat: str = GROUP,
    roles: tuple[str, ...] = (),
    server_id: str = "",
) -> PrintCommand:
    """``/print`` with a file from ``user`` in the group."""
    origin = group_origin(room, user, chat=chat, roles=roles, server_id=server_id)
    return PrintCommand(origin, attachments=(attachment(path),), options=options)


async def share(
    runtime: Runtime, room: ChatRoom, policy: str = "", owner: str = "alice"
) -> None:
    """The owner shares their printer with the group and sets a policy."""
    answers = await runtime.service.handle(ShareCommand(group_origin(room, owner)))
    assert "is now shared" in answers[0].text, answers
    if policy:
        command = PolicyCommand(group_origin(room, owner), argument=policy)
        answers = await runtime.service.handle(command)
        assert "Rules for" in answers[0].text, answers


def approval_messages(room: ChatRoom) -> list[Shown]:
    """The messages that carry Approve and Deny buttons right now."""
    return [
        shown
        for shown in room.shown.values()
        if any((b.action or "").startswith("approve:") for b in shown.message.buttons)
    ]


def button(shown: Shown, verb: str) -> Button:
    """The button of ``shown`` whose action starts with ``verb``."""
    return next(b for b in shown.message.buttons if (b.action or "").startswith(verb))


def epson_job_calls(requests: Sequence[RecordedRequest]) -> list[RecordedRequest]:
    """The simulator's recorded calls that create or start print jobs."""
    return [r for r in requests if "/printing/jobs" in r.path]
