"""How Telegram messages become chatprint commands: origins, files, command text.

Telegram marks commands only in ``text``; a file's ``/print`` lives in its caption,
which python-telegram-bot's ``CommandHandler`` never reads, so commands are parsed
here from the text or the caption alike. Nothing in this module talks to Telegram.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from telegram import Chat, Message, MessageEntity, User

from bot.core.chat import Attachment, ChatTarget, Origin, Sender
from bot.core.commands import (
    COMMAND_NAMES,
    Command,
    JoinCommand,
    PrintCommand,
    command_from_text,
)

PLATFORM = "telegram"
PHOTO_NAME = "photo.jpg"
GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})
JOIN_PREFIX = "join-"
_KNOWN = frozenset(COMMAND_NAMES)
_COMMAND = re.compile(r"/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?", re.S)

Opener = Callable[[str], AsyncIterator[bytes]]


@dataclass(frozen=True)
class CommandText:
    """A ``/name@bot argument`` line as typed."""

    name: str
    argument: str
    addressee: str | None


def parse_command(text: str | None) -> CommandText | None:
    """Read a leading ``/command``; ``None`` if the text does not start with one."""
    match = _COMMAND.fullmatch((text or "").strip())
    if match is None:
        return None
    name, addressee, argument = match.groups()
    return CommandText(name.lower(), (argument or "").strip(), addressee)


def origin_for(
    update_id: int, chat: Chat, user: User, *, status_ref: str | None = None
) -> Origin:
    """The core's view of who asked, where, in which event.

    Args:
        update_id: The Telegram update id; a re-delivered update keeps it.
        chat: Where the event happened.
        user: Who caused it.
        status_ref: Where the first status message of a job should go.
    """
    sender = Sender(
        platform=PLATFORM,
        user_id=str(user.id),
        display_name=user.full_name or user.username or str(user.id),
        language=user.language_code or "en",
    )
    return Origin(
        event_id=f"{PLATFORM}:{update_id}",
        sender=sender,
        target=ChatTarget(PLATFORM, str(chat.id), str(user.id)),
        is_group=chat.type in GROUP_TYPES,
        chat_title=chat.title or "",
        status_ref=status_ref,
    )


def attachments_of(message: Message | None, opener: Opener) -> tuple[Attachment, ...]:
    """The file a message carries: a document, or the largest size of a photo."""
    if message is None:
        return ()
    if message.document is not None:
        document = message.document
        return (
            Attachment(
                name=document.file_name or "document",
                size=document.file_size,
                ref=document.file_id,
                open=_opener(opener, document.file_id),
                content_type=document.mime_type,
            ),
        )
    if message.photo:
        largest = max(message.photo, key=lambda size: size.width * size.height)
        return (
            Attachment(
                name=PHOTO_NAME,
                size=largest.file_size,
                ref=largest.file_id,
                open=_opener(opener, largest.file_id),
                is_photo=True,
                content_type="image/jpeg",
            ),
        )
    return ()


def _opener(opener: Opener, file_id: str) -> Callable[[], AsyncIterator[bytes]]:
    return lambda: opener(file_id)


def mentions_bot(message: Message, bot: User) -> bool:
    """Whether the text or caption names the bot (``@username`` or a text mention)."""
    found = {**message.parse_entities(), **message.parse_caption_entities()}
    handle = f"@{bot.username}".lower() if bot.username else None
    for entity, text in found.items():
        if entity.type == MessageEntity.MENTION and text.lower() == handle:
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user == bot:
            return True
    return False


def without_mention(text: str, bot: User) -> str:
    """``text`` with the bot's ``@username`` taken out, for option text."""
    if not bot.username:
        return text.strip()
    pattern = re.compile(rf"@{re.escape(bot.username)}\b", re.I)
    return " ".join(pattern.sub(" ", text).split())


@dataclass(frozen=True)
class Intake:
    """What a message, or an album of messages, asks of the bot.

    Args:
        origin: The event, with the first update id of an album.
        text: The text or caption that carries a command or mention.
        attachments: Files in the message(s), in the order sent.
        replied: Files in the message replied to.
        mention: The bot was mentioned.
    """

    origin: Origin
    text: str
    attachments: tuple[Attachment, ...]
    replied: tuple[Attachment, ...]
    mention: bool


def command_for(intake: Intake, bot: User) -> Command | None:
    """Decide the command, or ``None`` when the bot should stay silent.

    In a private chat every command is handled and a file without one asks for
    settings. In a group only a command or a mention of the bot counts: people
    post files there for each other.

    Raises:
        UnknownCommand: A command the bot does not know, in a private chat.
    """
    typed = parse_command(intake.text)
    if typed is not None and _addressed_to_us(typed, bot, intake.origin.is_group):
        return _typed_command(intake, typed)
    if intake.mention and intake.origin.is_group:
        return _mention_command(intake, bot)
    if intake.attachments and not intake.origin.is_group:
        return PrintCommand(intake.origin, attachments=intake.attachments, ask=True)
    return None


def _addressed_to_us(typed: CommandText, bot: User, is_group: bool) -> bool:
    if typed.addressee is not None:
        return typed.addressee.lower() == (bot.username or "").lower()
    if is_group:
        # Other bots in the group have their own commands: answer only ours.
        return typed.name in _KNOWN
    return True


def _typed_command(intake: Intake, typed: CommandText) -> Command:
    if typed.name == "start":
        code = invite_code(typed.argument, is_group=intake.origin.is_group)
        if code:
            return JoinCommand(intake.origin, code=code)
    files = intake.attachments or intake.replied
    return command_from_text(typed.name, typed.argument, intake.origin, files)


def invite_code(payload: str, *, is_group: bool) -> str:
    """The invite code a deep link's ``/start`` payload carries, or ``""``.

    ``t.me/bot?start=join-CODE`` opens the private chat with ``join-CODE``;
    ``t.me/bot?startgroup=CODE`` adds the bot to a group, where the person who
    added it sends ``/start CODE``, so any payload in a group is a code.
    """
    if payload.startswith(JOIN_PREFIX):
        return payload.removeprefix(JOIN_PREFIX)
    return payload if is_group else ""


def _mention_command(intake: Intake, bot: User) -> Command:
    files = intake.attachments or intake.replied
    if not files:
        return command_from_text("help", "", intake.origin)
    options = without_mention(intake.text, bot)
    return PrintCommand(
        intake.origin, attachments=files, options=options, ask=not options
    )
