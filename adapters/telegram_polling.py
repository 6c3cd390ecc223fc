"""Long polling of Telegram that confirms an update only once it is handled.

Telegram forgets an update once a ``getUpdates`` call passes an offset above its
id. python-telegram-bot's ``Updater`` does that as soon as it has fetched the
update, so a bot killed before its handler recorded the request lost it. Here the
offset stays at the oldest update whose handling has not finished, or that is
still held back (an album part waiting for the rest of its album); Telegram then
delivers it again after a restart, and the core drops the duplicate by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import logging
import warnings
from collections.abc import Callable, Collection, Coroutine, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.error import RetryAfter, TelegramError

from adapters.telegram_http import UpdatesRequest

logger = logging.getLogger(__name__)

BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
# While an update is unconfirmed, Telegram answers each poll at once with it: wait
# for the handlings in progress to end, or this long, before asking again. A poll
# returns at most 100 updates, so a handling that never ends would stall polling
# after 100 newer ones: the core's handle must return promptly.
BUSY_REPOLL = 0.2

Process = Callable[[Update], Coroutine[Any, Any, None]]
Held = Callable[[], Collection[int]]


class UpdatePoller:
    """Fetches updates by long polling and handles each in its own task.

    Args:
        bot: The bot that fetches the updates.
        answers: The backend ``bot`` fetches updates through; told which
            updates are in hand so that they are not parsed again.
        process: Handles one update; the update counts as handled once it returns.
        held: The ids of handled updates that must stay unconfirmed for now.
        timeout: Seconds each long poll may wait for an update.
        allowed_updates: The update kinds to fetch.
    """

    def __init__(
        self,
        bot: Bot,
        answers: UpdatesRequest,
        process: Process,
        held: Held,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
    ) -> None:
        self._bot = bot
        self._answers = answers
        self._process = process
        self._held = held
        self._timeout = timeout
        self._allowed = list(allowed_updates)
        self._handling: dict[int, asyncio.Task[None]] = {}
        self._newest = -1
        self._progress = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Start polling in a background task."""
        if self._loop is not None:
            raise RuntimeError("the poller is already started: stop() it first")
        self._loop = asyncio.create_task(self._poll_forever(), name="telegram-poll")

    async def stop(self) -> None:
        """Stop polling and cut short the handlings in progress.

        Nothing more is confirmed: an update cut short is delivered again after a
        restart, just as after a kill.
        """
        self._stopping = True
        tasks = [*self._handling.values()]
        if self._loop is not None:
            tasks.append(self._loop)
        self._loop = None
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def offset(self) -> int | None:
        """The offset the next poll sends: the oldest update not yet done with."""
        unfinished = {*self._handling, *self._held()}
        if unfinished:
            return min(unfinished)
        return self._newest + 1 if self._newest >= 0 else None

    async def _poll_forever(self) -> None:
        failures = 0
        while not self._stopping:
            try:
                await self._poll_once()
                failures = 0
            except TelegramError as exc:
                failures += 1
                await self._back_off(exc, failures)
            except Exception:
                # Nothing awaits this task: a fault here would end polling silently.
                logger.exception("Polling Telegram failed unexpectedly")
                failures += 1
                await asyncio.sleep(_backoff(failures))

    async def _poll_once(self) -> None:
        if self._handling:
            # Asked now, Telegram would answer mostly with the updates still being
            # handled (up to 100, each parsed again): wait until they are done.
            await self._wait_for_progress()
        self._progress.clear()
        busy = self._busy()
        self._answers.had_through = self._newest
        updates = await self._bot.get_updates(
            offset=self.offset,
            timeout=0 if busy else self._timeout,
            allowed_updates=self._allowed,
        )
        fresh = [u for u in updates if u.update_id > self._newest]
        for update in fresh:
            self._hand_on(update)
        if busy and not fresh and not self._handling:
            await self._wait_for_progress()  # album parts held: look again soon

    def _busy(self) -> bool:
        offset = self.offset
        return offset is not None and offset <= self._newest

    def _hand_on(self, update: Update) -> None:
        self._newest = max(self._newest, update.update_id)
        task = asyncio.create_task(self._process(update))
        self._handling[update.update_id] = task
        task.add_done_callback(lambda done: self._finished(update.update_id, done))

    def _finished(self, update_id: int, task: asyncio.Task[None]) -> None:
        del self._handling[update_id]
        if not self._handling:
            self._progress.set()
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "Telegram update %s failed", update_id, exc_info=task.exception()
            )

    async def _wait_for_progress(self) -> None:
        # Not wait_for: on 3.11 it may swallow a cancel that meets the progress.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(BUSY_REPOLL):
                await self._progress.wait()

    async def _back_off(self, exc: TelegramError, failures: int) -> None:
        delay = _backoff(failures)
        if isinstance(exc, RetryAfter):
            delay = max(delay, _retry_seconds(exc))
        logger.warning("Polling Telegram failed (%s); retrying in %.1fs", exc, delay)
        await asyncio.sleep(delay)


def _backoff(failures: int) -> float:
    return float(min(BACKOFF_FIRST * 2 ** (failures - 1), BACKOFF_MAX))


def _retry_seconds(exc: RetryAfter) -> float:
    # The attribute warns that it will become a timedelta; either form is read.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    if isinstance(value, dtm.timedelta):
        return value.total_seconds()
    return float(value)
