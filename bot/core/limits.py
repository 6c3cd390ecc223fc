"""Fairness: how many requests one user may make in a minute."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from bot.errors import ChatprintError

WINDOW = 60.0


class RateLimited(ChatprintError):
    """A user sent too many requests; ``seconds`` says when to try again."""

    default_key = "limit.rate"


class RateLimiter:
    """A sliding one-minute window of requests per user.

    Args:
        per_minute: Requests allowed in any 60 seconds.
        clock: Monotonic seconds (tests move it).
    """

    def __init__(
        self, per_minute: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = per_minute
        self._clock = clock
        self._seen: dict[int, deque[float]] = {}

    def check(self, identity_id: int, count: int = 1) -> None:
        """Record ``count`` requests for ``identity_id``.

        Raises:
            RateLimited: Over the limit; nothing is recorded.
        """
        now = self._clock()
        seen = self._seen.setdefault(identity_id, deque())
        while seen and now - seen[0] >= WINDOW:
            seen.popleft()
        if len(seen) + count > self._limit:
            wait = WINDOW - (now - seen[0]) if seen else WINDOW
            raise RateLimited("too many requests", seconds=max(1, math.ceil(wait)))
        seen.extend([now] * count)
