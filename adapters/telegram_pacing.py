"""Pacing messages to Telegram's overall rate, answers to people first.

Telegram takes about 30 messages a second from a bot across all chats. In a
burst, status updates of hundreds of jobs would fill that budget for minutes,
and a person who just sent /link would wait behind all of them. Here every send
or edit takes a turn; an answer to something a person just did takes the next
free turn, status updates the ones after.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

# Telegram's documented limit for messages from one bot, all chats together.
MESSAGES_PER_SECOND = 30.0


class SendPace:
    """Hands out turns at most ``rate`` a second, urgent waiters first.

    Args:
        rate: Turns a second.
    """

    def __init__(self, rate: float = MESSAGES_PER_SECOND) -> None:
        self._interval = 1.0 / rate
        self._next_free = 0.0
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._routine: deque[asyncio.Future[None]] = deque()
        self._handing_out: asyncio.Task[None] | None = None

    async def turn(self, *, urgent: bool) -> None:
        """Wait for a turn to send one message."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        if not (self._urgent or self._routine) and now >= self._next_free:
            self._next_free = now + self._interval
            return
        waiter = loop.create_future()
        queue = self._urgent if urgent else self._routine
        queue.append(waiter)
        self._hand_out_soon()
        try:
            await waiter
        except asyncio.CancelledError:
            with contextlib.suppress(ValueError):
                queue.remove(waiter)
            raise

    def close(self) -> None:
        """Stop handing out turns; waiters are cancelled."""
        if self._handing_out is not None:
            self._handing_out.cancel()
        for waiter in (*self._urgent, *self._routine):
            waiter.cancel()

    def _hand_out_soon(self) -> None:
        if self._handing_out is None or self._handing_out.done():
            self._handing_out = asyncio.create_task(
                self._hand_out(), name="telegram-pace"
            )

    async def _hand_out(self) -> None:
        loop = asyncio.get_running_loop()
        while self._waiting():
            delay = self._next_free - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            # Taken only now: an urgent waiter may have come during the sleep.
            waiter = self._pop_next()
            if waiter is not None:
                waiter.set_result(None)
                self._next_free = max(loop.time(), self._next_free) + self._interval

    def _waiting(self) -> bool:
        for queue in (self._urgent, self._routine):
            while queue and queue[0].done():
                queue.popleft()
        return bool(self._urgent or self._routine)

    def _pop_next(self) -> asyncio.Future[None] | None:
        if not self._waiting():
            return None
        return (self._urgent or self._routine).popleft()
