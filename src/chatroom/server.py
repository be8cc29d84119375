"""The chat server: join with a nickname, talk to everyone, see who is here.

Careful by default: only the site's own origins (and localhost) may open a
connection from a browser (no cross-site WebSocket hijacking); messages are
small (4 KiB) and rate-limited per connection; connections are capped per
address and in all; pings find dead peers, and clients that never join or
fall silent are closed. Broadcasts go out with ``websockets.broadcast``,
which never waits for a slow client. ``GET /health`` answers without a
WebSocket. The logs say who connected, left or was refused, never what
anyone wrote.
"""

import asyncio
import json
import logging
import signal
import time
from collections import deque
from dataclasses import dataclass
from http import HTTPStatus
from itertools import count

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

from . import protocol
from .limits import ConnectionLimits, RateLimit
from .protocol import ProtocolError, encode

logger = logging.getLogger("chatroom")


async def until_interrupted() -> None:
    """Return on Ctrl-C or SIGTERM, so the caller can shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def log_events(quiet: bool = False) -> None:
    """Our events on stderr, one JSON object a line (none with ``quiet``);
    the websockets library's own messages only when they are warnings."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.WARNING if quiet else logging.INFO)


LOCAL_ORIGINS = ("http://localhost:8000", "http://127.0.0.1:8000")


@dataclass
class Settings:
    host: str = "localhost"
    port: int = 8765
    origins: tuple[str, ...] = LOCAL_ORIGINS  # and no Origin (not a browser)
    max_message_bytes: int = 4096
    messages_per_window: int = 10
    window_seconds: float = 5.0
    connections_per_address: int = 20
    connections_in_all: int = 2000
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    close_timeout: float = 2.0  # a client that will not close is dropped
    join_timeout: float = 30.0
    idle_timeout: float = 600.0
    history: int = 50


class ChatServer:
    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.members: dict[ServerConnection, str] = {}
        self.history: deque[dict] = deque(maxlen=self.settings.history)
        self.limits = ConnectionLimits(
            self.settings.connections_per_address, self.settings.connections_in_all
        )
        self.ids = count(1)
        self.server = None

    # -- lifecycle ---------------------------------------------------------

    async def start(self):
        s = self.settings
        self.server = await serve(
            self.handle,
            s.host,
            s.port,
            process_request=self.check_request,
            max_size=s.max_message_bytes,
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            close_timeout=s.close_timeout,
            compression=None,  # small messages; and no compression oracle
        )
        self.event("listening", port=self.port)
        return self.server

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def shutdown(
        self, message: str = "The chat server is shutting down."
    ) -> None:
        """Tell every client, then close every connection (1001, going away)."""
        broadcast(self.members, encode("shutdown", message=message))
        self.event("shutdown", online=len(self.members))
        self.server.close()
        await self.server.wait_closed()

    # -- the opening handshake --------------------------------------------

    def allowed_origin(self, origin: str | None) -> bool:
        if origin is None:
            return True  # not a browser: there is no page to hijack it from
        return origin in self.settings.origins

    def check_request(self, connection: ServerConnection, request):
        """Health checks, foreign origins and too many connections are
        answered here, before any WebSocket is opened."""
        if request.path == "/health":
            body = json.dumps(
                {
                    "status": "ok",
                    "online": len(self.members),
                    "connections": sum(self.limits.open.values()),
                }
            )
            response = connection.respond(HTTPStatus.OK, body + "\n")
            response.headers["Content-Type"] = "application/json"
            return response
        address = connection.remote_address[0]
        origin = request.headers.get("Origin")
        if not self.allowed_origin(origin):
            self.event("refused", address=address, rule="origin", origin=origin)
            return connection.respond(
                HTTPStatus.FORBIDDEN, "This origin may not chat here.\n"
            )
        refusal = self.limits.refusal(address)
        if refusal:
            self.event("refused", address=address, rule="connections", why=refusal)
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, refusal + "\n")
        return None

    # -- a connection ------------------------------------------------------

    async def handle(self, connection: ServerConnection) -> None:
        address = connection.remote_address[0]
        self.limits.opened(address)
        self.event("connect", address=address)
        nick = None
        try:
            nick = await self.join(connection)
            if nick:
                await self.converse(connection, nick)
        except ConnectionClosed:
            pass
        finally:
            self.limits.closed(address)
            if nick and self.members.pop(connection, None):
                broadcast(
                    self.members,
                    encode("left", nick=nick, online=self.online(), at=time.time()),
                )
            code = connection.close_code
            self.event("disconnect", address=address, nick=nick, code=code)
            if code == 1009:
                self.event("refused", address=address, rule="message-size", nick=nick)

    async def join(self, connection: ServerConnection) -> str | None:
        """Wait for a valid, free nickname; None if the client gives up."""
        deadline = time.monotonic() + self.settings.join_timeout
        while True:
            try:
                raw = await asyncio.wait_for(
                    connection.recv(), deadline - time.monotonic()
                )
            except TimeoutError:
                await connection.close(
                    1008, f"join within {self.settings.join_timeout:g} s"
                )
                return None
            try:
                message = protocol.parse(raw)
                if message["type"] != "join":
                    raise ProtocolError(
                        "join-first", 'say {"type": "join", "nick": ...} first'
                    )
                nick = protocol.nickname(message)
                if nick.casefold() in {n.casefold() for n in self.members.values()}:
                    raise ProtocolError(
                        "nick-taken", f"{nick!r} is taken; choose another"
                    )
            except ProtocolError as error:
                await self.refuse(connection, error)
                continue
            self.members[connection] = nick
            await connection.send(
                encode(
                    "welcome",
                    nick=nick,
                    online=self.online(),
                    history=list(self.history),
                )
            )
            broadcast(
                [c for c in self.members if c is not connection],
                encode("joined", nick=nick, online=self.online(), at=time.time()),
            )
            self.event("join", address=connection.remote_address[0], nick=nick)
            return nick

    async def converse(self, connection: ServerConnection, nick: str) -> None:
        s = self.settings
        limit = RateLimit(s.messages_per_window, s.window_seconds)
        while True:
            try:
                raw = await asyncio.wait_for(connection.recv(), s.idle_timeout)
            except TimeoutError:
                await connection.close(1000, "idle for too long")
                return
            try:
                message = protocol.parse(raw)
                if message["type"] == "who":
                    await connection.send(encode("online", online=self.online()))
                    continue
                if message["type"] == "join":
                    raise ProtocolError("already-joined", f"you are {nick!r} already")
                text = protocol.text_of(message)
                if not limit.allow():
                    raise ProtocolError(
                        "rate-limited",
                        f"slow down: at most {s.messages_per_window} messages in "
                        f"{s.window_seconds:g} s",
                    )
            except ProtocolError as error:
                await self.refuse(connection, error, nick)
                continue
            said = {"id": next(self.ids), "nick": nick, "text": text, "at": time.time()}
            self.history.append(said)
            broadcast(self.members, encode("message", **said))

    async def refuse(self, connection, error: ProtocolError, nick: str | None = None):
        self.event(
            "refused", address=connection.remote_address[0], rule=error.code, nick=nick
        )
        await connection.send(encode("error", code=error.code, message=error.message))

    # -- helpers -----------------------------------------------------------

    def online(self) -> list[str]:
        return sorted(self.members.values(), key=str.casefold)

    def event(self, kind: str, **fields) -> None:
        """One structured log line: what happened, to whom; never what was said."""
        logger.info(json.dumps({"event": kind, **fields}, ensure_ascii=False))
