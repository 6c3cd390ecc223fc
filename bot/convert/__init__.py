"""File intake and conversion: from what a user sends to what Epson prints.

The core uses only the names below: receive a download under the cap
(:func:`receive`), tell its kind from its bytes (:func:`detect_kind`), turn it into a
PDF, JPEG or PNG (:func:`to_printable`), choose pages and n-up
(:func:`select_pages`), and draw a preview (:func:`render_preview`).
"""

from bot.convert.errors import (
    ConversionFailed,
    CorruptFile,
    EmptyFile,
    EncryptedPdf,
    FileTooLarge,
    ImageTooLarge,
    IntakeError,
    NupNeedsDocument,
    OfficeUnavailable,
    TooManyPages,
    UnsupportedFile,
)
from bot.convert.images import MAX_IMAGE_PIXELS
from bot.convert.intake import MAX_UPLOAD_BYTES, clean_filename, receive
from bot.convert.kinds import FileKind, detect_kind
from bot.convert.office import OfficeConverter
from bot.convert.paper import PAPER_SIZES, PaperSize, get_paper
from bot.convert.pdf import MAX_PDF_PAGES, count_pages
from bot.convert.preview import preview_path, render_preview
from bot.convert.printable import (
    PRINTABLE_EXTENSIONS,
    Printable,
    select_pages,
    to_printable,
)

__all__ = [
    "MAX_IMAGE_PIXELS",
    "MAX_PDF_PAGES",
    "MAX_UPLOAD_BYTES",
    "PAPER_SIZES",
    "PRINTABLE_EXTENSIONS",
    "ConversionFailed",
    "CorruptFile",
    "EmptyFile",
    "EncryptedPdf",
    "FileKind",
    "FileTooLarge",
    "ImageTooLarge",
    "IntakeError",
    "NupNeedsDocument",
    "OfficeConverter",
    "OfficeUnavailable",
    "PaperSize",
    "Printable",
    "TooManyPages",
    "UnsupportedFile",
    "clean_filename",
    "count_pages",
    "detect_kind",
    "get_paper",
    "preview_path",
    "receive",
    "render_preview",
    "select_pages",
    "to_printable",
]
