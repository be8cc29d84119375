"""The chat server: join with a nickname, talk to everyone, see who is here.

Careful by default, because a chat client may be hostile:

- only the site's own origins (and localhost) may open a connection from a
  browser (no cross-site WebSocket hijacking); websockets checks them;
- messages are small (4 KiB, in one frame) and every one counts against
  two rate limits, one per connection and one per address that outlives
  reconnection, and so do pings and pongs, which websockets answers by
  itself; a client that keeps sending past its limit is closed (1008);
- connections are capped per address and in all; handshakes in progress are
  capped and timed out; the server refuses new sockets while it is short of
  descriptors rather than failing to accept them;
- a client that does not read what it is sent is cut off once its unsent
  data passes a limit, so it costs memory only up to that limit (what the
  room sends it, and what websockets answers by itself: pongs);
- pings find dead peers; clients that never join or fall silent are closed;
- a member exists only once its welcome has gone out; a failed send to one
  client touches no one else and nothing in the room;
- refusals are logged in aggregate, never one line each, and the logs never
  say what anyone wrote.

The room itself (nicknames, presence, history, delivery) is a ``LocalRoom``
in this process, or a ``RedisRoom`` shared by several. ``GET /health``
answers without a WebSocket.
"""

import asyncio
import contextlib
import json
import logging
import resource
import signal
import socket
import struct
import time
from collections import Counter
from dataclasses import dataclass
from http import HTTPStatus

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.frames import DATA_OPCODES, Frame, Opcode
from websockets.protocol import State

from . import addresses, nicknames, protocol
from .fanout import fan_out
from .limits import AddressRates, ConnectionLimits, RateLimit
from .presence import PresenceBatch
from .protocol import ProtocolError, encode
from .refusals import RefusalLog
from .room import LocalRoom, RoomUnavailable, by_name

logger = logging.getLogger("chatroom")


async def until_interrupted() -> None:
    """Return on Ctrl-C or SIGTERM, so the caller can shut down gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()


def log_events(quiet: bool = False) -> None:
    """Our events on stderr, one JSON object a line (with ``quiet``, only
    the aggregate and the room's); the websockets library's own messages
    only when they are warnings."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    logger.setLevel(logging.WARNING if quiet else logging.INFO)


LOCAL_ORIGINS = ("http://localhost:8000", "http://127.0.0.1:8000")
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, for 0 s: close with a reset
RESERVED_DESCRIPTORS = 64  # for Redis, logs, and whatever else the process opens
CONTROL = (Opcode.PING, Opcode.PONG)  # frames websockets handles by itself


@dataclass
class Settings:
    host: str = "localhost"
    port: int = 8765
    origins: tuple[str, ...] = LOCAL_ORIGINS  # and no Origin (not a browser)
    max_message_bytes: int = 4096
    messages_per_window: int = 10  # per connection
    address_messages: int = 50  # per address, across its connections
    window_seconds: float = 5.0
    refusals_before_close: int = 10  # refused messages in a window, then 1008
    connections_per_address: int = 20
    connects_per_address: int = 60  # new connections an address may open a window
    connections_in_all: int = 2000
    max_pending: int = 200  # TCP connections still in the opening handshake
    pending_per_address: int = 10  # of those, from one address
    handshake_timeout: float = 10.0
    max_unsent_bytes: int = 1 << 20  # a client's unsent data, then cut off
    send_buffer: int = 128 << 10  # the kernel's, a socket (it doubles it)
    trusted_proxies: tuple[str, ...] = ()  # addresses or networks
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    close_timeout: float = 2.0  # a client that will not close is dropped
    join_timeout: float = 30.0
    idle_timeout: float = 600.0
    history: int = 50
    presence_interval: float = 0.5
    refusal_log_interval: float = 10.0
    reuse_port: bool = False
    redis_url: str | None = None
    presence_ttl: float = 3.0


class ChatConnection(ServerConnection):
    """A connection that counts itself from accept to close, so that the
    server can cap handshakes and keep descriptors in reserve."""

    chat: "ChatServer"
    address: str | None = None  # the client's, once its request is read
    pending = True  # in the opening handshake
    peer: str | None = None  # its address key, unless a trusted proxy
    counted = False  # by the room (then told when it closes)
    lost = False  # its connection_lost has come
    parting: asyncio.Task | None = None  # its member leaving, once failed
    rate: RateLimit  # of its frames (messages, pings, pongs)
    refused: RateLimit  # of those refused for their rate

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        refusal = self.chat.accepting(self)
        if refusal:
            self.chat.refusals.add(refusal, None)
            self.drop()
            return
        # The kernel's own buffer, fixed (not grown to tcp_wmem's 4 MiB), so
        # that a client that does not read holds little memory there either.
        sock = transport.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.chat.send_buffer)
        s = self.chat.settings
        self.rate = RateLimit(s.messages_per_window, s.window_seconds)
        self.refused = RateLimit(s.refusals_before_close, s.window_seconds)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # What websockets wrote by itself (a pong for each ping) is unsent
        # data too: one client that pinged without reading took the server
        # from 37 to 700 MB in 20 s.
        self.chat.check_unsent(self)

    def process_event(self, event) -> None:
        frame = isinstance(event, Frame)
        if frame and self.protocol.state is State.OPEN:  # (not those read with
            if event.opcode in CONTROL:  # a closing frame, or after a refusal)
                self.chat.control_frame(self)
            elif not event.fin:
                self.chat.fragmented(self)
        if frame and event.opcode in DATA_OPCODES and self.parting is not None:
            return  # refused: what it sent with the refused frame goes unread
        super().process_event(event)

    def fail(self, code: int, reason: str) -> None:
        """Close from a callback, where ``close()`` cannot be awaited: the
        closing frame goes out, nothing more is read (a client that went on
        sending was read, and thrown away, for as long as it liked), and
        the connection is reset unless the client closes it in time."""
        self.protocol.fail(code, reason)
        self.send_data()
        self.transport.pause_reading()
        self.parting = self.loop.create_task(self.chat.part(self))
        self.loop.call_later(self.close_timeout or 0, self.drop)

    def drop(self) -> None:
        """Close at once with a reset: the kernel frees what it still held
        for the client, rather than keep it on an orphaned socket."""
        sock = self.transport.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
        self.transport.abort()

    def connection_lost(self, exc) -> None:
        super().connection_lost(exc)
        self.lost = True
        self.chat.closed(self)


class ChatServer:
    def __init__(self, settings: Settings | None = None, room=None):
        self.settings = s = settings or Settings()
        self.room = room or self.make_room()
        self.members: dict[ServerConnection, str] = {}
        # those whose nickname is claimed, their welcome not yet sent (one
        # the room loses meanwhile is taken out: ``nick_lost``)
        self.joining: dict[ServerConnection, str] = {}
        self.limits = ConnectionLimits(s.connections_per_address, s.connections_in_all)
        self.address_rates = AddressRates(s.address_messages, s.window_seconds)
        # (so that reconnecting, each time a line in the log, is bounded too)
        self.connect_rates = AddressRates(s.connects_per_address, s.window_seconds)
        self.proxies = addresses.networks(s.trusted_proxies)
        self.refusals = RefusalLog(self.event, s.refusal_log_interval)
        self.presence = PresenceBatch()
        self.sockets = 0
        self.pending = 0
        self.pending_by_peer: Counter[str] = Counter()
        self.send_buffer = s.send_buffer
        self.socket_budget = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        self.socket_budget -= RESERVED_DESCRIPTORS
        self.server = None
        self.tasks: list[asyncio.Task] = []

    def make_room(self):
        s = self.settings
        if not s.redis_url:
            return LocalRoom(s.history)
        from .redis_room import RedisRoom

        return RedisRoom(
            s.redis_url,
            history=s.history,
            address_messages=s.address_messages,
            window_seconds=s.window_seconds,
            presence_ttl=s.presence_ttl,
            event=self.event,
            address_connects=s.connects_per_address,
            address_connections=s.connections_per_address,
        )

    # -- lifecycle ---------------------------------------------------------

    async def start(self):
        s = self.settings
        await self.room.open(
            self.deliver, self.presence.join, self.presence.leave, self.nick_lost
        )

        def new_connection(*args, **kwargs) -> ChatConnection:
            connection = ChatConnection(*args, **kwargs)
            connection.chat = self
            return connection

        self.server = await serve(
            self.handle,
            s.host,
            s.port,
            origins=[*s.origins, None],
            process_request=self.check_request,
            process_response=self.check_response,
            create_connection=new_connection,
            open_timeout=s.handshake_timeout,
            max_size=s.max_message_bytes,
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            close_timeout=s.close_timeout,
            compression=None,  # small messages, no compression oracle, and
            # fan_out writes the same frame to everyone
            reuse_port=s.reuse_port or None,
        )
        self.tasks = [
            asyncio.create_task(self.every(s.presence_interval, self.announce)),
            asyncio.create_task(
                self.every(s.refusal_log_interval, self.refusals.flush)
            ),
        ]
        self.event("listening", port=self.port, room=self.room.kind)
        return self.server

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def shutdown(
        self, message: str = "The chat server is shutting down."
    ) -> None:
        """Tell every client, then close every connection (1001, going away)."""
        self.deliver(encode("shutdown", message=message))
        self.event("shutdown", online=len(self.members))
        self.server.close()
        await self.server.wait_closed()
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.refusals.flush()
        await self.room.close()

    @staticmethod
    async def every(seconds: float, action) -> None:
        while True:
            await asyncio.sleep(seconds)
            action()

    # -- sockets and the opening handshake ---------------------------------

    def accepting(self, connection: ChatConnection) -> str | None:
        """Count a new TCP connection; the rule it breaks, if any. Until
        its request is read, a client is known by its peer address (and one
        behind a trusted proxy not at all)."""
        self.sockets += 1
        self.pending += 1
        connection.peer = addresses.peer_key(connection.remote_address[0], self.proxies)
        if connection.peer is not None:
            self.pending_by_peer[connection.peer] += 1
        if self.sockets > self.socket_budget:
            return "descriptors"
        if self.pending > self.settings.max_pending:
            return "pending-handshakes"
        if self.pending_by_peer[connection.peer] > self.settings.pending_per_address:
            return "pending-handshakes-per-address"
        return None

    def handshake_over(self, connection: ChatConnection) -> None:
        if connection.pending:
            connection.pending = False
            self.pending -= 1
            if connection.peer is not None:
                self.pending_by_peer[connection.peer] -= 1
                if self.pending_by_peer[connection.peer] <= 0:
                    del self.pending_by_peer[connection.peer]

    def closed(self, connection: ChatConnection) -> None:
        self.sockets -= 1
        self.handshake_over(connection)
        if connection.address is not None:
            self.limits.closed(connection.address)
        if connection.counted:
            self.room.closed(connection.address)

    async def check_request(self, connection: ChatConnection, request):
        """Health checks, proxied addresses and too many connections are
        answered here, before any WebSocket is opened."""
        if request.path == "/health":
            return self.health(connection)
        try:
            address = addresses.client_address(
                connection.remote_address[0],
                request.headers.get_all("X-Forwarded-For"),
                self.proxies,
            )
        except addresses.BadForwarding as error:
            self.refusals.add("forwarded-for", connection.remote_address[0])
            return connection.respond(HTTPStatus.BAD_REQUEST, f"{error}\n")
        refusal = self.limits.refusal(address)
        if refusal:
            return self.too_many_connections(connection, address, refusal)
        if not self.connect_rates.allow(address):
            return self.too_many_connects(connection, address)
        connection.address = address  # held until the connection is lost
        self.limits.opened(address)  # (before the room is asked: counted now)
        rule, counted = await self.room.admit(address)  # (the room's)
        if counted and connection.lost:  # (gone while the room counted it)
            self.room.closed(address)
        connection.counted = counted and not connection.lost
        if rule == "connect-rate":
            return self.too_many_connects(connection, address)
        if rule == "connections":
            refusal = self.limits.too_many_from_one_address()
            return self.too_many_connections(connection, address, refusal)
        return None

    def too_many_connections(self, connection, address: str, refusal: str):
        self.refusals.add("connections", address)
        return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, refusal + "\n")

    def too_many_connects(self, connection: ChatConnection, address: str):
        self.refusals.add("connect-rate", address)
        s = self.settings
        return connection.respond(
            HTTPStatus.TOO_MANY_REQUESTS,
            f"slow down: at most {s.connects_per_address} new connections "
            f"from one address in any {s.window_seconds:g} s\n",
        )

    def check_response(self, connection: ChatConnection, request, response):
        """Count the handshakes websockets refused by itself (it says why in
        ``handshake_exc``); those ``check_request`` answered are counted."""
        if connection.protocol.handshake_exc is None:
            return
        if response.status_code == HTTPStatus.FORBIDDEN:
            self.refusals.add("origin", connection.address)
        elif response.status_code == HTTPStatus.BAD_REQUEST:
            self.refusals.add("bad-handshake", connection.address)

    def health(self, connection: ChatConnection):
        body = json.dumps(
            {
                "status": "ok" if self.room.healthy else "degraded",
                "room": self.room.kind,
                "online": len(self.members),
                "connections": self.limits.open.total(),
                "handshakes": self.pending - 1,  # not counting this request
            }
        )
        response = connection.respond(HTTPStatus.OK, body + "\n")
        response.headers["Content-Type"] = "application/json"
        return response

    # -- a connection ------------------------------------------------------

    async def handle(self, connection: ChatConnection) -> None:
        self.handshake_over(connection)
        address = connection.address
        self.event("connect", address=address)
        nick = None
        try:
            nick = await self.join(connection)
            if nick:
                await self.converse(connection, nick)
        except (ConnectionClosed, Closing):
            pass
        finally:
            await self.part(connection)
            if connection.parting:
                await connection.parting
            sent = connection.protocol.close_sent
            code = sent.code if sent else connection.close_code
            self.event("disconnect", address=address, nick=nick, code=code)
            if code == 1009:
                self.refusals.add("message-size", address)

    async def part(self, connection: ChatConnection) -> None:
        """Its member leaves the room, once: as the server closes the
        connection, not when the client answers the close (a client that
        never does stayed online until its reset, the close timeout later)."""
        nick = self.members.pop(connection, None)
        if nick is not None:
            await self.leave(nick)

    async def close(self, connection: ChatConnection, code: int, reason: str) -> None:
        await self.part(connection)
        await connection.close(code, reason)

    async def leave(self, nick: str) -> None:
        with contextlib.suppress(RoomUnavailable):  # if so, released once back
            await self.room.leave(nick)

    def nick_lost(self, nick: str) -> None:
        """The room gave ``nick`` to another process while this one was out
        of touch with it (stalled past its presence expiry, or cut off from
        Redis): its member here is closed, rather than two share the name.
        A client still joining with it (claimed, not yet welcomed) is told
        that it is taken, as at any join (``join``), and may choose another."""
        for connection, joining in list(self.joining.items()):
            if joining == nick:
                del self.joining[connection]
        for connection, held in list(self.members.items()):
            if held == nick:
                connection.fail(1013, NICK_LOST)

    def within_rates(self, connection: ChatConnection) -> bool:
        """Count a frame of the client's against its rate limits."""
        if connection.rate.allow() and self.address_rates.allow(connection.address):
            return True
        self.refusals.add("rate-limited", connection.address)
        return False

    def control_frame(self, connection: ChatConnection) -> None:
        """A ping or a pong, which websockets has answered: counted like a
        message, since each costs a frame to read (and a ping one to send);
        a client that keeps sending them past its limit is closed."""
        if not self.within_rates(connection) and not connection.refused.allow():
            connection.fail(1008, "too many messages")

    def fragmented(self, connection: ChatConnection) -> None:
        """The first frame of a message in several, which is closed: a chat
        message never needs two, and a message of 4,000 empty frames cost
        the server a frame each, counted as one message. (websockets' own
        cap, WEBSOCKETS_MAX_FRAGMENTS, is read from the environment at
        import, for the whole process, and checked only once the frames
        are queued.)"""
        self.refusals.add("fragmented", connection.address)
        connection.fail(1008, "a message must be one frame")

    def check_unsent(self, connection: ChatConnection) -> None:
        transport = connection.transport
        if transport.is_closing():
            return
        if transport.get_write_buffer_size() > self.settings.max_unsent_bytes:
            self.refusals.add("unsent-data", connection.address)
            connection.drop()

    async def next_message(self, connection: ChatConnection, seconds: float):
        """The next message that is within the limits, parsed, or a
        ProtocolError to answer; None when the client was too slow."""
        raw = await asyncio.wait_for(connection.recv(), seconds)
        if not self.within_rates(connection):
            if not connection.refused.allow():
                await self.close(connection, 1008, "too many messages")
                raise Closing
            s = self.settings
            raise ProtocolError(
                "rate-limited",
                f"slow down: at most {s.messages_per_window} messages in "
                f"{s.window_seconds:g} s",
            )
        return protocol.parse(raw)

    async def join(self, connection: ChatConnection) -> str | None:
        """Wait for a valid, free nickname; welcome it; None if the client
        gives up. The nickname is held from its claim, and the member is
        online only once the welcome has gone out."""
        deadline = time.monotonic() + self.settings.join_timeout
        while True:
            try:
                message = await self.next_message(
                    connection, deadline - time.monotonic()
                )
                if message["type"] != "join":
                    raise ProtocolError(
                        "join-first", 'say {"type": "join", "nick": ...} first'
                    )
                nick = nicknames.nickname(message)
                if not await self.room.claim(nick):
                    raise taken(nick)
            except TimeoutError:
                await self.close(
                    connection, 1008, f"join within {self.settings.join_timeout:g} s"
                )
                return None
            except ProtocolError as error:
                await self.refuse(connection, error)
                continue
            except RoomUnavailable:
                await self.refuse(connection, UNAVAILABLE)
                continue
            self.joining[connection] = nick
            try:
                try:
                    online, history = await self.room.snapshot()
                except RoomUnavailable:
                    await self.leave(nick)
                    await self.refuse(connection, UNAVAILABLE)
                    continue
                if connection not in self.joining:  # lost (after a restart)
                    await self.refuse(connection, taken(nick))
                    continue
                try:
                    online = by_name({*online, nick})  # (the room's may have it)
                    await connection.send(protocol.welcome(nick, online, history))
                    self.members[connection] = nick
                    lost = self.joining.pop(connection, None) is None
                    if not lost:
                        await self.room.enter(nick)
                except RoomUnavailable:  # welcomed, but not online: start again
                    await self.close(
                        connection, 1013, "the room is out of reach; try again"
                    )
                    raise Closing from None
                except BaseException:
                    if connection not in self.members:
                        await self.leave(nick)
                    raise
            finally:
                self.joining.pop(connection, None)
            if lost:  # while its welcome went out: a member, let go as one
                await self.close(connection, 1013, NICK_LOST)
                raise Closing
            self.event("join", address=connection.address, nick=nick)
            return nick

    async def converse(self, connection: ChatConnection, nick: str) -> None:
        while True:
            try:
                message = await self.next_message(
                    connection, self.settings.idle_timeout
                )
                if message["type"] == "who":
                    await connection.send(
                        encode("online", online=await self.room.who())
                    )
                    continue
                if message["type"] == "join":
                    raise ProtocolError("already-joined", f"you are {nick!r} already")
                text = protocol.text_of(message)
                await self.room.say(connection.address, nick, text)
            except TimeoutError:
                await self.close(connection, 1000, "idle for too long")
                return
            except ProtocolError as error:
                await self.refuse(connection, error)
            except RoomUnavailable:
                await self.refuse(connection, UNAVAILABLE)

    async def refuse(self, connection, error: ProtocolError) -> None:
        self.refusals.add(error.code, connection.address)
        await connection.send(encode("error", code=error.code, message=error.message))

    # -- delivery ----------------------------------------------------------

    def deliver(self, frame: str) -> None:
        """A frame to every member here; a member whose unsent data has
        passed the limit is cut off, so it holds no more memory than that,
        and so is one whose connection refused the frame."""
        cut = fan_out(self.members, frame, self.settings.max_unsent_bytes)
        for connection, rule in cut:
            self.refusals.add(rule, connection.address)
            connection.drop()

    def announce(self) -> None:
        frame = self.presence.take()
        if frame is not None:
            self.deliver(frame)

    def online(self) -> list[str]:
        """Who is online in this process (the room knows who is in all)."""
        return sorted(self.members.values(), key=str.casefold)

    def event(self, kind: str, **fields) -> None:
        """One structured log line: what happened, to whom; never what was
        said. What an operator must see is logged even when quiet."""
        level = logging.WARNING if kind in WARNINGS else logging.INFO
        logger.log(level, json.dumps({"event": kind, **fields}, ensure_ascii=False))


WARNINGS = {
    "refused",
    "redis-lost",
    "redis-reconnected",
    "reaped",
    "nick-clash-after-restore",
}


class Closing(Exception):
    """The server has closed this connection for breaking its limits."""


NICK_LOST = "your nickname went to another while this server was out of touch"


def taken(nick: str) -> ProtocolError:
    """The answer to a join whose nickname is taken (or lost meanwhile)."""
    return ProtocolError(
        "nick-taken",
        f"{nick!r} is taken, or looks like a name that is; choose another",
    )


UNAVAILABLE = ProtocolError(
    "unavailable", "the chat cannot reach its room just now; try again shortly"
)
