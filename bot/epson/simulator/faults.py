"""Fault injection: failed and slow requests, paused jobs and offline printers."""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from bot.epson.simulator.errors import reason_for
from bot.epson.simulator.printers import SimPrinter
from bot.epson.simulator.printing import PrintEngine

logger = logging.getLogger(__name__)

API_PREFIX = "/api/2"


@dataclass
class _Failure:
    remaining: int
    status: int
    path_prefix: str
    after_handling: bool


class Faults:
    """What should go wrong next; ``sim.faults`` in tests and demos.

    Request faults (``fail_next``, ``error_rate``, ``latency``) act in the
    server's middleware; device faults act on the printers and the print engine.
    """

    def __init__(self, printers: dict[str, SimPrinter], engine: PrintEngine) -> None:
        self._printers = printers
        self._engine = engine
        self._failures: list[_Failure] = []
        self._ratio = 0.0
        self._statuses: tuple[int, ...] = (500, 502, 503)
        self._lost_ratio = 0.0
        self._random = random.Random()  # noqa: S311 - faults need no crypto
        self._delay = 0.0
        self._delay_ratio = 1.0

    def fail_next(
        self,
        count: int = 1,
        status: int = 500,
        path_prefix: str = API_PREFIX,
        *,
        after_handling: bool = False,
    ) -> None:
        """Answer the next ``count`` requests under ``path_prefix`` with ``status``.

        With ``after_handling`` the request is carried out first and only its
        answer is lost, as when a connection drops on the way back.
        """
        self._failures.append(_Failure(count, status, path_prefix, after_handling))

    def error_rate(
        self,
        ratio: float,
        statuses: tuple[int, ...] = (500, 502, 503),
        seed: int | None = None,
        *,
        lost_ratio: float = 0.0,
    ) -> None:
        """Fail this share of API calls at random with one of ``statuses``.

        Args:
            ratio: share of API calls that fail, 0 to 1.
            statuses: the statuses to pick from.
            seed: makes the sequence of failures repeatable.
            lost_ratio: share of those failures that happen after the call was
                carried out, so that only its answer is lost.
        """
        self._ratio, self._statuses, self._lost_ratio = ratio, statuses, lost_ratio
        self._random.seed(seed)

    def latency(self, seconds: float, ratio: float = 1.0) -> None:
        """Delay this share of requests by ``seconds`` before answering."""
        self._delay, self._delay_ratio = seconds, ratio

    def pause_next_job(self, serial: str, status: str = "media_empty") -> None:
        """Pause the next job reaching ``processing`` on ``serial`` with ``status``.

        The job stays paused until ``Simulator.resume(serial)``.
        """
        self._printer(serial)
        self._engine.request_pause(serial, status)

    def set_offline(self, serial: str, offline: bool = True) -> None:
        """Take ``serial`` off Epson Connect (jobs wait in ``pending``) or back."""
        self._printer(serial).connected = not offline
        logger.info("Printer %s is %s", serial, "offline" if offline else "online")
        self._engine.wake(serial)

    def clear(self) -> None:
        """Forget every request fault."""
        self._failures.clear()
        self._ratio = self._delay = 0.0

    def middleware(self) -> Middleware:
        """Return the aiohttp middleware that applies the request faults."""

        @web.middleware
        async def inject_faults(
            request: web.Request, handler: Handler
        ) -> web.StreamResponse:
            await self._wait()
            failure = self._take_failure(request.path)
            if failure is None:
                return await handler(request)
            status, after_handling = failure
            if after_handling:
                await handler(request)
            return _failed(request, status)

        return inject_faults

    async def _wait(self) -> None:
        if self._delay > 0 and self._random.random() < self._delay_ratio:
            await asyncio.sleep(self._delay)

    def _take_failure(self, path: str) -> tuple[int, bool] | None:
        for failure in self._failures:
            if path.startswith(failure.path_prefix):
                failure.remaining -= 1
                if failure.remaining <= 0:
                    self._failures.remove(failure)
                return failure.status, failure.after_handling
        if not path.startswith(API_PREFIX) or self._random.random() >= self._ratio:
            return None
        after_handling = self._random.random() < self._lost_ratio
        return self._random.choice(self._statuses), after_handling

    def _printer(self, serial: str) -> SimPrinter:
        if serial not in self._printers:
            raise ValueError(f"unknown printer {serial!r}; use a key of sim.printers")
        return self._printers[serial]


def _failed(request: web.Request, status: int) -> web.Response:
    logger.debug("Injected %s for %s %s", status, request.method, request.path)
    return web.json_response({"error": reason_for(status)}, status=status)
