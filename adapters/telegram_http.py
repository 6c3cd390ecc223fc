"""The HTTP backend python-telegram-bot sends its Bot API calls through: aiohttp.

The library's own backend (httpx) spends about 1.2 ms of CPU per call on the
way in and out; aiohttp, which the rest of chatprint already uses, about a
quarter of that. A bot that edits a status message three or four times per
print makes many calls, so the difference is most of a burst's cost.

The request URL holds the bot token: no error raised here carries the URL or an
exception whose text might quote it.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 5.0
WRITE_TIMEOUT = 5.0
# A photo or preview upload may take longer than a text message.
MEDIA_WRITE_TIMEOUT = 20.0


class AiohttpRequest(BaseRequest):
    """Sends python-telegram-bot's requests with one aiohttp session.

    Args:
        connections: The most connections open at once.
        read_timeout: Seconds to wait for an answer when the call gives none.
    """

    def __init__(self, *, connections: int = 256, read_timeout: float = READ_TIMEOUT):
        self._connections = connections
        self._read_timeout = read_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """The default read timeout, to which long polling adds its own wait."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Open the session (once)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        """Close the session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; return its status and body (see ``BaseRequest``)."""
        if self._session is None:
            raise RuntimeError("the request backend is not initialized")
        has_files = request_data is not None and request_data.contains_files
        write_default = MEDIA_WRITE_TIMEOUT if has_files else WRITE_TIMEOUT
        timeout = self._timeout(
            _chosen(connect_timeout, CONNECT_TIMEOUT),
            _chosen(write_timeout, write_default),
            _chosen(read_timeout, self._read_timeout),
        )
        headers = {"User-Agent": self.USER_AGENT}
        try:
            async with self._session.request(
                method, url, data=_body(request_data), headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError:
            raise TimedOut("the Bot API did not answer in time") from None
        except aiohttp.ClientError as exc:
            # The exception's text may quote the URL, hence the token: name it only.
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from None

    @staticmethod
    def _timeout(connect: float, write: float, read: float) -> aiohttp.ClientTimeout:
        # A long poll's read timeout already includes the wait it asks for.
        return aiohttp.ClientTimeout(total=connect + write + read, sock_connect=connect)


class UpdatesRequest(AiohttpRequest):
    """The backend of ``getUpdates``, which leaves out the updates already in hand.

    An update stays unconfirmed until the bot has handled it (see
    ``telegram_polling.py``), so while hundreds arrive at once each poll answers
    with up to 100 updates the bot already has. python-telegram-bot would build
    every one of them again, about 0.1 ms each; here they are dropped from the
    answer before it does.
    """

    def __init__(self) -> None:
        super().__init__(connections=1)
        self.had_through = -1
        """The newest update id in hand; answers keep only newer ones."""

    def parse_json_payload(self, payload: bytes) -> JSONDict:  # type: ignore[override]
        """Parse an answer and drop the updates up to :attr:`had_through`."""
        answer = BaseRequest.parse_json_payload(payload)
        updates = answer.get("result")
        if isinstance(updates, list):
            answer["result"] = [u for u in updates if not self._had(u)]
        return answer

    def _had(self, update: object) -> bool:
        number = update.get("update_id") if isinstance(update, dict) else None
        return isinstance(number, int) and number <= self.had_through


def _chosen(given: ODVInput[float], default: float) -> float:
    if isinstance(given, DefaultValue) or given is None:
        return default
    return float(given)


def _body(request_data: RequestData | None) -> Any:
    """Form fields as the Bot API takes them; multipart once a file is attached."""
    if request_data is None:
        return None
    fields = request_data.json_parameters
    if not request_data.contains_files:
        return fields
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form
