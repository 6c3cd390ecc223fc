"""HTML of the simulated Epson Connect consent page and its error page."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape

from bot.epson.simulator.printers import SimPrinter

_STYLE = (
    "body{font-family:sans-serif;max-width:34em;margin:3em auto;color:#222}"
    "label{display:block;margin:.4em 0}button{margin-right:1em;padding:.4em 1.2em}"
)


def consent_page(
    printers: Iterable[SimPrinter], fields: Mapping[str, str], client_id: str
) -> str:
    """Return the page where a person picks a printer and approves or denies.

    Args:
        printers: the printers to offer; the first registered one is preselected.
        fields: the authorize request's parameters, carried as hidden inputs.
        client_id: the application asking for access.
    """
    hidden = "".join(
        f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'
        for name, value in fields.items()
    )
    choices = "".join(
        _choice(printer, index == 0) for index, printer in enumerate(printers)
    )
    return _page(
        "Allow access to a printer",
        f"<p>The application <b>{escape(client_id)}</b> asks to print on one of your "
        "printers through Epson Connect (simulated).</p>"
        f'<form method="post" action="/auth/authorize">{hidden}'
        f"<fieldset><legend>Printer</legend>{choices}</fieldset><p>"
        '<button type="submit" name="decision" value="approve">Approve</button>'
        '<button type="submit" name="decision" value="deny">Deny</button>'
        "</p></form>",
    )


def error_page(message: str) -> str:
    """Return a page that explains why the authorize request was refused."""
    return _page("Request refused", f"<p>{escape(message)}</p>")


def _choice(printer: SimPrinter, checked: bool) -> str:
    note = "" if printer.registered else " (not registered)"
    mark = " checked" if checked else ""
    return (
        f'<label><input type="radio" name="serial" value="{escape(printer.serial)}"'
        f"{mark}> {escape(printer.product_name)} ({escape(printer.serial)}){note}"
        "</label>"
    )


def _page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
