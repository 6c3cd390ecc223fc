"""Resolving a request's print settings: options, then saved defaults, then the printer.

Epson's API has no way to ask "can you do this?" short of failing a job, so every
setting is checked here against the printer's capability for the print mode, and a
setting it cannot do is refused with what it can do instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.epson.models import (
    Capability,
    ColorMode,
    DoubleSided,
    PaperSize,
    PaperSource,
    PaperType,
    PaperTypeCapability,
    PrintMode,
    PrintQuality,
    PrintSettings,
)
from bot.errors import ChatprintError
from bot.options import PrintOptions

E = TypeVar("E", PrintQuality, PaperSource, ColorMode)


class SettingNotSupported(ChatprintError):
    """The printer cannot print with a setting the user asked for."""

    default_key = "settings.not_supported"


@dataclass(frozen=True)
class _Choice:
    """One paper size and type the printer takes, as the capability lists it."""

    size: PaperSize
    types: tuple[PaperTypeCapability, ...]


def resolve_settings(
    options: PrintOptions,
    base: PrintSettings,
    capability: Capability,
    mode: PrintMode,
    printer: str,
) -> PrintSettings:
    """Build the settings to send to Epson for one job.

    Args:
        options: The request's options already merged over the user's defaults.
        base: The printer's own default settings.
        capability: What the printer can do in ``mode``.
        mode: Document or photo.
        printer: The printer's name, for messages.

    Raises:
        SettingNotSupported: An asked-for setting the printer cannot do.
    """
    choice = _paper(options, base, capability, mode, printer)
    types = _types(options, base, choice, mode, printer)
    kind = types[0]
    settings = PrintSettings(
        paper_size=choice.size,
        paper_type=kind.paper_type,
        borderless=_borderless(options, types),
        print_quality=_pick(
            options.print_quality,
            base.print_quality,
            kind.print_qualities,
            PrintQuality,
        ),
        paper_source=_pick(
            options.paper_source, base.paper_source, kind.paper_sources, PaperSource
        ),
        color_mode=_pick(
            options.color_mode, base.color_mode, capability.color_modes, ColorMode
        ),
        double_sided=DoubleSided(options.double_sided or DoubleSided.NONE),
        reverse_order=bool(options.reverse_order),
        copies=options.copies or 1,
        collate=True if options.collate is None else options.collate,
    )
    _refuse_unsupported(settings, capability, printer)
    return settings


def _paper(
    options: PrintOptions,
    base: PrintSettings,
    capability: Capability,
    mode: PrintMode,
    printer: str,
) -> _Choice:
    sizes = {s.paper_size: s.paper_types for s in capability.paper_sizes}
    if not sizes:
        raise SettingNotSupported(
            "no paper sizes", key="settings.no_mode", printer=printer
        )
    if options.paper_size is not None:
        wanted = PaperSize(options.paper_size)
        if wanted not in sizes:
            raise _refusal("paper_size", printer, [s.value for s in sizes])
        return _Choice(wanted, sizes[wanted])
    if base.paper_size in sizes:
        return _Choice(base.paper_size, sizes[base.paper_size])
    # Photo mode on a printer whose default is A4 plain: take its first photo size.
    first = next(iter(sizes))
    return _Choice(first, sizes[first])


def _types(
    options: PrintOptions,
    base: PrintSettings,
    choice: _Choice,
    mode: PrintMode,
    printer: str,
) -> list[PaperTypeCapability]:
    if options.paper_type is not None:
        wanted = PaperType(options.paper_type)
        fits = [t for t in choice.types if t.paper_type == wanted]
        if not fits:
            raise _refusal(
                "paper_type", printer, [t.paper_type.value for t in choice.types]
            )
        return fits
    preferred = PaperType.PHOTO if mode is PrintMode.PHOTO else base.paper_type
    for kind in (preferred, base.paper_type):
        fits = [t for t in choice.types if t.paper_type == kind]
        if fits:
            return fits
    first = choice.types[0].paper_type
    return [t for t in choice.types if t.paper_type == first]


def _borderless(options: PrintOptions, types: Sequence[PaperTypeCapability]) -> bool:
    if options.borderless is not None:
        return options.borderless
    return not any(not t.borderless for t in types)


def _pick(wanted: str | None, default: E, allowed: Sequence[E], kind: type[E]) -> E:
    if wanted is not None:
        return kind(wanted)  # checked against the capability afterwards
    if default in allowed or not allowed:
        return default
    return allowed[0]


def _refuse_unsupported(
    settings: PrintSettings, capability: Capability, printer: str
) -> None:
    reason = capability.check(settings)
    if reason is None:
        return
    raise _refusal(reason, printer, _choices(reason, settings, capability))


def _choices(reason: str, settings: PrintSettings, capability: Capability) -> list[str]:
    if reason == "color_mode":
        return [c.value for c in capability.color_modes]
    sizes = {s.paper_size: s.paper_types for s in capability.paper_sizes}
    types = [
        t
        for t in sizes.get(settings.paper_size, ())
        if t.paper_type == settings.paper_type
    ]
    if reason == "paper_source":
        return sorted({s.value for t in types for s in t.paper_sources})
    if reason == "print_quality":
        return sorted({q.value for t in types for q in t.print_qualities})
    return []


def _refusal(reason: str, printer: str, choices: Sequence[str]) -> SettingNotSupported:
    return SettingNotSupported(
        f"printer cannot do {reason}",
        key=f"settings.unsupported.{reason}",
        printer=printer,
        choices=", ".join(choices),
    )
