"""The policy text, allowed hours and quota periods, without a chat."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.policy import Policy, PolicyError
from bot.core.quotas import period_end, period_start
from bot.options import OptionError, PrintOptions

NOON_TAIPEI = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


def test_policy_text_sets_every_rule_and_round_trips_through_storage() -> None:
    text = (
        "auto=5 max_pages=20 max_copies=2 mono duplex hours=08:00-18:00"
        " tz=asia/taipei outside=refuse who=role:<@&77> day=10 group_month=500"
        " expire=30 approvals=private approvers=<@42>,7"
    )

    policy = Policy().changed(text, "discord")

    assert Policy.from_dict(policy.to_dict()) == policy
    assert (policy.auto_pages, policy.max_pages, policy.max_copies) == (5, 20, 2)
    assert (policy.mono, policy.duplex, policy.outside) == (True, True, "refuse")
    assert (policy.who, policy.roles) == ("role", ("77",))
    assert policy.timezone == "Asia/Taipei"
    assert policy.quotas == {"day": 10, "group_month": 500}
    assert policy.approvers == ("discord:42", "discord:7")
    assert policy.hours_text() == "08:00-18:00"


@pytest.mark.parametrize(
    "text", ["colour=blue", "auto=-1", "hours=8-18", "who=friends", "outside=later"]
)
def test_policy_text_that_is_not_understood_is_refused(text: str) -> None:
    with pytest.raises(PolicyError):
        Policy().changed(text, "telegram")


def test_an_unknown_time_zone_is_refused() -> None:
    with pytest.raises(OptionError):
        Policy().changed("tz=Mars/Olympus", "telegram")


def test_limits_and_quotas_can_be_removed_again() -> None:
    policy = Policy().changed("max_pages=3 day=4 auto=all", "telegram")

    cleared = policy.changed("max_pages=none day=off auto=0", "telegram")

    assert (cleared.max_pages, cleared.quotas, cleared.auto_pages) == (None, {}, 0)


def test_hours_across_midnight_and_the_next_opening() -> None:
    policy = Policy().changed("hours=22:00-06:00 tz=Asia/Taipei", "telegram")

    assert not policy.within_hours(NOON_TAIPEI)
    assert policy.within_hours(datetime(2026, 12, 3, 15, 0, tzinfo=UTC))
    opening = policy.next_opening(NOON_TAIPEI)
    assert opening.astimezone(UTC) == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)


def test_forced_settings_override_what_the_member_asked() -> None:
    policy = Policy(mono=True, duplex=True)

    forced = policy.force(PrintOptions(color_mode="color", double_sided="short"))

    assert (forced.color_mode, forced.double_sided) == ("mono", "short")
    assert policy.force(PrintOptions()).double_sided == "long"


def test_who_may_print() -> None:
    members = Policy(who="members", members=("telegram:1",), approvers=("telegram:9",))
    role = Policy(who="role", roles=("77",))

    assert members.allows("telegram:1", ())
    assert members.allows("telegram:9", ())
    assert not members.allows("telegram:2", ())
    assert role.allows("discord:5", ("12", "77"))
    assert not role.allows("discord:5", ("12",))


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        ("day", "2026-12-03 00:00", "2026-12-04 00:00"),
        ("week", "2026-11-30 00:00", "2026-12-07 00:00"),
        ("month", "2026-12-01 00:00", "2027-01-01 00:00"),
    ],
)
def test_quota_periods_follow_the_policy_zone(
    period: str, start: str, end: str
) -> None:
    policy = Policy(timezone="Asia/Taipei")

    begins = period_start(period, NOON_TAIPEI, policy)
    ends = period_end(period, NOON_TAIPEI, policy)

    assert f"{begins:%Y-%m-%d %H:%M}" == start
    assert f"{ends:%Y-%m-%d %H:%M}" == end
    assert begins.utcoffset() == ends.utcoffset()
