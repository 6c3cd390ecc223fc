"""The fake Discord gateway: HELLO, heartbeats, IDENTIFY, READY and dispatches.

Frames go out as plain text JSON whatever compression the client asked for:
discord.py only decompresses binary frames.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.discord_payloads import Payload

logger = logging.getLogger(__name__)

DISPATCH, HEARTBEAT, IDENTIFY, RESUME = 0, 1, 2, 6
HELLO, HEARTBEAT_ACK = 10, 11
# Close codes Discord uses for a refused identify.
AUTHENTICATION_FAILED = 4004
DISALLOWED_INTENTS = 4014
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)


@dataclass
class GatewaySettings:
    """What the gateway checks and how it greets.

    Args:
        token: The bot token IDENTIFY must carry.
        heartbeat_interval: Seconds between the client's heartbeats (HELLO).
        allowed_privileged: Privileged intent bits the application may ask for.
        first_events: Builds the READY data (session id, url) and what follows.
    """

    token: str
    heartbeat_interval: float
    allowed_privileged: int
    first_events: Callable[[str], list[tuple[str, Payload]]]


@dataclass
class _Session:
    socket: web.WebSocketResponse
    session_id: str
    sequence: int = 0
    ready: bool = False

    async def send(self, frame: Payload) -> None:
        await self.socket.send_str(json.dumps(frame))

    async def dispatch(self, event: str, data: Payload) -> None:
        self.sequence += 1
        await self.send({"op": DISPATCH, "t": event, "s": self.sequence, "d": data})


@dataclass
class Gateway:
    """Serves gateway websockets and records what clients send.

    Attributes:
        heartbeat_acks: Heartbeats answered, over all sessions.
        identifies: The IDENTIFY payloads received (tokens included: test use).
    """

    settings: GatewaySettings
    heartbeat_acks: int = 0
    identifies: list[Payload] = field(default_factory=list)
    _sessions: list[_Session] = field(default_factory=list)
    _count: int = 0

    @property
    def ready_sessions(self) -> int:
        """How many clients have identified and are connected now."""
        return sum(1 for s in self._sessions if s.ready and not s.socket.closed)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """The aiohttp handler of ``/gateway``."""
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._count += 1
        session = _Session(socket, session_id=f"session-{self._count}")
        self._sessions.append(session)
        interval_ms = int(self.settings.heartbeat_interval * 1000)
        await session.send({"op": HELLO, "d": {"heartbeat_interval": interval_ms}})
        await self._receive(session)
        return socket

    async def dispatch(self, event: str, data: Payload) -> None:
        """Send ``event`` to every ready client.

        Raises:
            RuntimeError: No client has identified yet.
        """
        live = [s for s in self._sessions if s.ready and not s.socket.closed]
        if not live:
            raise RuntimeError("no gateway client is ready: start the bot first")
        for session in live:
            await session.dispatch(event, data)

    async def close(self, code: int = 1001) -> None:
        """Close every open socket (default 1001, going away; 4004 ends a bot)."""
        for session in self._sessions:
            await session.socket.close(code=code)

    async def _receive(self, session: _Session) -> None:
        async for frame in session.socket:
            if frame.type != WSMsgType.TEXT:
                continue
            await self._on_frame(session, json.loads(frame.data))

    async def _on_frame(self, session: _Session, frame: Payload) -> None:
        op = frame.get("op")
        if op == HEARTBEAT:
            self.heartbeat_acks += 1
            await session.send({"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(session, frame["d"])
        elif op == RESUME:
            session.ready = True
            await session.dispatch("RESUMED", {})
        else:
            logger.debug("Fake gateway ignored op %s", op)

    async def _identify(self, session: _Session, data: dict[str, Any]) -> None:
        self.identifies.append(data)
        if data.get("token") != self.settings.token:
            await session.socket.close(
                code=AUTHENTICATION_FAILED, message=b"Authentication failed."
            )
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~self.settings.allowed_privileged:
            await session.socket.close(
                code=DISALLOWED_INTENTS, message=b"Disallowed intent(s)."
            )
            return
        for event, payload in self.settings.first_events(session.session_id):
            await session.dispatch(event, payload)
        session.ready = True
