"""Naming people in a policy: user ids and mentions count, unknown names are refused."""

from __future__ import annotations

import pytest

from bot import catalogue
from bot.core.commands import ApproversCommand, PolicyCommand
from bot.core.policy import MembersUnknown, Policy, PolicyError
from bot.runtime import Runtime
from tests.core.group_chat import GROUP, group_origin, share
from tests.fakes.chat import ChatRoom


@pytest.fixture
def room() -> ChatRoom:
    """A Telegram group: people are named by numeric user ids there."""
    return ChatRoom(platform="telegram")


async def _stored_policy(runtime: Runtime) -> Policy:
    group = await runtime.store.find_group("telegram", GROUP)
    assert group is not None
    [stored] = await runtime.store.load_shares(group.id)
    return Policy.from_dict(stored.policy)


def test_every_name_that_is_not_a_user_id_is_listed_at_once() -> None:
    text = "who=members members=@alice,@42,Bob mono approvers=@carol,@alice"

    with pytest.raises(MembersUnknown) as refused:
        Policy().changed(text, "telegram")

    assert refused.value.names == ("@alice", "Bob", "@carol")
    assert refused.value.key == "group.members_unknown_telegram"
    assert refused.value.params == {"names": "@alice, Bob, @carol"}


def test_discord_mentions_and_ids_are_members_and_plain_names_are_not() -> None:
    policy = Policy().changed("members=<@42>,<@!43>,@44,45", "discord")

    with pytest.raises(MembersUnknown) as refused:
        policy.changed("approvers=@bob,<@&77>", "discord")

    assert policy.members == ("discord:42", "discord:43", "discord:44", "discord:45")
    assert refused.value.names == ("@bob", "<@&77>")
    assert refused.value.key == "group.members_unknown"


def test_platforms_that_name_people_by_name_keep_taking_names() -> None:
    policy = Policy().changed("members=bob,@carol approvers=<@42>", "console")

    assert policy.members == ("console:bob", "console:carol")
    assert policy.approvers == ("console:42",)


def test_a_long_unknown_name_is_shortened_in_the_answer() -> None:
    with pytest.raises(MembersUnknown) as refused:
        Policy().changed(f"members=@{'x' * 300}", "telegram")

    assert len(refused.value.params["names"]) == 40


def test_a_setting_that_is_not_understood_still_wins_over_unknown_names() -> None:
    with pytest.raises(PolicyError) as refused:
        Policy().changed("members=@alice colour=blue", "telegram")

    assert not isinstance(refused.value, MembersUnknown)


@pytest.mark.parametrize("language", catalogue.LANGUAGES)
@pytest.mark.parametrize(
    "key", ["group.members_unknown", "group.members_unknown_telegram"]
)
def test_the_refusal_names_the_people_in_every_language(
    key: str, language: str
) -> None:
    text = catalogue.render(key, language, names="@alice, Bob")

    assert "@alice, Bob" in text
    assert "@" in text.replace("@alice", "")


async def test_policy_with_an_unknown_username_changes_nothing_and_says_what_works(
    linked: Runtime, room: ChatRoom
) -> None:
    await share(linked, room, "who=members members=@42")
    before = await _stored_policy(linked)

    [answer] = await linked.service.handle(
        PolicyCommand(
            group_origin(room, "alice"),
            argument="max_pages=5 members=@42,@alice,@43,@bob_reads",
        )
    )

    assert "@alice, @bob_reads" in answer.text
    assert "Nothing was changed" in answer.text
    assert "/usage" in answer.text
    assert "reply" in answer.text
    assert await _stored_policy(linked) == before


async def test_approver_named_by_an_unknown_username_is_refused_by_id_accepted(
    linked: Runtime, room: ChatRoom
) -> None:
    await share(linked, room)

    [refused] = await linked.service.handle(
        ApproversCommand(group_origin(room, "alice"), argument="add @alice_reads")
    )
    unchanged = await _stored_policy(linked)
    [named] = await linked.service.handle(
        ApproversCommand(group_origin(room, "alice"), argument="add @4242")
    )

    assert "@alice_reads" in refused.text
    assert "Nothing was changed" in refused.text
    assert unchanged.approvers == ()
    assert named.text.endswith("4242")
    assert (await _stored_policy(linked)).approvers == ("telegram:4242",)


async def test_an_approver_stored_as_typed_before_the_check_can_be_removed(
    linked: Runtime, room: ChatRoom
) -> None:
    await share(linked, room)
    group = await linked.store.find_group("telegram", GROUP)
    assert group is not None
    [stored] = await linked.store.load_shares(group.id)
    old = Policy(approvers=("telegram:alice_reads", "telegram:4242"))
    await linked.store.save_printer_policy(stored.printer_id, old.to_dict())

    [answer] = await linked.service.handle(
        ApproversCommand(group_origin(room, "alice"), argument="remove @alice_reads")
    )

    assert "alice_reads" not in answer.text
    assert (await _stored_policy(linked)).approvers == ("telegram:4242",)


async def test_approvers_add_without_a_name_asks_for_one(
    linked: Runtime, room: ChatRoom
) -> None:
    await share(linked, room)

    [answer] = await linked.service.handle(
        ApproversCommand(group_origin(room, "alice"), argument="add")
    )

    assert answer.text == catalogue.render("group.bad_member", "en")
