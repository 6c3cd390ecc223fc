"""Configuration: a TOML file, overridden key by key from the environment.

Every key ``[section] key`` can be set by ``CHATPRINT_<SECTION>_<KEY>``; secrets
belong there. A missing or malformed value raises :class:`ConfigError` with one line
naming the key and what is expected.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import types
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from bot.errors import ConfigError
from bot.secret import Secret

ENV_PREFIX = "CHATPRINT_"
DEFAULT_CONFIG_PATH = Path("config.toml")


def _default_database() -> Path:
    return Path(platformdirs.user_data_dir("chatprint")) / "chatprint.db"


@dataclass(frozen=True)
class EpsonConfig:
    """How to reach Epson Connect, and the application's credentials."""

    client_id: str = ""
    client_secret: Secret | None = None
    api_key: Secret | None = None
    api_url: str = "https://api.epsonconnect.com/api/2"
    auth_url: str = "https://auth.epsonconnect.com"
    # Seconds between status reads while a job waits; doubled up to poll_max.
    poll_interval: float = 2.0
    poll_max: float = 30.0


@dataclass(frozen=True)
class TelegramConfig:
    """The Telegram bot; it runs only when ``token`` is set."""

    token: Secret | None = None
    api_url: str = "https://api.telegram.org/bot"
    file_url: str = "https://api.telegram.org/file/bot"
    mode: str = "polling"
    webhook_secret: Secret | None = None


@dataclass(frozen=True)
class DiscordConfig:
    """The Discord bot; it runs only when ``token`` is set."""

    token: Secret | None = None
    api_url: str = "https://discord.com/api/v10"
    gateway_url: str = "wss://gateway.discord.gg"


@dataclass(frozen=True)
class WebConfig:
    """The web server for the OAuth callback, Epson notifications and health."""

    listen: str = "127.0.0.1:8080"
    public_url: str = "http://127.0.0.1:8080"

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0] or "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


@dataclass(frozen=True)
class StorageConfig:
    """Where the SQLite database lives."""

    database: Path = field(default_factory=_default_database)


@dataclass(frozen=True)
class SecurityConfig:
    """The key that encrypts tokens at rest."""

    secret_key: Secret | None = None


@dataclass(frozen=True)
class ConversionConfig:
    """Local conversion of files Epson cannot print as they are."""

    libreoffice: str = ""
    # Start LibreOffice with the bot, so the first Office file converts fast.
    prewarm: bool = True


@dataclass(frozen=True)
class SchedulingConfig:
    """Scheduled printing (``at=``)."""

    # The IANA zone for ``at=`` times when a user has not saved ``tz=``.
    timezone: str = "UTC"


@dataclass(frozen=True)
class LimitsConfig:
    """Fairness limits applied to every user."""

    requests_per_minute: int = 10
    jobs_per_printer: int = 10


@dataclass(frozen=True)
class Config:
    """The whole configuration of one chatprint process."""

    epson: EpsonConfig = field(default_factory=EpsonConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    web: WebConfig = field(default_factory=WebConfig)
    storage: StorageConfig = field(default_factory=StorageConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    conversion: ConversionConfig = field(default_factory=ConversionConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    scheduling: SchedulingConfig = field(default_factory=SchedulingConfig)


def load_config(
    path: Path | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Read the configuration file (if any) and apply environment overrides.

    Args:
        path: The TOML file; ``None`` means ``CHATPRINT_CONFIG`` or ``./config.toml``,
            and a missing default file is not an error.
        env: The environment to read overrides from; ``os.environ`` by default.

    Raises:
        ConfigError: A file that cannot be read or a value of the wrong form.
    """
    env = os.environ if env is None else env
    data = _read_file(path, env)
    unknown = set(data) - {f.name for f in dataclasses.fields(Config)}
    if unknown:
        raise ConfigError(f"config: unknown section [{sorted(unknown)[0]}]")
    sections = {
        f.name: _build_section(f.name, _section_type(f), data.get(f.name, {}), env)
        for f in dataclasses.fields(Config)
    }
    config = Config(**sections)
    _check_values(config)
    return config


def _read_file(path: Path | None, env: Mapping[str, str]) -> dict[str, Any]:
    explicit = path is not None or "CHATPRINT_CONFIG" in env
    chosen = path or Path(env.get("CHATPRINT_CONFIG", DEFAULT_CONFIG_PATH))
    if not chosen.exists():
        if explicit:
            raise ConfigError(f"config: file {chosen} does not exist")
        return {}
    try:
        with chosen.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config: {chosen} is not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"config: cannot read {chosen} ({exc.strerror})") from None


def _section_type(section: dataclasses.Field[Any]) -> type[Any]:
    hints = typing.get_type_hints(Config)
    return typing.cast(type[Any], hints[section.name])


def _build_section(
    name: str, kind: type[Any], raw: object, env: Mapping[str, str]
) -> Any:
    if not isinstance(raw, dict):
        raise ConfigError(f"config: [{name}] must be a table of keys")
    known = {f.name for f in dataclasses.fields(kind)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"config: unknown key {name}.{sorted(unknown)[0]}")
    hints = typing.get_type_hints(kind)
    values: dict[str, Any] = {}
    for key in known:
        env_name = f"{ENV_PREFIX}{name.upper()}_{key.upper()}"
        if env_name in env:
            values[key] = _convert(f"{name}.{key}", hints[key], env[env_name], True)
        elif key in raw:
            values[key] = _convert(f"{name}.{key}", hints[key], raw[key], False)
    if (
        name == "security"
        and "secret_key" not in values
        and "CHATPRINT_SECRET_KEY" in env
    ):
        values["secret_key"] = Secret(env["CHATPRINT_SECRET_KEY"])
    return kind(**values)


def _convert(key: str, hint: Any, value: object, from_env: bool) -> Any:
    optional = isinstance(hint, types.UnionType) and type(None) in hint.__args__
    base = next(a for a in hint.__args__ if a is not type(None)) if optional else hint
    if optional and value == "":
        return None
    converter = _CONVERTERS[base]
    try:
        return converter(value, from_env)
    except (TypeError, ValueError):
        expected = _EXPECTED[base]
        raise ConfigError(f"config: {key} must be {expected}") from None


def _to_str(value: object, from_env: bool) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


def _to_int(value: object, from_env: bool) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return value
    if from_env and isinstance(value, str):
        return int(value)
    raise TypeError(value)


def _to_float(value: object, from_env: bool) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if from_env and isinstance(value, str):
        return float(value)
    raise TypeError(value)


def _to_bool(value: object, from_env: bool) -> bool:
    if isinstance(value, bool):
        return value
    if from_env and isinstance(value, str) and value.lower() in _BOOL_TEXT:
        return _BOOL_TEXT[value.lower()]
    raise TypeError(value)


_BOOL_TEXT = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
}


def _to_path(value: object, from_env: bool) -> Path:
    return Path(_to_str(value, from_env)).expanduser()


def _to_secret(value: object, from_env: bool) -> Secret:
    return Secret(_to_str(value, from_env))


_CONVERTERS: dict[Any, typing.Callable[[object, bool], Any]] = {
    str: _to_str,
    bool: _to_bool,
    int: _to_int,
    float: _to_float,
    Path: _to_path,
    Secret: _to_secret,
}
_EXPECTED = {
    str: "a string",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    Path: "a file path",
    Secret: "a string",
}


def _check_values(config: Config) -> None:
    listen = config.web.listen
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError("config: web.listen must be host:port, e.g. 127.0.0.1:8080")
    for key, url in (
        ("epson.api_url", config.epson.api_url),
        ("epson.auth_url", config.epson.auth_url),
        ("telegram.api_url", config.telegram.api_url),
        ("telegram.file_url", config.telegram.file_url),
        ("discord.api_url", config.discord.api_url),
        ("web.public_url", config.web.public_url),
    ):
        if not url.startswith(("http://", "https://")):
            raise ConfigError(f"config: {key} must be an http:// or https:// URL")
    if not config.discord.gateway_url.startswith(("ws://", "wss://")):
        raise ConfigError("config: discord.gateway_url must be a ws:// or wss:// URL")
    _check_timezone(config.scheduling.timezone)
    if config.telegram.mode not in ("polling", "webhook"):
        raise ConfigError('config: telegram.mode must be "polling" or "webhook"')
    if (
        config.epson.poll_interval <= 0
        or config.epson.poll_max < config.epson.poll_interval
    ):
        raise ConfigError(
            "config: epson.poll_max must be at least epson.poll_interval > 0"
        )


def _check_timezone(name: str) -> None:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            "config: scheduling.timezone must be an IANA zone such as Asia/Taipei"
        ) from None
