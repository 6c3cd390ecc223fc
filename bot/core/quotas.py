"""Page quotas on a shared printer: the ledger, the periods and when they reset.

The ledger is the store's: pages Epson reported (``totalPages``) for completed
jobs asked in any group of the printer, plus the reservation (pages times copies
known after preparation) of jobs not yet finished. One person's identities on
several platforms share one line of it.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from bot.core.policy import PERIODS, Policy
from bot.errors import ChatprintError
from bot.schedule_time import local_text
from storage.store import Store


class QuotaReached(ChatprintError):
    """A request would take a member or the group past a page quota."""

    default_key = "group.refused.quota"


@dataclass(frozen=True)
class Usage:
    """Pages used in one quota period and the limit, if any."""

    period: str
    used: int
    limit: int | None
    resets_at: datetime


def period_start(period: str, now: datetime, policy: Policy) -> datetime:
    """The start of the day, week (Monday) or month containing ``now``, locally."""
    local = now.astimezone(policy.zone())
    day = local.date()
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return datetime.combine(day, time(0), tzinfo=policy.zone())


def period_end(period: str, now: datetime, policy: Policy) -> datetime:
    """When the period containing ``now`` ends and its quota resets."""
    start = period_start(period, now, policy)
    if period == "day":
        days = 1
    elif period == "week":
        days = 7
    else:
        days = calendar.monthrange(start.year, start.month)[1]
    return datetime.combine(
        start.date() + timedelta(days=days), time(0), tzinfo=policy.zone()
    )


async def check_quotas(
    store: Store,
    policy: Policy,
    printer_id: int,
    person: Sequence[int],
    adding: int,
    now: datetime,
) -> None:
    """Refuse a request of ``adding`` pages that would pass a quota.

    Args:
        store: The ledger.
        policy: The printer's policy.
        printer_id: The shared printer.
        person: The requester's identities.
        adding: Pages the request adds (0 to check that nothing is left).
        now: The current time.

    Raises:
        QuotaReached: With the limit, the use and the local reset time.
    """
    for name, limit in policy.quotas.items():
        is_group = name.startswith("group_")
        period = name.removeprefix("group_")
        since = period_start(period, now, policy)
        who = None if is_group else person
        used = await store.count_printer_pages(printer_id, since, who)
        if used + adding > limit or (adding == 0 and used >= limit):
            resets = period_end(period, now, policy)
            raise QuotaReached(
                f"{name} quota of {limit} pages reached",
                key="group.refused.group_quota" if is_group else None,
                limit=limit,
                used=used,
                period=period,
                reset=local_text(resets, policy.timezone),
            )


async def load_usage(
    store: Store, policy: Policy, printer_id: int, person: Sequence[int], now: datetime
) -> list[Usage]:
    """A person's use of a printer in each period, with the limits that apply."""
    usage = []
    for period in PERIODS:
        since = period_start(period, now, policy)
        used = await store.count_printer_pages(printer_id, since, person)
        limit = policy.quotas.get(period)
        usage.append(Usage(period, used, limit, period_end(period, now, policy)))
    return usage
