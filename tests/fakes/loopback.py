"""Loopback serving for the fake platforms and a condition poller for tests."""

from __future__ import annotations

import asyncio
import inspect
import socket
from collections.abc import Awaitable, Callable
from types import TracebackType

from aiohttp import web

HOST = "127.0.0.1"
POLL_INTERVAL = 0.01


class LoopbackServer:
    """An aiohttp application served on 127.0.0.1 at a free port.

    The runner waits at most one second for open requests on shutdown: a fake
    may still hold a long poll that the client already gave up on. It writes no
    access log: a platform's request paths may hold the bot token, and that log
    belongs to the platform, not to the bot under test.

    Args:
        app: The application to serve.
    """

    def __init__(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        self._socket: socket.socket | None = None
        self.port = 0

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash, e.g. ``http://127.0.0.1:5000``."""
        if not self.port:
            raise RuntimeError("the server is not started: call start() first")
        return f"http://{HOST}:{self.port}"

    def bind(self) -> None:
        """Take a free port now, so :attr:`url` is known before routes are added."""
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.bind((HOST, 0))
        self.port = self._socket.getsockname()[1]

    async def start(self) -> None:
        """Start serving, on the port :meth:`bind` took or on a free one."""
        await self._runner.setup()
        if self._socket is not None:
            site: web.BaseSite = web.SockSite(self._runner, self._socket)
        else:
            site = web.TCPSite(self._runner, HOST, 0)
        await site.start()
        self.port = _bound_port(self._runner)

    async def close(self) -> None:
        """Stop serving and release the port."""
        await self._runner.cleanup()

    async def __aenter__(self) -> LoopbackServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()


def _bound_port(runner: web.AppRunner) -> int:
    """The TCP port the runner's only site listens on."""
    for address in runner.addresses:
        return int(address[1])
    raise RuntimeError("the runner has no bound address")


async def wait_until(
    predicate: Callable[[], bool | Awaitable[bool]],
    timeout: float = 5.0,
    *,
    message: str = "condition",
) -> None:
    """Poll ``predicate`` until it holds, failing after ``timeout`` seconds.

    Args:
        predicate: A plain or async callable returning a truthy value when done.
        timeout: Seconds to wait before giving up.
        message: What is awaited, for the timeout error.

    Raises:
        TimeoutError: The predicate did not hold in time.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await _holds(predicate):
        if loop.time() >= deadline:
            raise TimeoutError(f"{message} did not hold within {timeout:.1f}s")
        await asyncio.sleep(POLL_INTERVAL)


async def _holds(predicate: Callable[[], bool | Awaitable[bool]]) -> bool:
    result = predicate()
    if inspect.isawaitable(result):
        result = await result
    return bool(result)
