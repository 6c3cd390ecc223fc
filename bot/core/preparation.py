"""Turning what a user sent into a file Epson can print, with its settings resolved."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfWriter

from bot.convert import (
    MAX_PDF_PAGES,
    MAX_UPLOAD_BYTES,
    FileKind,
    FileTooLarge,
    OfficeConverter,
    Printable,
    TooManyPages,
    count_pages,
    detect_kind,
    select_pages,
    to_printable,
)
from bot.core.print_settings import resolve_settings
from bot.core.tokens import TokenKeeper
from bot.epson.client import EpsonClient
from bot.epson.errors import NotSupported
from bot.epson.models import Capability, PrintMode, PrintSettings
from bot.options import PrintOptions
from storage.records import Printer

logger = logging.getLogger(__name__)

PHOTO_KINDS = frozenset(
    {
        FileKind.JPEG,
        FileKind.PNG,
        FileKind.HEIF,
        FileKind.WEBP,
        FileKind.GIF,
        FileKind.BMP,
        FileKind.TIFF,
    }
)
# Capabilities change only when the printer does: keep them for an hour.
CAPABILITY_TTL = 3600.0


@dataclass(frozen=True)
class Received:
    """One file on disk as the user sent it."""

    path: Path
    name: str
    is_photo: bool


@dataclass(frozen=True)
class Prepared:
    """The file to upload and the settings to print it with."""

    printable: Printable
    mode: PrintMode
    settings: PrintSettings


@dataclass
class _PrinterFacts:
    fetched_at: float
    defaults: PrintSettings
    capabilities: dict[PrintMode, Capability | None]


class Preparer:
    """Converts received files and resolves settings for one printer.

    Args:
        client: The Epson client (capability and default settings).
        tokens: Device tokens.
        office: LibreOffice, or ``None`` where it is not installed.
    """

    def __init__(
        self, client: EpsonClient, tokens: TokenKeeper, office: OfficeConverter | None
    ) -> None:
        self._client = client
        self._tokens = tokens
        self._office = office
        self._facts: dict[int, _PrinterFacts] = {}
        self._learning: set[asyncio.Task[None]] = set()

    def learn_soon(self, printer: Printer) -> None:
        """Read a newly linked printer's defaults and abilities in the background,
        so that its first print need not wait for them."""
        task = asyncio.create_task(self._learn(printer), name=f"learn-{printer.id}")
        self._learning.add(task)
        task.add_done_callback(self._learning.discard)

    async def learned(self) -> None:
        """Wait until the printers being read in the background are known."""
        await asyncio.gather(*self._learning, return_exceptions=True)

    async def close(self) -> None:
        """Stop reading printers in the background."""
        for task in self._learning:
            task.cancel()
        await asyncio.gather(*self._learning, return_exceptions=True)

    async def _learn(self, printer: Printer) -> None:
        try:
            for mode in PrintMode:
                await self._capability(printer, mode)
        except Exception as exc:  # a print reads them again when it needs them
            logger.info("Printer %s not read ahead: %s", printer.id, type(exc).__name__)

    async def prepare(
        self,
        files: Sequence[Received],
        printer: Printer,
        options: PrintOptions,
        work: Path,
    ) -> Prepared:
        """Detect, convert, select pages and resolve settings.

        Raises:
            IntakeError: A file that cannot be printed.
            SettingNotSupported: A setting the printer cannot do.
            OptionError, PageRangeOutside: Options that do not fit the document.
        """
        kinds = [detect_kind(f.path, name_hint=f.name) for f in files]
        mode, capability = await self._mode(files, kinds, printer, options)
        defaults = await self._defaults(printer)
        settings = resolve_settings(options, defaults, capability, mode, printer.name)
        printable = await self._convert(files, kinds, mode, settings, work)
        printable = await self._layout(printable, options, settings, work)
        return Prepared(printable, mode, settings)

    async def document_capability(self, printer: Printer) -> Capability | None:
        """What ``printer`` can do in document mode (cached), for settings cards."""
        return await self._capability(printer, PrintMode.DOCUMENT)

    def forget(self, printer_id: int) -> None:
        """Drop what is known about a printer (after unlink or a refused setting)."""
        self._facts.pop(printer_id, None)

    async def _mode(
        self,
        files: Sequence[Received],
        kinds: Sequence[FileKind],
        printer: Printer,
        options: PrintOptions,
    ) -> tuple[PrintMode, Capability]:
        if options.print_mode is not None:
            mode = PrintMode(options.print_mode)
            return mode, await self._required(printer, mode)
        if len(files) == 1 and kinds[0] in PHOTO_KINDS:
            photo = await self._capability(printer, PrintMode.PHOTO)
            if photo is not None:
                return PrintMode.PHOTO, photo
        return PrintMode.DOCUMENT, await self._required(printer, PrintMode.DOCUMENT)

    async def _required(self, printer: Printer, mode: PrintMode) -> Capability:
        capability = await self._capability(printer, mode)
        if capability is None:
            raise NotSupported(
                f"printer cannot print in {mode} mode",
                key=f"settings.no_{mode.value}_mode",
                printer=printer.name,
            )
        return capability

    async def _capability(self, printer: Printer, mode: PrintMode) -> Capability | None:
        facts = await self._load_facts(printer)
        if mode not in facts.capabilities:
            try:
                facts.capabilities[mode] = await self._tokens.call(
                    printer.id, lambda t: self._client.fetch_capability(t, mode)
                )
            except NotSupported:
                facts.capabilities[mode] = None
        return facts.capabilities[mode]

    async def _defaults(self, printer: Printer) -> PrintSettings:
        return (await self._load_facts(printer)).defaults

    async def _load_facts(self, printer: Printer) -> _PrinterFacts:
        facts = self._facts.get(printer.id)
        if facts is None or time.monotonic() - facts.fetched_at > CAPABILITY_TTL:
            defaults = await self._tokens.call(
                printer.id, self._client.fetch_default_settings
            )
            facts = _PrinterFacts(time.monotonic(), defaults, {})
            self._facts[printer.id] = facts
        return facts

    async def _convert(
        self,
        files: Sequence[Received],
        kinds: Sequence[FileKind],
        mode: PrintMode,
        settings: PrintSettings,
        work: Path,
    ) -> Printable:
        parts = [
            await to_printable(
                f.path,
                work,
                kind=kind,
                mode=mode.value,
                paper=settings.paper_size.value,
                borderless=settings.borderless,
                office=self._office,
            )
            for f, kind in zip(files, kinds, strict=True)
        ]
        if len(parts) == 1:
            return parts[0]
        return await asyncio.to_thread(_merge, parts, work / "combined.pdf")

    async def _layout(
        self,
        printable: Printable,
        options: PrintOptions,
        settings: PrintSettings,
        work: Path,
    ) -> Printable:
        if options.pages is None and options.nup == 1:
            return printable
        pages = options.pages.resolve(printable.page_count) if options.pages else None
        return await asyncio.to_thread(
            select_pages,
            printable,
            work,
            pages=pages,
            nup=options.nup,
            paper=settings.paper_size.value,
        )


def _merge(parts: Sequence[Printable], dest: Path) -> Printable:
    """One PDF of several document-mode parts, within Epson's limits."""
    total = sum(part.page_count for part in parts)
    if total > MAX_PDF_PAGES:
        raise TooManyPages(f"{total} pages combined", limit=MAX_PDF_PAGES)
    dest.parent.mkdir(mode=0o700, exist_ok=True)
    writer = PdfWriter()
    for part in parts:
        writer.append(str(part.path))
    with dest.open("wb") as handle:
        writer.write(handle)
    if dest.stat().st_size > MAX_UPLOAD_BYTES:
        raise FileTooLarge(
            "combined file over the upload limit", limit=MAX_UPLOAD_BYTES
        )
    return Printable(dest, "pdf", count_pages(dest), FileKind.PDF)
