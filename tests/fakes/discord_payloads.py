"""Discord wire shapes the fake sends: users, guilds, messages and interactions.

Every builder returns the JSON object Discord would send (snowflakes as strings),
with the fields discord.py 2.7 reads by key, so a missing one fails here first.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

Payload = dict[str, Any]

# Discord's "attachment_size_limit" for a server without boosts.
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
EPHEMERAL = 1 << 6
ALL_PERMISSIONS = str((1 << 50) - 1)

# Application command option types, by the Python type of a test's value.
OPTION_TYPES: dict[type, int] = {str: 3, int: 4, bool: 5, float: 10}
ATTACHMENT_OPTION = 11

# Interaction types (payload "type") and context-menu command type.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT = 1, 2, 3
CHAT_INPUT, MESSAGE_COMMAND = 1, 3


def _snowflakes() -> Iterator[str]:
    return (str(n) for n in itertools.count(1_180_000_000_000_000_000, 4_096))


@dataclass
class World:
    """The fixed cast of the fake: one application, one guild, a few people."""

    ids: Iterator[str] = field(default_factory=_snowflakes, repr=False)
    application_id: str = ""
    bot_user_id: str = ""
    guild_id: str = ""
    channel_id: str = ""
    role_id: str = ""
    user_id: str = ""
    other_user_id: str = ""

    def __post_init__(self) -> None:
        for name in (
            "application_id",
            "guild_id",
            "channel_id",
            "role_id",
            "user_id",
            "other_user_id",
        ):
            setattr(self, name, self.new_id())
        # A bot user shares its id with its application, as Discord's do.
        self.bot_user_id = self.application_id

    def new_id(self) -> str:
        """Return a fresh snowflake."""
        return next(self.ids)


def now_iso() -> str:
    """The current time as Discord writes timestamps."""
    return datetime.now(UTC).isoformat()


def user(user_id: str, name: str, *, bot: bool = False) -> Payload:
    """A user object."""
    return {
        "id": user_id,
        "username": name,
        "global_name": name.title(),
        "discriminator": "0",
        "avatar": None,
        "bot": bot,
        "public_flags": 0,
    }


def bot_user(world: World) -> Payload:
    """The bot's own user, as GET /users/@me returns it."""
    return user(world.bot_user_id, "chatprint", bot=True) | {
        "verified": True,
        "flags": 0,
        "mfa_enabled": False,
    }


def application(world: World) -> Payload:
    """The application, as GET /oauth2/applications/@me returns it."""
    return {
        "id": world.application_id,
        "name": "chatprint",
        "description": "",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "owner": user(world.user_id, "owner"),
        "flags": 0,
        "interactions_endpoint_url": None,
        "bot": bot_user(world),
    }


def member(
    world: World, user_id: str, name: str, roles: tuple[str, ...] = ()
) -> Payload:
    """A guild member (the user inside ``member.user``) with role ids ``roles``."""
    return {
        "user": user(user_id, name),
        "roles": list(roles),
        "joined_at": now_iso(),
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "permissions": ALL_PERMISSIONS,
    }


def text_channel(world: World) -> Payload:
    """The guild's one text channel."""
    return {
        "id": world.channel_id,
        "type": 0,
        "guild_id": world.guild_id,
        "name": "printing",
        "position": 0,
        "permission_overwrites": [],
        "nsfw": False,
        "topic": None,
        "last_message_id": None,
        "parent_id": None,
        "rate_limit_per_user": 0,
    }


def dm_channel(channel_id: str, recipient: Payload) -> Payload:
    """A direct-message channel with ``recipient``."""
    return {
        "id": channel_id,
        "type": 1,
        "last_message_id": None,
        "recipients": [recipient],
    }


def ready(world: World, session_id: str, gateway_url: str) -> Payload:
    """The READY event's data."""
    return {
        "v": 10,
        "user": bot_user(world),
        "guilds": [{"id": world.guild_id, "unavailable": True}],
        "session_id": session_id,
        "resume_gateway_url": gateway_url,
        "application": {"id": world.application_id, "flags": 0},
        "private_channels": [],
        "relationships": [],
    }


def guild_create(world: World) -> Payload:
    """The GUILD_CREATE event's data: the test guild with channel, role, members."""
    everyone = {
        "id": world.guild_id,
        "name": "@everyone",
        "color": 0,
        "hoist": False,
        "position": 0,
        "permissions": "2248473465835073",
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }
    return {
        "id": world.guild_id,
        "name": "Print Club",
        "unavailable": False,
        "owner_id": world.user_id,
        "icon": None,
        "features": [],
        "roles": [everyone, everyone | {"id": world.role_id, "name": "members"}],
        "emojis": [],
        "stickers": [],
        "channels": [text_channel(world)],
        "threads": [],
        "members": [
            member(world, world.bot_user_id, "chatprint") | {"user": bot_user(world)},
            member(world, world.user_id, "alice"),
            member(world, world.other_user_id, "bob"),
        ],
        "member_count": 3,
        "large": False,
        "voice_states": [],
        "presences": [],
        "preferred_locale": "en-US",
        "mfa_level": 0,
        "verification_level": 0,
        "explicit_content_filter": 0,
        "default_message_notifications": 0,
        "premium_tier": 0,
        "system_channel_flags": 0,
        "joined_at": now_iso(),
    }


def attachment(
    attachment_id: str, filename: str, size: int, url: str, content_type: str
) -> Payload:
    """An attachment object whose ``url`` points at the fake CDN."""
    return {
        "id": attachment_id,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
    }


def message(
    message_id: str,
    channel_id: str,
    author: Payload,
    fields: Mapping[str, Any],
    **extra: Any,
) -> Payload:
    """A message object; ``fields`` holds what the sender chose (content, flags...)."""
    return {
        "id": message_id,
        "channel_id": channel_id,
        "author": author,
        "content": fields.get("content") or "",
        "timestamp": now_iso(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": list(fields.get("attachments") or []),
        "embeds": list(fields.get("embeds") or []),
        "components": list(fields.get("components") or []),
        "pinned": False,
        "type": 0,
        "flags": int(fields.get("flags") or 0),
        **extra,
    }


def option(name: str, value: object) -> Payload:
    """A filled command option; an attachment payload becomes an attachment option.

    Raises:
        TypeError: A value of a type no Discord option has.
    """
    if isinstance(value, Mapping):
        return {"name": name, "type": ATTACHMENT_OPTION, "value": value["id"]}
    kind = OPTION_TYPES.get(type(value))
    if kind is None:
        raise TypeError(f"no Discord option type for {type(value).__name__}")
    return {"name": name, "type": kind, "value": value}


def slash_data(command_id: str, name: str, options: Mapping[str, object]) -> Payload:
    """The ``data`` of a slash command, with attachment options resolved."""
    attachments = {
        value["id"]: dict(value)
        for value in options.values()
        if isinstance(value, Mapping)
    }
    data: Payload = {
        "id": command_id,
        "name": name,
        "type": CHAT_INPUT,
        "options": [option(key, value) for key, value in options.items()],
    }
    if attachments:
        data["resolved"] = {"attachments": attachments}
    return data


def message_command_data(command_id: str, name: str, target: Payload) -> Payload:
    """The ``data`` of a message context-menu command aimed at ``target``."""
    return {
        "id": command_id,
        "name": name,
        "type": MESSAGE_COMMAND,
        "target_id": target["id"],
        "resolved": {"messages": {target["id"]: target}},
    }


@dataclass(frozen=True)
class Asker:
    """Who triggers an interaction, and from where."""

    user_id: str
    name: str = "alice"
    locale: str = "en-US"
    in_guild: bool = True
    dm_channel_id: str = ""
    roles: tuple[str, ...] = ()


def interaction(
    world: World,
    asker: Asker,
    *,
    kind: int,
    data: Payload,
    token: str,
    message: Payload | None = None,
) -> Payload:
    """An INTERACTION_CREATE payload, in the guild channel or the asker's DM."""
    payload: Payload = {
        "id": world.new_id(),
        "application_id": world.application_id,
        "type": kind,
        "token": token,
        "version": 1,
        "data": data,
        "locale": asker.locale,
        "app_permissions": ALL_PERMISSIONS,
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "entitlements": [],
    }
    if message is not None:
        payload["message"] = message
    return payload | _place(world, asker)


def _place(world: World, asker: Asker) -> Payload:
    """The guild or DM fields of an interaction."""
    if asker.in_guild:
        return {
            "guild_id": world.guild_id,
            "guild_locale": "en-US",
            "channel_id": world.channel_id,
            "channel": text_channel(world),
            "member": member(world, asker.user_id, asker.name, asker.roles),
            "context": 0,
            "authorizing_integration_owners": {"0": world.guild_id},
        }
    person = user(asker.user_id, asker.name)
    return {
        "channel_id": asker.dm_channel_id,
        "channel": dm_channel(asker.dm_channel_id, person),
        "user": person,
        "context": 1,
        "authorizing_integration_owners": {"0": world.guild_id},
    }
