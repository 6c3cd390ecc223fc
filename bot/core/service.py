"""The core as the adapters see it: commands in, answers and status messages out."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.catalogue import language_for, render, render_error
from bot.config import Config
from bot.convert import OfficeConverter
from bot.core import (
    accounts,
    group_print,
    identity_link,
    job_commands,
    policy_commands,
    printing,
    sharing,
)
from bot.core.adapter import ChatAdapter, ChatLinks
from bot.core.approvals import Approvals
from bot.core.chat import OutgoingMessage
from bot.core.commands import (
    ApproversCommand,
    ButtonCommand,
    CancelCommand,
    Command,
    ConnectCommand,
    ForgetCommand,
    HelpCommand,
    InviteCommand,
    JobsCommand,
    JoinCommand,
    LinkCommand,
    PauseCommand,
    PolicyCommand,
    PrintCommand,
    PrintersCommand,
    ReprintCommand,
    ResumeCommand,
    SettingsCommand,
    ShareCommand,
    StartCommand,
    StatusCommand,
    UnlinkCommand,
    UnshareCommand,
    UsageCommand,
)
from bot.core.context import Request
from bot.core.jobs import JobRunner
from bot.core.limits import RateLimiter
from bot.core.link_state import StateSealer
from bot.core.linking import Linker, LinkOutcome
from bot.core.preparation import Preparer
from bot.core.status import StatusReporter
from bot.core.tokens import TokenKeeper
from bot.epson.client import EpsonClient
from bot.epson.models import JobCallback
from bot.errors import ChatprintError
from bot.secret import Secret
from storage.store import Store

logger = logging.getLogger(__name__)

PRUNE_EVERY = 24 * 3600.0
# How often jobs waiting for a printer link are checked for expiry.
LINK_WAIT_CHECK_EVERY = 3600.0
Handler = Callable[..., Awaitable[list[OutgoingMessage]]]


class PrintService:
    """The platform-neutral core of chatprint.

    Args:
        config: The whole configuration.
        store: Persistence.
        client: Epson Connect.
        secret_key: Seals OAuth states.
        spool_dir: A private folder for files in flight.
        office: LibreOffice, or ``None``.
    """

    def __init__(
        self,
        *,
        config: Config,
        store: Store,
        client: EpsonClient,
        secret_key: Secret,
        spool_dir: Path,
        office: OfficeConverter | None,
    ) -> None:
        self.config = config
        self.store = store
        self.client = client
        self.adapters: dict[str, ChatAdapter] = {}
        self.tokens = TokenKeeper(store, client)
        self.linker = Linker(
            store, client, self.tokens, StateSealer(secret_key), config.web.public_url
        )
        self.preparer = Preparer(client, self.tokens, office)
        self.reporter = StatusReporter(store, self.adapters)
        self.limiter = RateLimiter(config.limits.requests_per_minute)
        self._upkeep: list[asyncio.Task[None]] = []
        self.approvals = Approvals(self)
        self.reporter.observers.append(self.approvals.alert_owner)
        self.runner = JobRunner(
            store=store,
            client=client,
            tokens=self.tokens,
            preparer=self.preparer,
            reporter=self.reporter,
            adapters=self.adapters,
            spool_dir=spool_dir,
            poll_interval=config.epson.poll_interval,
            poll_max=config.epson.poll_max,
            gate=self.approvals.admit,
        )

    def register(self, adapter: ChatAdapter) -> None:
        """Route status messages for ``adapter.platform`` to ``adapter``."""
        self.adapters[adapter.platform] = adapter

    async def start(self) -> None:
        """Resume every job a previous run left unfinished; start the upkeep."""
        resumed = await self.runner.resume()
        self._upkeep = [
            asyncio.create_task(self._prune_daily(), name="upkeep"),
            asyncio.create_task(self._expire_link_waits(), name="link-waits"),
        ]
        self.approvals.start()
        logger.info("Print service started; %s unfinished jobs resumed", resumed)

    async def close(self) -> None:
        """Stop driving jobs; they resume at the next start."""
        for task in self._upkeep:
            task.cancel()
        await asyncio.gather(*self._upkeep, return_exceptions=True)
        await self.approvals.close()
        await self.runner.close()
        await self.preparer.close()
        await self.tokens.close()
        await self.reporter.close()

    async def _prune_daily(self) -> None:
        while True:
            removed = await self.store.prune_events()
            logger.info("Pruned %s old event claims and nonces", removed)
            await asyncio.sleep(PRUNE_EVERY)

    async def _expire_link_waits(self) -> None:
        while True:
            expired = await self.runner.expire_link_waits()
            if expired:
                logger.info("%s jobs expired waiting for a printer link", expired)
            await asyncio.sleep(LINK_WAIT_CHECK_EVERY)

    async def handle(self, command: Command) -> list[OutgoingMessage]:
        """Carry out ``command`` and return the answers for the asking chat."""
        origin = command.origin
        sender = origin.sender
        # A print is deduplicated by its job's request key instead, recorded
        # together with the job (see printing.py), so a crash in between loses
        # nothing.
        if not isinstance(command, PrintCommand) and not await self.store.claim_event(
            sender.platform, origin.event_id
        ):
            logger.info("Event %s was seen before; ignoring it", origin.event_id)
            return []
        identity = await self.store.upsert_identity(
            sender.platform, sender.user_id, sender.display_name, sender.language
        )
        request = Request(origin, identity, language_for(sender.language))
        try:
            return await _HANDLERS[type(command)](self, request, command)
        except ChatprintError as exc:
            logger.info("Command %s refused: %s", type(command).__name__, exc.key)
            return [_error(request, exc)]

    async def complete_link(
        self, *, code: str | None, state: str | None, error: str | None
    ) -> LinkOutcome:
        """Finish a link from the OAuth callback and tell the user in their chat.

        Jobs that waited for this printer to be linked again go on first: telling
        the chat can take long on a busy bot, and this request has a time limit.
        """
        outcome = await self.linker.complete(code=code, state=state, error=error)
        self.preparer.learn_soon(outcome.printer)
        resumed = await self.runner.resume_printer(outcome.printer.id)
        if resumed:
            logger.info(
                "%s jobs go on after printer %s was linked again",
                resumed,
                outcome.printer.id,
            )
        await self._announce_link(outcome)
        adapter = self.adapters.get(outcome.target.platform)
        if isinstance(adapter, ChatLinks):
            url = adapter.chat_url(outcome.target)
            outcome = dataclasses.replace(outcome, chat_url=url)
        return outcome

    async def _announce_link(self, outcome: LinkOutcome) -> None:
        adapter = self.adapters.get(outcome.target.platform)
        if adapter is not None:
            text = render("link.done", outcome.language, printer=outcome.printer.name)
            try:
                message = OutgoingMessage(text, private=True)
                await adapter.deliver(outcome.target, message)
            except Exception:
                logger.exception(
                    "Link of printer %s could not be announced", outcome.printer.id
                )

    async def on_notification(self, callback: JobCallback) -> bool:
        """Re-read a job's status after Epson says it changed; never trust the body."""
        job = await self.store.find_job_by_epson_id(callback.job_id)
        if job is None:
            logger.info("Notification for an unknown job ignored")
            return False
        self.runner.wake(job.id)
        return True


def _error(request: Request, error: ChatprintError) -> OutgoingMessage:
    text = render_error(error, request.language)
    return OutgoingMessage(text, private=True, refusal=error.key)


_HANDLERS: dict[type[Command], Handler] = {
    PrintCommand: printing.handle_print,
    ButtonCommand: printing.handle_button,
    ReprintCommand: printing.handle_reprint,
    StartCommand: accounts.handle_start,
    HelpCommand: accounts.handle_help,
    LinkCommand: accounts.handle_link,
    UnlinkCommand: accounts.handle_unlink,
    ForgetCommand: accounts.handle_forget,
    PrintersCommand: accounts.handle_printers,
    SettingsCommand: accounts.handle_settings,
    StatusCommand: job_commands.handle_status,
    JobsCommand: group_print.handle_group_jobs,
    CancelCommand: group_print.handle_group_cancel,
    ShareCommand: sharing.handle_share,
    UnshareCommand: sharing.handle_unshare,
    InviteCommand: sharing.handle_invite,
    JoinCommand: sharing.handle_join,
    PolicyCommand: policy_commands.handle_policy,
    ApproversCommand: policy_commands.handle_approvers,
    PauseCommand: policy_commands.handle_pause,
    ResumeCommand: policy_commands.handle_resume,
    UsageCommand: policy_commands.handle_usage,
    ConnectCommand: identity_link.handle_connect,
}
