"""Simulated printers: identity, truthful capabilities and default settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.epson.simulator.errors import Refused
from bot.epson.simulator.shapes import (
    CapabilityWire,
    DestinationWire,
    DeviceInfoWire,
    PaperSizeWire,
    PaperTypeWire,
    PrintSettingsWire,
)


@dataclass(frozen=True)
class PaperTypeCapability:
    """One paper type on one paper size, with or without borders."""

    paper_type: str
    borderless: bool
    sources: tuple[str, ...]
    qualities: tuple[str, ...]
    double_sided: bool = False

    def to_wire(self) -> PaperTypeWire:
        """Return the capability entry as the API sends it."""
        return {
            "paperType": self.paper_type,
            "borderless": self.borderless,
            "paperSources": list(self.sources),
            "printQualities": list(self.qualities),
            "doubleSided": self.double_sided,
        }

    def allows(self, settings: PrintSettingsWire) -> bool:
        """Say whether ``settings`` fit this entry (size and colour aside)."""
        return (
            settings["paperType"] == self.paper_type
            and settings["borderless"] == self.borderless
            and settings["paperSource"] in self.sources
            and settings["printQuality"] in self.qualities
            and (settings["doubleSided"] == "none" or self.double_sided)
        )


@dataclass(frozen=True)
class ModeCapability:
    """What a printer can print in one print mode."""

    color_modes: tuple[str, ...]
    resolutions: tuple[int, ...]
    paper_sizes: dict[str, tuple[PaperTypeCapability, ...]]

    def to_wire(self) -> CapabilityWire:
        """Return the capability as ``GET /printing/capability/{mode}`` sends it."""
        sizes: list[PaperSizeWire] = [
            {"paperSize": size, "paperTypes": [t.to_wire() for t in types]}
            for size, types in self.paper_sizes.items()
        ]
        return {
            "colorModes": list(self.color_modes),
            "resolutions": list(self.resolutions),
            "paperSizes": sizes,
        }

    def allows(self, settings: PrintSettingsWire) -> bool:
        """Say whether this mode can print with ``settings``."""
        types = self.paper_sizes.get(settings["paperSize"], ())
        return settings["colorMode"] in self.color_modes and any(
            t.allows(settings) for t in types
        )


@dataclass
class SimPrinter:
    """A printer registered with the simulated Epson Connect.

    ``connected`` and ``registered`` may be changed at any time: an offline
    printer keeps jobs pending, and an unregistered one is refused at the consent
    page (``not_registered``) and answers API calls with ``device_not_found``.
    """

    serial: str
    product_name: str
    multibyte_display: bool
    capabilities: dict[str, ModeCapability]
    defaults: dict[str, PrintSettingsWire]
    scanner: bool = True
    connected: bool = True
    registered: bool = True
    destinations: dict[str, DestinationWire] = field(default_factory=dict)

    def device_info(self) -> DeviceInfoWire:
        """Return the body of ``GET /printing/devices/info``."""
        return {
            "productName": self.product_name,
            "serialNumber": self.serial,
            "multiByteDisplay": self.multibyte_display,
            "connected": self.connected,
        }

    def capability(self, print_mode: str) -> ModeCapability:
        """Return the capability for ``print_mode``.

        Raises:
            Refused: 400 ``not_supported`` when the printer lacks that mode.
        """
        if print_mode not in self.capabilities:
            raise Refused(400, "not_supported")
        return self.capabilities[print_mode]

    def default_settings(self, print_mode: str = "document") -> PrintSettingsWire:
        """Return the settings a job gets when its body names none."""
        self.capability(print_mode)
        return self.defaults[print_mode].copy()

    def check_settings(self, print_mode: str, settings: PrintSettingsWire) -> None:
        """Refuse settings this printer cannot print.

        Raises:
            Refused: 400 ``not_supported`` for a missing mode, 400
                ``invalid_print_settings`` for settings outside the capability.
        """
        if not self.capability(print_mode).allows(settings):
            raise Refused(400, "invalid_print_settings")


def _settings(
    size: str, paper: str, source: str, color: str, *, borderless: bool = False
) -> PrintSettingsWire:
    return {
        "paperSize": size,
        "paperType": paper,
        "borderless": borderless,
        "printQuality": "normal",
        "paperSource": source,
        "colorMode": color,
        "doubleSided": "none",
        "reverseOrder": False,
        "copies": 1,
        "collate": True,
    }


def _document_printer() -> SimPrinter:
    plain = PaperTypeCapability(
        "pt_plainpaper",
        False,
        ("auto", "front1", "rear"),
        ("draft", "normal", "high"),
        double_sided=True,
    )
    legal = PaperTypeCapability("pt_plainpaper", False, ("rear",), ("normal",))
    photo = PaperTypeCapability("pt_photopaper", False, ("rear",), ("normal", "high"))
    document = ModeCapability(
        ("color", "mono"),
        (360, 720),
        {
            "ps_a4": (plain, photo),
            "ps_a5": (plain,),
            "ps_letter": (plain,),
            "ps_legal": (legal,),
        },
    )
    photo_mode = ModeCapability(
        ("color", "mono"),
        (720,),
        {"ps_a4": (photo,), "ps_l": (photo,), "ps_kg": (photo,)},
    )
    return SimPrinter(
        serial="X4AA001234",
        product_name="EW-M873T",
        multibyte_display=False,
        capabilities={"document": document, "photo": photo_mode},
        defaults={
            "document": _settings("ps_a4", "pt_plainpaper", "auto", "color"),
            "photo": _settings("ps_l", "pt_photopaper", "rear", "color"),
        },
    )


def _mono_printer() -> SimPrinter:
    plain = PaperTypeCapability(
        "pt_plainpaper", False, ("auto", "front1"), ("draft", "normal")
    )
    document = ModeCapability(
        ("mono",),
        (300, 600),
        {"ps_a4": (plain,), "ps_b5": (plain,), "ps_letter": (plain,)},
    )
    return SimPrinter(
        serial="X5BB005678",
        product_name="PX-S887",
        multibyte_display=False,
        capabilities={"document": document},
        defaults={"document": _settings("ps_a4", "pt_plainpaper", "auto", "mono")},
        scanner=False,
    )


def _photo_printer() -> SimPrinter:
    sources, qualities = ("rear", "front2"), ("normal", "high")
    glossy = PaperTypeCapability("pt_photopaper", True, sources, qualities)
    framed = PaperTypeCapability("pt_photopaper", False, sources, qualities)
    plain = PaperTypeCapability(
        "pt_plainpaper", False, ("front1",), ("draft", "normal"), double_sided=True
    )
    photo = ModeCapability(
        ("color",),
        (5760,),
        {
            "ps_kg": (glossy, framed),
            "ps_l": (glossy, framed),
            "ps_2l": (glossy, framed),
            "ps_a4": (glossy, framed),
        },
    )
    document = ModeCapability(
        ("color", "mono"), (360, 720), {"ps_a4": (plain,), "ps_letter": (plain,)}
    )
    return SimPrinter(
        serial="X6CC009012",
        product_name="EP-887A",
        multibyte_display=True,
        capabilities={"document": document, "photo": photo},
        defaults={
            "document": _settings("ps_a4", "pt_plainpaper", "front1", "color"),
            "photo": _settings(
                "ps_kg", "pt_photopaper", "rear", "color", borderless=True
            ),
        },
    )


def default_printers() -> dict[str, SimPrinter]:
    """Return the three demo printers, by serial number.

    * ``EW-M873T``: A4 document printer, colour, duplex on plain paper, some
      photo paper.
    * ``PX-S887``: monochrome documents only, no duplex, no scanner.
    * ``EP-887A``: photo printer, borderless photo paper from KG to A4.
    """
    printers = (_document_printer(), _mono_printer(), _photo_printer())
    return {printer.serial: printer for printer in printers}
