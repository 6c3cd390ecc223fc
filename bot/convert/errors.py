"""Errors for files that cannot be received, read or turned into something printable.

The tree, by the step that finds the condition::

    IntakeError             a file that cannot be printed (ChatprintError)
    ├── UnsupportedFile     the content is no kind we print (``accepted``)
    ├── EmptyFile           zero bytes arrived
    ├── FileTooLarge        over the upload cap, as sent or converted (``limit_mb``)
    ├── EncryptedPdf        a PDF that needs a password to open
    ├── CorruptFile         a known kind that does not decode (``kind``)
    ├── TooManyPages        more pages than we send in one job (``limit``)
    ├── ImageTooLarge       more pixels than we decode (``limit_mp``)
    ├── OfficeUnavailable   an office document, but no LibreOffice to convert it
    ├── ConversionFailed    LibreOffice ran and gave no PDF, or ran too long
    └── NupNeedsDocument    several pages per sheet asked of a single image

Every class carries its catalogue key (``bot/messages/intake.toml``) and the params
its sentence needs. No param ever holds a path: the chat sees them.
"""

from __future__ import annotations

from bot.errors import ChatprintError

ACCEPTED = (
    "PDF, JPEG, PNG, HEIC, WebP, GIF, BMP, TIFF, text, Markdown, "
    "Word, Excel, PowerPoint, OpenDocument, RTF"
)


class IntakeError(ChatprintError):
    """A file that cannot be printed; the root of this module's tree."""

    default_key = "intake.failed"


class UnsupportedFile(IntakeError):
    """The content matches no kind of file we print."""

    default_key = "intake.unsupported"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail, accepted=ACCEPTED)


class EmptyFile(IntakeError):
    """The file holds zero bytes."""

    default_key = "intake.empty"


class FileTooLarge(IntakeError):
    """The file, as sent or as converted, is over the upload cap."""

    default_key = "intake.too_large"

    def __init__(self, detail: str = "", *, limit: int) -> None:
        super().__init__(detail, limit_mb=limit // 1_000_000)


class EncryptedPdf(IntakeError):
    """The PDF needs a password to open."""

    default_key = "intake.encrypted_pdf"


class CorruptFile(IntakeError):
    """The file starts like a known kind but does not decode as one."""

    default_key = "intake.corrupt"

    def __init__(self, detail: str = "", *, kind: str) -> None:
        super().__init__(detail, kind=kind)


class TooManyPages(IntakeError):
    """The document has more pages than one job may hold."""

    default_key = "intake.too_many_pages"

    def __init__(self, detail: str = "", *, limit: int) -> None:
        super().__init__(detail, limit=limit)


class ImageTooLarge(IntakeError):
    """The image has more pixels than we agree to decode (a decompression bomb)."""

    default_key = "intake.image_too_large"

    def __init__(self, detail: str = "", *, limit: int) -> None:
        super().__init__(detail, limit_mp=limit // 1_000_000)


class OfficeUnavailable(IntakeError):
    """An office document arrived, but no LibreOffice is there to convert it."""

    default_key = "intake.office_unavailable"


class ConversionFailed(IntakeError):
    """LibreOffice gave no PDF for the document, or took too long."""

    default_key = "intake.conversion_failed"


class NupNeedsDocument(IntakeError):
    """Several pages per sheet were asked of a single image."""

    default_key = "intake.nup_needs_document"
