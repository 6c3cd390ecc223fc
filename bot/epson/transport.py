"""The HTTP plumbing under the Epson client: headers, retries, error translation.

Three kinds of request cross here: ``/api/2`` calls (API key and bearer token),
token requests (HTTP Basic, form body) and uploads (no credentials but the Key in
the URI). Every aiohttp exception and every failed status becomes an
:class:`~bot.epson.errors.EpsonError` in this module and nowhere else.

A request is retried only when a second copy cannot print twice: a GET, or any
request whose connection was never made.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

import aiohttp
from yarl import URL

from bot.epson.errors import (
    UPLOAD_LIMIT_BYTES,
    EpsonUnavailable,
    FileTooLargeForUpload,
    UnexpectedResponse,
    api_error_class,
    token_error_class,
    upload_error_class,
)
from bot.secret import Secret

logger = logging.getLogger(__name__)

CONTENT_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}

_T = TypeVar("_T")
# Error strings are short snake_case words; anything else is not echoed into logs.
_ERROR_STRING = re.compile(r"[a-z0-9_]{1,64}")
_MAX_BACKOFF = 10.0
_CONNECT_TIMEOUT = 10.0
# Files up to this size are read whole on the event loop and sent as one body:
# a spool file was written moments before and is read from the page cache in
# microseconds, where streaming it took four hops to a worker thread and back.
SMALL_UPLOAD_BYTES = 256 * 1024


@dataclass(frozen=True)
class Answer:
    """A response read in full: its status and its body bytes."""

    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status < 300

    def json(self) -> object:
        """Decode the body as JSON; an empty body gives None.

        Raises:
            ValueError: The body is not JSON.
        """
        return json.loads(self.body) if self.body.strip() else None

    def error_string(self) -> str | None:
        """Return the body's ``error`` string if it is one we can safely repeat."""
        try:
            data = self.json()
        except ValueError:
            return None
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, str) and _ERROR_STRING.fullmatch(error):
            return error
        return None


class Transport:
    """Sends requests to Epson Connect and turns failures into EpsonErrors.

    Args:
        api_url: The ``/api/2`` base URL.
        token_url: The full URL of the token endpoint.
        client_id: Our application's client id.
        client_secret: Our application's client secret.
        api_key: The ``x-api-key`` value.
        timeout: Seconds one attempt may take (connect and read for uploads).
        retries: How many more times a retryable failure is tried.
        backoff: Seconds before the first retry; doubled after each.
    """

    def __init__(
        self,
        *,
        api_url: str,
        token_url: str,
        client_id: str,
        client_secret: Secret,
        api_key: Secret,
        timeout: float,
        retries: int,
        backoff: float,
    ) -> None:
        self._api_url = api_url.rstrip("/")
        self._token_url = token_url
        self._client_id = client_id
        self._client_secret = client_secret
        self._api_key = api_key
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self._session: aiohttp.ClientSession | None = None
        self._owns_session = True

    def use_session(self, session: aiohttp.ClientSession) -> None:
        """Send through ``session``, which the caller keeps and closes."""
        self._session, self._owns_session = session, False

    async def close(self) -> None:
        """Close the session if this transport opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    async def call_api(
        self,
        operation: str,
        method: str,
        path: str,
        token: Secret,
        *,
        body: object = None,
    ) -> object:
        """Call an ``/api/2`` operation and return its decoded JSON (None if empty).

        Raises:
            EpsonError: The subclass for the status and error string.
        """
        headers = {
            "x-api-key": self._api_key.reveal(),
            "Authorization": f"Bearer {token.reveal()}",
        }
        url = URL(f"{self._api_url}{path}")

        async def attempt() -> Answer:
            answer = await self._exchange(
                operation, method, url, headers=headers, json=body
            )
            _raise_for_api(operation, answer)
            return answer

        answer = await self._retrying(operation, method, attempt)
        return _decode(operation, answer)

    async def call_token(self, operation: str, form: Mapping[str, str]) -> object:
        """POST a grant to the token endpoint and return its decoded JSON.

        Raises:
            TokenRefused: The grant was refused.
            ClientRejected: Our client credentials were refused.
            EpsonUnavailable: The endpoint could not be reached or failed.
        """
        headers = {"Authorization": self._basic_credentials()}

        async def attempt() -> Answer:
            answer = await self._exchange(
                operation,
                "POST",
                URL(self._token_url),
                headers=headers,
                data=dict(form),
            )
            _raise_for_token(operation, answer)
            return answer

        return _decode(operation, await self._retrying(operation, "POST", attempt))

    def _basic_credentials(self) -> str:
        # RFC 7617 by hand: aiohttp.BasicAuth is deprecated and its successor is new.
        pair = f"{self._client_id}:{self._client_secret.reveal()}"
        return "Basic " + base64.b64encode(pair.encode()).decode("ascii")

    async def send_file(
        self, operation: str, upload_uri: Secret, path: Path, extension: str
    ) -> int:
        """POST the file at ``path`` to the upload URI, streamed from disk
        unless it is at most ``SMALL_UPLOAD_BYTES``, which is sent as one body.

        Returns:
            The number of bytes sent.

        Raises:
            ValueError: The extension is not one Epson prints.
            FileTooLargeForUpload: The file is over the cap; nothing was sent.
            UploadError: The subclass for the upload host's status.
            EpsonUnavailable: The upload host could not be reached.
        """
        ext = _extension(extension)
        size = _checked_size(path)
        uri = upload_uri.reveal()
        url = URL(f"{uri}{'&' if '?' in uri else '?'}File=1.{ext}", encoded=True)
        content_type = CONTENT_TYPES[ext]

        async def attempt() -> Answer:
            answer = await self._post_file(operation, url, path, size, content_type)
            _raise_for_upload(operation, answer)
            return answer

        await self._retrying(operation, "POST", attempt)
        return size

    async def _post_file(
        self, operation: str, url: URL, path: Path, size: int, content_type: str
    ) -> Answer:
        if size <= SMALL_UPLOAD_BYTES:
            body = path.read_bytes()  # noqa: ASYNC240 (small, in the page cache)
            return await self._post_body(operation, url, body, content_type)
        # A file object makes aiohttp send Content-Length and read in chunks off
        # the event loop, so memory stays flat whatever the file size.
        stream: BinaryIO = await asyncio.to_thread(path.open, "rb")
        try:
            return await self._post_body(operation, url, stream, content_type)
        finally:
            await asyncio.to_thread(stream.close)

    async def _post_body(
        self, operation: str, url: URL, body: bytes | BinaryIO, content_type: str
    ) -> Answer:
        return await self._exchange(
            operation,
            "POST",
            url,
            headers={"Content-Type": content_type},
            data=body,
            limits=self._upload_timeout(),
            hide_cause=True,
        )

    async def _retrying(
        self, operation: str, method: str, attempt: Callable[[], Awaitable[_T]]
    ) -> _T:
        for number in range(self._retries + 1):
            try:
                return await attempt()
            except EpsonUnavailable as exc:
                may_retry = method == "GET" or not exc.request_sent
                if not may_retry or number == self._retries:
                    raise
                delay = min(self._backoff * 2**number, _MAX_BACKOFF)
                logger.warning("%s; retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _exchange(
        self,
        operation: str,
        method: str,
        url: URL,
        *,
        headers: Mapping[str, str] | None = None,
        json: object = None,
        data: Any = None,
        limits: aiohttp.ClientTimeout | None = None,
        hide_cause: bool = False,
    ) -> Answer:
        try:
            async with self._open_session().request(
                method,
                url,
                headers=headers,
                json=json,
                data=data,
                timeout=limits or self._api_timeout(),
                allow_redirects=False,  # a redirect must not carry our headers away
                raise_for_status=False,
            ) as response:
                return Answer(response.status, await response.read())
        except aiohttp.InvalidURL:
            # Its message is the URL itself, which may hold an upload Key.
            raise ValueError("an Epson URL is not a valid http(s) URL") from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            error = _unavailable(operation, exc, hide_cause)
            raise error from (None if hide_cause else exc)

    def _open_session(self) -> aiohttp.ClientSession:
        # Created on first use, inside the event loop, as aiohttp asks.
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _api_timeout(self) -> aiohttp.ClientTimeout:
        connect = min(self._timeout, _CONNECT_TIMEOUT)
        return aiohttp.ClientTimeout(total=self._timeout, sock_connect=connect)

    def _upload_timeout(self) -> aiohttp.ClientTimeout:
        # No total: a 20 MB file on a slow line may take minutes, yet must progress.
        connect = min(self._timeout, _CONNECT_TIMEOUT)
        return aiohttp.ClientTimeout(
            total=None, sock_connect=connect, sock_read=self._timeout
        )


def _unavailable(
    operation: str, exc: BaseException, hide_cause: bool
) -> EpsonUnavailable:
    never_sent = isinstance(
        exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError
    )
    # An upload URI holds its Key; some aiohttp messages repeat the URL.
    reason = type(exc).__name__ if hide_cause else f"{type(exc).__name__}: {exc}"
    return EpsonUnavailable(
        f"Epson {operation} could not reach Epson Connect ({reason})",
        request_sent=not never_sent,
        operation=operation,
    )


def _raise_for_api(operation: str, answer: Answer) -> None:
    logger.debug("Epson %s answered %s", operation, answer.status)
    if answer.ok:
        return
    error = answer.error_string()
    raise api_error_class(answer.status, error)(
        f"Epson {operation} answered {answer.status} {error or '(no error string)'}",
        operation=operation,
        status=answer.status,
        error=error,
    )


def _raise_for_token(operation: str, answer: Answer) -> None:
    logger.debug("Epson token endpoint answered %s to %s", answer.status, operation)
    if answer.ok:
        return
    error = answer.error_string()
    raise token_error_class(answer.status, error)(
        f"Epson token endpoint refused {operation}: {answer.status} {error}",
        operation=operation,
        status=answer.status,
        error=error,
    )


def _raise_for_upload(operation: str, answer: Answer) -> None:
    logger.debug("Epson upload host answered %s to %s", answer.status, operation)
    if answer.ok:
        return
    raise upload_error_class(answer.status)(
        f"Epson upload host answered {answer.status}",
        status=answer.status,
        operation=operation,
    )


def parse(operation: str, build: Callable[[Any], _T], body: object) -> _T:
    """Build a domain object from a decoded body, or raise UnexpectedResponse.

    Args:
        operation: The operation's name, for the message.
        build: Reads the body; fails with KeyError, TypeError or ValueError.
        body: The decoded JSON of a successful answer.
    """
    try:
        return build(body)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UnexpectedResponse(
            f"Epson {operation} answered an unexpected shape "
            f"({type(exc).__name__}: {exc})",
            operation=operation,
        ) from exc


def _extension(extension: str) -> str:
    ext = extension.lower().lstrip(".")
    ext = "jpg" if ext == "jpeg" else ext
    if ext not in CONTENT_TYPES:
        raise ValueError(f"Epson prints pdf, jpg, jpeg or png files, not {extension!r}")
    return ext


def _checked_size(path: Path) -> int:
    size = path.stat().st_size
    if size > UPLOAD_LIMIT_BYTES:
        raise FileTooLargeForUpload(
            f"the file has {size} bytes; Epson takes at most {UPLOAD_LIMIT_BYTES}",
            size=size,
            limit=UPLOAD_LIMIT_BYTES,
        )
    return size


def _decode(operation: str, answer: Answer) -> object:
    try:
        return answer.json()
    except ValueError as exc:
        raise UnexpectedResponse(
            f"Epson {operation} answered {answer.status} with a body that is not JSON",
            operation=operation,
        ) from exc
