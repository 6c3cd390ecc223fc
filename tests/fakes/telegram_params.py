"""Bot API method parameters: their types, decoding from a request, validation.

Telegram takes parameters as a query string, urlencoded or multipart form, or JSON.
In a form, a String parameter is sent raw and every other type JSON-encoded, so
decoding goes by the declared type of each parameter (a text ``"123"`` stays a
string). Unknown parameters are ignored, as Telegram does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum
from typing import Any
from urllib.parse import urlsplit

MAX_CALLBACK_DATA = 64
MAX_TEXT = 4096
MAX_CAPTION = 1024
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
LANGUAGE_CODE = re.compile(r"[a-z]{2}")
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Kind(Enum):
    """The Bot API type of a parameter, as its documentation names it."""

    INTEGER = "Integer"
    STRING = "String"
    CHAT_ID = "Integer or String"
    BOOLEAN = "Boolean"
    OBJECT = "JSON-serialized object"
    FILE = "InputFile or String"


@dataclass(frozen=True)
class Param:
    """One parameter of a method."""

    kind: Kind
    required: bool = False


class BadRequest(Exception):
    """A request Telegram refuses with 400; the text follows ``Bad Request:``."""


def _optional(**kinds: Kind) -> dict[str, Param]:
    return {name: Param(kind) for name, kind in kinds.items()}


_SEND_COMMON = _optional(
    parse_mode=Kind.STRING,
    disable_notification=Kind.BOOLEAN,
    protect_content=Kind.BOOLEAN,
    reply_parameters=Kind.OBJECT,
    reply_markup=Kind.OBJECT,
    message_thread_id=Kind.INTEGER,
    business_connection_id=Kind.STRING,
)
_CAPTION = _optional(caption=Kind.STRING, caption_entities=Kind.OBJECT)
_EDIT_TARGET = _optional(
    chat_id=Kind.CHAT_ID,
    message_id=Kind.INTEGER,
    inline_message_id=Kind.STRING,
    reply_markup=Kind.OBJECT,
    business_connection_id=Kind.STRING,
)
_CHAT = {"chat_id": Param(Kind.CHAT_ID, required=True)}

METHODS: dict[str, dict[str, Param]] = {
    "getMe": {},
    "deleteWebhook": _optional(drop_pending_updates=Kind.BOOLEAN),
    "setWebhook": {
        "url": Param(Kind.STRING, required=True),
        **_optional(
            certificate=Kind.FILE,
            ip_address=Kind.STRING,
            max_connections=Kind.INTEGER,
            allowed_updates=Kind.OBJECT,
            drop_pending_updates=Kind.BOOLEAN,
            secret_token=Kind.STRING,
        ),
    },
    "getUpdates": _optional(
        offset=Kind.INTEGER,
        limit=Kind.INTEGER,
        timeout=Kind.INTEGER,
        allowed_updates=Kind.OBJECT,
    ),
    "getFile": {"file_id": Param(Kind.STRING, required=True)},
    "sendMessage": {
        **_CHAT,
        "text": Param(Kind.STRING, required=True),
        **_SEND_COMMON,
        **_optional(entities=Kind.OBJECT, link_preview_options=Kind.OBJECT),
    },
    "editMessageText": {
        **_EDIT_TARGET,
        "text": Param(Kind.STRING, required=True),
        **_optional(
            parse_mode=Kind.STRING,
            entities=Kind.OBJECT,
            link_preview_options=Kind.OBJECT,
        ),
    },
    "editMessageCaption": {
        **_EDIT_TARGET,
        **_CAPTION,
        **_optional(parse_mode=Kind.STRING, show_caption_above_media=Kind.BOOLEAN),
    },
    "editMessageReplyMarkup": _EDIT_TARGET,
    "answerCallbackQuery": {
        "callback_query_id": Param(Kind.STRING, required=True),
        **_optional(
            text=Kind.STRING,
            show_alert=Kind.BOOLEAN,
            url=Kind.STRING,
            cache_time=Kind.INTEGER,
        ),
    },
    "setMyCommands": {
        "commands": Param(Kind.OBJECT, required=True),
        **_optional(scope=Kind.OBJECT, language_code=Kind.STRING),
    },
    "sendDocument": {
        **_CHAT,
        "document": Param(Kind.FILE, required=True),
        **_SEND_COMMON,
        **_CAPTION,
        **_optional(thumbnail=Kind.FILE, disable_content_type_detection=Kind.BOOLEAN),
    },
    "sendPhoto": {
        **_CHAT,
        "photo": Param(Kind.FILE, required=True),
        **_SEND_COMMON,
        **_CAPTION,
        **_optional(has_spoiler=Kind.BOOLEAN, show_caption_above_media=Kind.BOOLEAN),
    },
    "deleteMessage": {**_CHAT, "message_id": Param(Kind.INTEGER, required=True)},
}


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    name: str
    data: bytes
    content_type: str


def decode_form(
    method: str, fields: dict[str, str], uploads: dict[str, Upload]
) -> dict[str, Any]:
    """Decode form fields by parameter type; file parameters become :class:`Upload`.

    Raises:
        BadRequest: A value that does not parse as its declared type, or a missing
            required parameter.
    """
    spec = METHODS[method]
    params: dict[str, Any] = {}
    for name, raw in fields.items():
        param = spec.get(name)
        if param is not None:
            params[name] = _from_form(name, param.kind, raw, uploads)
    for name, upload in uploads.items():
        if name in spec and spec[name].kind is Kind.FILE:
            params[name] = upload
    _check_required(spec, params)
    return params


def decode_json(method: str, body: dict[str, Any]) -> dict[str, Any]:
    """Check the types of a JSON body against the method's parameters.

    Raises:
        BadRequest: A value of the wrong type, or a missing required parameter.
    """
    spec = METHODS[method]
    params = {name: value for name, value in body.items() if name in spec}
    for name, value in params.items():
        _check_json_type(name, spec[name].kind, value)
    _check_required(spec, params)
    return params


def _from_form(name: str, kind: Kind, raw: str, uploads: dict[str, Upload]) -> Any:
    if kind in (Kind.STRING, Kind.FILE):
        if kind is Kind.FILE and raw.startswith("attach://"):
            return _attached(name, raw.removeprefix("attach://"), uploads)
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        if kind is Kind.CHAT_ID:
            return raw
        raise BadRequest(_type_error(name, kind)) from None
    _check_json_type(name, kind, value)
    return value


def _attached(name: str, part: str, uploads: dict[str, Upload]) -> Upload:
    if part not in uploads:
        raise BadRequest(f"{name}: file part {part!r} is missing")
    return uploads[part]


def _check_json_type(name: str, kind: Kind, value: Any) -> None:
    allowed: tuple[type, ...] = {
        Kind.INTEGER: (int,),
        Kind.STRING: (str, int, float),
        Kind.CHAT_ID: (int, str),
        Kind.BOOLEAN: (bool,),
        Kind.OBJECT: (dict, list),
        Kind.FILE: (str,),
    }[kind]
    wrong_bool = isinstance(value, bool) and kind is not Kind.BOOLEAN
    if wrong_bool or not isinstance(value, allowed):
        raise BadRequest(_type_error(name, kind))


def _type_error(name: str, kind: Kind) -> str:
    return f'field "{name}" must be of type {kind.value}'


def _check_required(spec: dict[str, Param], params: dict[str, Any]) -> None:
    for name, param in spec.items():
        if param.required and params.get(name) in (None, ""):
            raise BadRequest(_missing(name))


def _missing(name: str) -> str:
    if name == "text":
        return "message text is empty"
    return f"{name} is empty"


def check_text(text: str, *, caption: bool = False) -> None:
    """Refuse an empty or overlong message text or caption."""
    limit = MAX_CAPTION if caption else MAX_TEXT
    if not caption and not text.strip():
        raise BadRequest("message text is empty")
    if len(text.encode("utf-16-le")) // 2 > limit:
        raise BadRequest(
            "message caption is too long" if caption else "message is too long"
        )


def check_reply_markup(markup: Any) -> None:
    """Validate an ``InlineKeyboardMarkup`` as Telegram does.

    Raises:
        BadRequest: Not an inline keyboard, a button with neither or both of
            ``callback_data`` and ``url``, callback data over 64 bytes, a bad URL.
    """
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise BadRequest("can't parse inline keyboard button: object expected")
    for row in rows:
        for button in row:
            _check_button(button)


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise BadRequest("can't parse inline keyboard button: Text must be a string")
    kinds = [key for key in ("callback_data", "url") if key in button]
    if len(kinds) != 1:
        raise BadRequest('can\'t find field "callback_data" or "url" in button')
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= 64:
            raise BadRequest("BUTTON_DATA_INVALID")
    else:
        _check_url(button["url"])


def _check_url(url: Any) -> None:
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https", "tg") or not parts.netloc:
        raise BadRequest(f"inline keyboard button URL {url!r} is invalid")


def check_commands(commands: Any, language_code: str | None) -> None:
    """Validate a ``setMyCommands`` call: names, descriptions, language code."""
    if language_code and not LANGUAGE_CODE.fullmatch(language_code):
        raise BadRequest("LANG_CODE_INVALID")
    if not isinstance(commands, list) or len(commands) > 100:
        raise BadRequest("commands must be a list of at most 100 BotCommand")
    for command in commands:
        name = command.get("command") if isinstance(command, dict) else None
        text = command.get("description") if isinstance(command, dict) else None
        if not isinstance(name, str) or not COMMAND_NAME.fullmatch(name):
            raise BadRequest("BOT_COMMAND_INVALID")
        if not isinstance(text, str) or not 1 <= len(text) <= 256:
            raise BadRequest("BOT_COMMAND_DESCRIPTION_INVALID")


def check_secret_token(token: str | None) -> None:
    """A webhook secret may hold only ``A-Z a-z 0-9 _ -``, 1 to 256 characters."""
    if token is not None and not SECRET_TOKEN.fullmatch(token):
        raise BadRequest("secret token contains unallowed characters")
