"""The refusal the simulator answers with: an HTTP status and an Epson error string."""

from __future__ import annotations

from aiohttp import web


class Refused(Exception):
    """Raised by a handler to answer ``{"error": error}`` with ``status``.

    Args:
        status: HTTP status code, as the spec declares it for the condition.
        error: Epson error string, e.g. ``"job_not_found"``.
    """

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status} {error}")
        self.status = status
        self.error = error

    def to_response(self) -> web.Response:
        """Return the JSON error response this refusal stands for."""
        return web.json_response({"error": self.error}, status=self.status)


def reason_for(status: int) -> str:
    """Return the Epson error string the simulator uses for a bare ``status``."""
    if status >= 500:
        return "internal_server_error"
    return {400: "invalid_resource", 401: "unauthorized", 404: "not_found"}.get(
        status, "request_failed"
    )
