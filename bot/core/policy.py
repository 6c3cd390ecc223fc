"""The owner's policy for a shared printer: who may print, limits, forced settings.

A policy is kept as a plain dict in every :class:`~storage.records.Share` of the
printer (one policy per printer, whichever group or platform it is shared with).
The owner writes it as text: ``/policy auto=5 max_pages=20 mono hours=08:00-18:00
tz=Asia/Taipei outside=wait who=role:123 day=10 approvals=private``.
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from bot.errors import ChatprintError
from bot.options import PrintOptions
from bot.schedule_time import canonical_timezone

# Quota periods, per member and for the whole group (``group_day``...).
PERIODS = ("day", "week", "month")
QUOTA_NAMES = (*PERIODS, *(f"group_{p}" for p in PERIODS))
DEFAULT_EXPIRY_MINUTES = 24 * 60
_HOURS = re.compile(r"^([0-9]{1,2}):([0-9]{2})-([0-9]{1,2}):([0-9]{2})$")
_USER_ID = re.compile(r"^<@!?([0-9]+)>$|^@?([0-9]{1,20})$")
_NAME = re.compile(r"^@?([A-Za-z0-9_.-]{1,64})$")
# Telegram and Discord name every user by a number. There a name that is not a
# number is a username the adapter could not turn into one: kept, it would
# match nobody while the owner believes that person is on the list.
_NUMBERED_PLATFORMS = frozenset({"telegram", "discord"})
_UNKNOWN_KEYS = {"telegram": "group.members_unknown_telegram"}
_SHOWN_NAME = 40
_LIMITS = ("max_pages", "max_copies")
_FLAGS = {
    "mono": ("mono", True),
    "color": ("mono", False),
    "duplex": ("duplex", True),
    "simplex": ("duplex", False),
}


Setter = Callable[["Policy", str, str], "Policy"]


class PolicyError(ChatprintError):
    """Policy text that is not understood."""

    default_key = "group.policy.bad"


class MembersUnknown(PolicyError):
    """People named by something that is not a user id on the group's platform.

    Args:
        names: The names as typed, each shown to the owner.
        platform: The group's platform; its own sentence says what works there.
    """

    default_key = "group.members_unknown"

    def __init__(self, names: Sequence[str], platform: str) -> None:
        self.names = tuple(dict.fromkeys(name[:_SHOWN_NAME] for name in names))
        super().__init__(
            f"{len(self.names)} names are not user ids on {platform}",
            key=_UNKNOWN_KEYS.get(platform, self.default_key),
            names=", ".join(self.names),
        )


@dataclass(frozen=True)
class Policy:
    """What the owner allows on a shared printer.

    Args:
        who: ``all`` members of the group, listed ``members``, or a ``role``.
        members: Members allowed when ``who`` is ``members`` (``platform:user``).
        roles: Discord role ids allowed when ``who`` is ``role``.
        approvers: Members who may approve and change the policy besides the owner.
        auto_pages: Requests up to this many pages print without approval;
            ``None`` lets every request print without approval.
        max_pages: The most pages (after page selection) one job may have.
        max_copies: The most copies one job may ask for.
        mono: Every job prints in black and white.
        duplex: Every job prints double-sided.
        hours: Allowed hours as minutes after midnight ``(start, end)``.
        timezone: The zone of ``hours`` and quota periods.
        outside: Outside the hours a request ``wait``\\ s or is ``refuse``\\ d.
        quotas: Page limits by name in :data:`QUOTA_NAMES`.
        expire_minutes: How long a request waits for approval.
        approvals: Approval requests go to the ``group`` or ``private``\\ ly.
        paused: The owner paused printing for the group.
    """

    who: str = "all"
    members: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    approvers: tuple[str, ...] = ()
    auto_pages: int | None = 0
    max_pages: int | None = None
    max_copies: int | None = None
    mono: bool = False
    duplex: bool = False
    hours: tuple[int, int] | None = None
    timezone: str = "UTC"
    outside: str = "wait"
    quotas: Mapping[str, int] = field(default_factory=dict)
    expire_minutes: int = DEFAULT_EXPIRY_MINUTES
    approvals: str = "group"
    paused: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Policy:
        """Rebuild a policy stored by :meth:`to_dict` (unknown keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for name in ("members", "roles", "approvers"):
            values[name] = tuple(str(v) for v in _list(values.get(name, ())))
        hours = values.get("hours")
        values["hours"] = tuple(hours) if isinstance(hours, list) else None
        quotas = values.get("quotas", {})
        values["quotas"] = dict(quotas) if isinstance(quotas, Mapping) else {}
        return cls(**values)  # type: ignore[arg-type]  # JSON values, checked on write

    def to_dict(self) -> dict[str, object]:
        """The policy as JSON-ready values, for ``Share.policy``."""
        data = dataclasses.asdict(self)
        data["hours"] = list(self.hours) if self.hours else None
        data["quotas"] = dict(self.quotas)
        return data

    def changed(self, text: str, platform: str) -> Policy:
        """This policy with the settings typed in ``text`` applied.

        Args:
            text: Settings such as ``auto=5 mono hours=08:00-18:00``.
            platform: The group's platform, for member and approver ids.

        Raises:
            MembersUnknown: Members or approvers named by something that is not
                a user id; every such name in ``text`` is listed.
            PolicyError: A setting that is not understood.
        """
        policy = self
        unknown: list[str] = []
        for token in text.split():
            name, _, value = token.partition("=")
            try:
                policy = _apply(policy, name.strip().lower(), value.strip(), platform)
            except MembersUnknown as exc:
                unknown.extend(exc.names)
        if unknown:
            raise MembersUnknown(unknown, platform)
        return policy

    def force(self, options: PrintOptions) -> PrintOptions:
        """The request's options with the forced settings put over them."""
        if self.mono:
            options = dataclasses.replace(options, color_mode="mono")
        if self.duplex and options.double_sided not in ("long", "short"):
            options = dataclasses.replace(options, double_sided="long")
        return options

    def allows(self, member: str, roles: Iterable[str]) -> bool:
        """Whether a member (``platform:user``) with ``roles`` may print."""
        if self.who == "members":
            return member in self.members or member in self.approvers
        if self.who == "role":
            return bool(set(roles) & set(self.roles)) or member in self.approvers
        return True

    def within_hours(self, now: datetime) -> bool:
        """Whether ``now`` is inside the allowed hours (always, if none are set)."""
        if self.hours is None:
            return True
        start, end = self.hours
        local = now.astimezone(self.zone())
        minute = local.hour * 60 + local.minute
        if start <= end:
            return start <= minute < end
        return minute >= start or minute < end

    def next_opening(self, now: datetime) -> datetime:
        """The next moment the allowed hours begin, after ``now``."""
        if self.hours is None:
            return now
        local = now.astimezone(self.zone())
        start = time(self.hours[0] // 60, self.hours[0] % 60)
        opening = datetime.combine(local.date(), start, tzinfo=self.zone())
        return opening if opening > local else opening + timedelta(days=1)

    def zone(self) -> zoneinfo.ZoneInfo:
        """The policy's time zone."""
        return zoneinfo.ZoneInfo(self.timezone)

    def hours_text(self) -> str:
        """The allowed hours as typed (``08:00-18:00``), or empty."""
        if self.hours is None:
            return ""
        start, end = self.hours
        return f"{start // 60:02}:{start % 60:02}-{end // 60:02}:{end % 60:02}"


def member_key(platform: str, user_id: str) -> str:
    """How a policy names a member: ``telegram:42``."""
    return f"{platform}:{user_id}"


def parse_member(text: str, platform: str) -> str:
    """Read a member id as typed or mentioned (``<@123>``, ``@123``, ``123``).

    Adapters put the user id in place of each mention they can resolve; on
    Telegram and Discord anything else (``@alice``, ``Alice``) names nobody and
    is refused. Other platforms name people by plain names (``bob``).

    Raises:
        PolicyError: Nobody named at all.
        MembersUnknown: A name that is not a user id on ``platform``.
    """
    typed = text.strip()
    if not typed:
        raise PolicyError("no member named", key="group.bad_member")
    match = _USER_ID.match(typed)
    if match is not None:
        return member_key(platform, match.group(1) or match.group(2))
    named = _NAME.match(typed)
    if named is None or platform in _NUMBERED_PLATFORMS:
        raise MembersUnknown([typed], platform)
    return member_key(platform, named.group(1))


def parse_members(text: str, platform: str) -> tuple[str, ...]:
    """Read a comma-separated list of members, as :func:`parse_member` does.

    Raises:
        MembersUnknown: Names that are not user ids, all of them listed.
    """
    members: list[str] = []
    unknown: list[str] = []
    for typed in filter(None, (part.strip() for part in text.split(","))):
        try:
            members.append(parse_member(typed, platform))
        except MembersUnknown as exc:
            unknown.extend(exc.names)
    if unknown:
        raise MembersUnknown(unknown, platform)
    return tuple(dict.fromkeys(members))


def _apply(policy: Policy, name: str, value: str, platform: str) -> Policy:
    if name in _FLAGS and not value:
        flag, on = _FLAGS[name]
        return _replaced(policy, flag, on)
    if name == "expire":
        return dataclasses.replace(policy, expire_minutes=_number(name, value))
    if name in _LIMITS:
        limit = None if value in ("none", "off") else _number(name, value)
        return _replaced(policy, name, limit)
    if name in QUOTA_NAMES:
        return _with_quota(policy, name, value)
    setter = _SETTERS.get(name)
    if setter is None:
        raise PolicyError(f"unknown policy setting {name!r}", setting=name[:40])
    return setter(policy, value, platform)


def _with_quota(policy: Policy, name: str, value: str) -> Policy:
    quotas = dict(policy.quotas)
    if value in ("none", "off"):
        quotas.pop(name, None)
    else:
        quotas[name] = _number(name, value)
    return dataclasses.replace(policy, quotas=quotas)


def _set_auto(policy: Policy, value: str, platform: str) -> Policy:
    auto = None if value in ("all", "always") else _number("auto", value, minimum=0)
    return dataclasses.replace(policy, auto_pages=auto)


def _set_who(policy: Policy, value: str, platform: str) -> Policy:
    kind, _, role = value.partition(":")
    if kind in ("all", "members"):
        return dataclasses.replace(policy, who=kind)
    if kind == "role" and role.strip("<@&>").isdigit():
        return dataclasses.replace(policy, who="role", roles=(role.strip("<@&>"),))
    raise PolicyError(f"bad who {value[:40]!r}", setting="who")


def _set_members(policy: Policy, value: str, platform: str) -> Policy:
    return dataclasses.replace(policy, members=parse_members(value, platform))


def _set_approvers(policy: Policy, value: str, platform: str) -> Policy:
    return dataclasses.replace(policy, approvers=parse_members(value, platform))


def _set_hours(policy: Policy, value: str, platform: str) -> Policy:
    if value in ("any", "none", "off"):
        return dataclasses.replace(policy, hours=None)
    match = _HOURS.match(value)
    if match is None:
        raise PolicyError(f"bad hours {value[:40]!r}", setting="hours")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if max(h1, h2) > 24 or max(m1, m2) > 59:
        raise PolicyError(f"bad hours {value[:40]!r}", setting="hours")
    return dataclasses.replace(policy, hours=(h1 * 60 + m1, h2 * 60 + m2))


def _set_timezone(policy: Policy, value: str, platform: str) -> Policy:
    return dataclasses.replace(policy, timezone=canonical_timezone(value))


def _choice(name: str, allowed: tuple[str, ...]) -> Setter:
    def set_choice(policy: Policy, value: str, platform: str) -> Policy:
        if value not in allowed:
            raise PolicyError(f"bad {name} {value[:40]!r}", setting=name)
        return _replaced(policy, name, value)

    return set_choice


def _number(name: str, value: str, minimum: int = 1) -> int:
    if not value.isdigit() or int(value) < minimum or int(value) > 100_000:
        raise PolicyError(f"bad number for {name}", setting=name)
    return int(value)


def _replaced(policy: Policy, name: str, value: object) -> Policy:
    changes: dict[str, Any] = {name: value}
    return dataclasses.replace(policy, **changes)


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


_SETTERS: dict[str, Setter] = {
    "auto": _set_auto,
    "who": _set_who,
    "members": _set_members,
    "approvers": _set_approvers,
    "hours": _set_hours,
    "tz": _set_timezone,
    "outside": _choice("outside", ("wait", "refuse")),
    "approvals": _choice("approvals", ("group", "private")),
}
