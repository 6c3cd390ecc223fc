"""Joining one person's identities on two platforms with a one-time code.

``/connect`` on one platform answers privately with a code valid ten minutes;
``/connect CODE`` on the other joins the two identities. From then on the owner's
printers, shares, policy and quota ledger are the same on both. Only a hash of the
code is stored, and a code works once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.chat import OutgoingMessage
from bot.core.commands import ConnectCommand
from bot.core.context import Request
from bot.core.sharing import new_code
from bot.errors import ChatprintError

if TYPE_CHECKING:
    from bot.core.service import PrintService

logger = logging.getLogger(__name__)

CONNECT_TTL = timedelta(minutes=10)


class ConnectCodeInvalid(ChatprintError):
    """A connect code that is unknown, used, expired, or from the same platform."""

    default_key = "group.connect_invalid"


async def handle_connect(
    service: PrintService, request: Request, command: ConnectCommand
) -> list[OutgoingMessage]:
    """Give a one-time code, or redeem one made on another platform."""
    if not command.code.strip():
        return [await _new_code(service, request)]
    now = datetime.now(UTC)
    other_id = await service.store.consume_connect_code(command.code, now)
    other = await service.store.load_identity(other_id) if other_id else None
    if other is None or other.platform == request.identity.platform:
        raise ConnectCodeInvalid("connect code not valid here")
    await service.store.link_identities(other.id, request.identity.id)
    await service.store.audit(request.identity.id, "connect", f"identity {other.id}")
    logger.info("Identities %s and %s joined", other.id, request.identity.id)
    return [
        request.reply("group.connected", private=True, platform=other.platform.title())
    ]


async def _new_code(service: PrintService, request: Request) -> OutgoingMessage:
    code = new_code()
    expires = datetime.now(UTC) + CONNECT_TTL
    await service.store.save_connect_code(code, request.identity.id, expires)
    minutes = int(CONNECT_TTL.total_seconds() // 60)
    return request.reply("group.connect_code", private=True, code=code, minutes=minutes)
