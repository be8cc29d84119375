"""One room shared by chat processes, on one host or many, through Redis.

What lives in Redis (every key under one prefix, ``chatroom:`` by default):

- ``claims``: a hash from each nickname's clash keys to the process holding
  it, so a nickname is unique across processes; claimed atomically (Lua);
- ``online``: a hash from nickname to process, for those welcomed;
- ``held:<process>``: the nicknames a process holds, with their keys;
- ``alive:<process>``: a key that expires ``presence_ttl`` seconds after
  the process last said it was alive (every third of that). When it has
  expired, any process's reaper removes that process's users and announces
  that they left: a crashed process's users vanish within seconds. A
  process that was only stalled (stopped, starved of CPU) finds itself
  missing from ``processes`` when it runs again, and claims its users'
  nicknames again, closing the member of one another process took;
- ``history``: the last messages' frames, a capped list;
- ``ids``, ``rate:<address>``: message numbers, and each address's messages
  of the last window (a sorted set by time: a sliding window), room-wide;
- ``connects:<address>``: each address's new connections of the last
  window, on any process (the same sliding window), so that reconnecting
  to another process starts nothing afresh;
- ``open:<process>``: a hash from address to the connections it has open
  on that process, so that an address holds at most its cap of
  connections in the whole room, not on each process; cleared with the
  process's users when its ``alive:`` key has expired;
- the ``events`` channel (pub/sub): every message, join and leave, sent
  once to Redis and by it to every process, which delivers to its members.

Pub/sub delivers at most once: a process cut off from Redis misses what is
said meanwhile. Subscribed again, it delivers to its members the messages
of the history newer than the last it had, and who came and went (from
``online``), so a blip costs its members nothing but the wait. Each
process checks Redis every second; when it was lost or has restarted (its
run id changed), the process says so in its log and writes back what it
holds, so a Redis restart costs the history only (and what was said before
the process was subscribed again: message numbers start again with it).
Who left while Redis was down was announced by no one: an expiry after a
restart, when every process alive has written back who it holds, those
not written back are told to have left. Until then their nicknames, free
in Redis, are refused to new claims (``claim``).
"""

import asyncio
import contextlib
import secrets
import time
import urllib.parse
from collections import Counter, deque

import redis.asyncio as redis
from redis.exceptions import RedisError

from . import protocol
from .nicknames import clash_keys
from .protocol import MESSAGE_HEAD
from .room import RoomUnavailable, by_name

# ARGV[4] is "again" when a process writes back what it held before.
CLAIM = """
local p, pid, nick, again = ARGV[1], ARGV[2], ARGV[3], ARGV[4] == 'again'
for i = 5, #ARGV do
  local holder = redis.call('HGET', p .. 'claims', ARGV[i])
  if holder and not (again and holder == pid) then return 0 end
end
for i = 5, #ARGV do redis.call('HSET', p .. 'claims', ARGV[i], pid) end
redis.call('HSET', p .. 'held:' .. pid, nick, table.concat(ARGV, '\\n', 5))
return 1
"""

# Online, if this process holds the nickname: one it lost to another
# (claimed by that one after a Redis restart) is not its to announce.
ENTER = """
local p, pid, nick = ARGV[1], ARGV[2], ARGV[3]
if redis.call('HEXISTS', p .. 'held:' .. pid, nick) == 0 then return 0 end
redis.call('HSET', p .. 'online', nick, pid)
redis.call('PUBLISH', p .. 'events', 'j' .. nick)
return 1
"""

# Free a nickname's claims and, if it was online here, announce it left.
LEAVE = """
local function leave(p, pid, nick)
  local held = redis.call('HGET', p .. 'held:' .. pid, nick)
  if held then
    for key in string.gmatch(held, '[^\\n]+') do
      if redis.call('HGET', p .. 'claims', key) == pid then
        redis.call('HDEL', p .. 'claims', key)
      end
    end
    redis.call('HDEL', p .. 'held:' .. pid, nick)
  end
  if redis.call('HGET', p .. 'online', nick) == pid then
    redis.call('HDEL', p .. 'online', nick)
    redis.call('PUBLISH', p .. 'events', 'l' .. nick)
    return 1
  end
  return 0
end
"""

RELEASE = LEAVE + "return leave(ARGV[1], ARGV[2], ARGV[3])"

REAP = (
    LEAVE
    + """
local p, gone = ARGV[1], 0
for _, pid in ipairs(redis.call('SMEMBERS', p .. 'processes')) do
  if redis.call('EXISTS', p .. 'alive:' .. pid) == 0 then
    for _, nick in ipairs(redis.call('HKEYS', p .. 'held:' .. pid)) do
      gone = gone + leave(p, pid, nick)
    end
    redis.call('DEL', p .. 'held:' .. pid, p .. 'open:' .. pid)
    redis.call('SREM', p .. 'processes', pid)
  end
end
return gone
"""
)

# What an address did in the last ``window`` ms, by Redis's clock (one for
# every process): a sliding window, as each process's own limits are. The
# start of each script that keeps one (its key's name is ARGV[5]).
WINDOW = """
local p, address = ARGV[1], ARGV[2]
local limit, window = tonumber(ARGV[3]), tonumber(ARGV[4])
local key = p .. ARGV[5] .. address
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
"""

# An address's messages (ARGV[6], ARGV[7]: the frame around its number;
# ARGV[8]: the history's length).
SAY = (
    WINDOW
    + """
local old = redis.pcall('ZREMRANGEBYSCORE', key, '-inf', now - window)
-- (a count, as kept before 2026-12, is not a sorted set: it goes)
if type(old) == 'table' and old.err then redis.call('DEL', key) end
if redis.call('ZCARD', key) >= limit then return -1 end
local id = redis.call('INCR', p .. 'ids')
redis.call('ZADD', key, now, id)
redis.call('PEXPIRE', key, window)
local frame = ARGV[6] .. id .. ARGV[7]
redis.call('RPUSH', p .. 'history', frame)
redis.call('LTRIM', p .. 'history', -tonumber(ARGV[8]), -1)
redis.call('PUBLISH', p .. 'events', 'm' .. frame)
return id
"""
)

# An address's new connection, on any process (ARGV[6]: a name for it;
# ARGV[7]: this process; ARGV[8]: how many an address may hold open in the
# room): 0 past the window, -1 past the open connections, else counted.
CONNECT = (
    WINDOW
    + """
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then return 0 end
local open = 0
for _, pid in ipairs(redis.call('SMEMBERS', p .. 'processes')) do
  open = open + tonumber(redis.call('HGET', p .. 'open:' .. pid, address) or 0)
end
if open >= tonumber(ARGV[8]) then return -1 end
redis.call('ZADD', key, now, ARGV[6])
redis.call('PEXPIRE', key, window)
redis.call('HINCRBY', p .. 'open:' .. ARGV[7], address, 1)
return 1
"""
)

CLOSED = """
local key = ARGV[1] .. 'open:' .. ARGV[2]
if redis.call('HINCRBY', key, ARGV[3], -1) <= 0 then
  redis.call('HDEL', key, ARGV[3])
end
return 1
"""


CONNECTIONS = 8  # to Redis, a process, the subscription's included


def redacted(url: str) -> str:
    """``url`` as logs and errors may show it: its password, in the
    authority (``redis://:secret@host``, a ``/`` or ``?`` in it unencoded
    too) or the query (``?password=``), replaced by ``***``."""
    scheme, mark, rest = url.partition("://")
    if not mark:
        scheme, rest = "", url
    if "@" in rest:  # user information ends at the last "@"
        userinfo, _, host = rest.rpartition("@")
        if ":" in userinfo:
            rest = f"{userinfo.partition(':')[0]}:***@{host}"
    head, question, query = rest.partition("?")
    fields = urllib.parse.parse_qsl(query, keep_blank_values=True)
    if any(name == "password" for name, _ in fields):
        fields = [(n, "***" if n == "password" else v) for n, v in fields]
        query = urllib.parse.urlencode(fields, safe="*")
    return scheme + mark + head + question + query


class RedisRoom:
    """The room in Redis. Who is online and the recent history are also
    mirrored here, from the channel, so that a welcome costs Redis nothing:
    read whole when subscribing (again), then kept by the events, which
    carry everything that changes them."""

    kind = "redis"

    def __init__(
        self,
        url: str,
        history: int = 50,
        address_messages: int = 50,
        window_seconds: float = 5.0,
        presence_ttl: float = 3.0,
        prefix: str = "chatroom:",
        event=lambda kind, **fields: None,
        address_connects: int = 60,
        address_connections: int = 20,
    ):
        self.url, self.prefix, self.event = redacted(url), prefix, event
        self.history_length = history
        self.address_messages, self.window_seconds = address_messages, window_seconds
        self.address_connects, self.connects = address_connects, 0
        self.address_connections = address_connections
        # this process's open connections as Redis counts them (those it
        # admitted while Redis was out of reach are not), and whether
        # Redis may hold other counts (a lost write, a restart)
        self.counted: Counter[str] = Counter()
        self.counts_stale = False
        # scripts that change those counts in flight, and how many ever began:
        # a count written back while one ran may miss it (see write_counts)
        self.counting = self.count_changes = 0
        self.pending: set[asyncio.Task] = set()  # counts being written
        self.ttl = presence_ttl
        self.process = secrets.token_hex(6)
        try:
            pool = redis.BlockingConnectionPool.from_url(
                url,  # (self.url is the one to show)
                max_connections=CONNECTIONS,  # a burst of joins waits for one
                timeout=5,
                decode_responses=True,
                socket_connect_timeout=2,
                socket_timeout=5,
                socket_keepalive=True,
                health_check_interval=max(1, presence_ttl),
            )
        except ValueError:  # (its message may quote the password)
            raise RoomUnavailable(f"not a Redis URL: {self.url}") from None
        self.redis = redis.Redis(connection_pool=pool)
        self.scripts = {
            name: self.redis.register_script(source)
            for name, source in [
                ("claim", CLAIM),
                ("enter", ENTER),
                ("release", RELEASE),
                ("reap", REAP),
                ("say", SAY),
                ("connect", CONNECT),
                ("closed", CLOSED),
            ]
        }
        self.held: dict[str, bool] = {}  # nickname -> online
        self.online: dict[str, None] = {}  # the mirror of who is online
        # after a Redis restart, those the members here were told are online
        # whom no process has (yet) written back to Redis, until ``settle_at``;
        # and by clash key, for ``claim`` (Redis holds none of their keys)
        self.unconfirmed: set[str] = set()
        self.unconfirmed_keys: dict[str, set[str]] = {}
        self.settle_at = 0.0
        self.run_of_mirror = None  # Redis's run id when the mirror was read
        self.history: deque[str] = deque(maxlen=history)  # and of the history
        self.last_id = 0
        self.pubsub = None
        self.subscribed = False  # once: later, subscribing catches up
        self.unreleased: set[str] = set()
        self.healthy, self.lost_since, self.run_id = False, None, None
        self.alive_at = time.monotonic()  # when it last said it was alive
        self.tasks: list[asyncio.Task] = []
        self.closing = False

    # -- lifecycle ---------------------------------------------------------

    async def open(self, on_message, on_join, on_leave, on_lost=None) -> None:
        """Subscribe, say this process is alive, and keep both up."""
        self.on_message, self.on_join, self.on_leave = on_message, on_join, on_leave
        self.on_lost = on_lost or (lambda nick: None)
        try:
            await self.subscribe()
            await self.check()
        except (RedisError, OSError) as error:
            raise RoomUnavailable(
                f"cannot reach Redis at {self.url}: {error}"
            ) from error
        self.tasks = [
            asyncio.create_task(self.listen()),
            asyncio.create_task(self.keep_alive()),
        ]

    async def close(self) -> None:
        """Stop the loops (a cancellation redis-py turns into a connection
        error would not stop them: hence ``closing``), then leave Redis."""
        self.closing = True
        for task in self.tasks:
            task.cancel()
        await asyncio.wait(self.tasks, timeout=5)
        try:
            async with asyncio.timeout(5):
                for nick in list(self.held):
                    await self.release(nick)
                await self.redis.delete(
                    self.key("alive:" + self.process), self.key("open:" + self.process)
                )
                await self.redis.srem(self.key("processes"), self.process)
        except (RedisError, OSError, RoomUnavailable):  # TimeoutError included
            pass  # the reaper will clear what is left once our key expires
        with contextlib.suppress(RedisError, OSError):
            async with asyncio.timeout(2):
                if self.pubsub is not None:
                    await self.pubsub.aclose()
                await self.redis.aclose()

    def key(self, name: str) -> str:
        return self.prefix + name

    async def listen(self) -> None:
        """Deliver every event from the channel; on a lost connection,
        subscribe again until it works (``keep_alive`` reports the loss)."""
        while not self.closing:
            try:
                if self.pubsub is None:
                    await self.subscribe()
                item = await self.pubsub.get_message(timeout=1.0)
                if item is not None:
                    self.dispatch(item["data"])
            except (RedisError, OSError):
                if self.pubsub is not None:
                    with contextlib.suppress(RedisError, OSError):
                        await self.pubsub.aclose()
                self.pubsub = None
                await asyncio.sleep(0.5)

    async def subscribe(self) -> None:
        """Subscribe, then read the mirror whole. What happened after the
        subscription waits in it and is applied after the read, so the
        mirror ends as Redis is (a message both read and waiting is kept,
        and delivered, once). Subscribing again, deliver what was missed."""
        pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(self.prefix + "events")
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hkeys(self.key("online"))
                pipe.lrange(self.key("history"), 0, -1)
                pipe.info("server")
                online, history, server = await pipe.execute()
        except BaseException:
            with contextlib.suppress(RedisError, OSError):
                await pubsub.aclose()
            raise
        had, shown = self.last_id, self.shown()
        self.online = dict.fromkeys(online)
        self.history.clear()
        self.last_id = 0
        for frame in history:
            self.remember(frame)
        # (after a restart, message numbers start again, and every process
        # writes back who it holds: ``check``)
        restarted = self.run_of_mirror not in (None, server["run_id"])
        self.run_of_mirror = server["run_id"]
        if self.subscribed:
            if not restarted:
                for frame in history:
                    if message_id(frame) > had:
                        self.on_message(frame)
            for nick in by_name(self.online.keys() - shown):
                self.on_join(nick)
            gone = shown - self.online.keys()
            if restarted or self.unconfirmed:  # (not all written back yet)
                self.unconfirmed, self.unconfirmed_keys = gone, {}
                for nick in gone:
                    for key in clash_keys(nick):
                        self.unconfirmed_keys.setdefault(key, set()).add(nick)
                if restarted:
                    self.settle_at = time.monotonic() + self.ttl
            else:
                for nick in by_name(gone):
                    self.on_leave(nick)
        self.pubsub, self.subscribed = pubsub, True

    def shown(self) -> set[str]:
        """Who the members here were told is online."""
        return self.online.keys() | self.unconfirmed

    def settle(self) -> None:
        """An expiry after a Redis restart, every process alive has written
        back who it holds: those it has not were gone meanwhile (they left
        while Redis was down, or their process died), and the members here
        are told so. Who left then had nothing to announce it."""
        if self.unconfirmed and time.monotonic() >= self.settle_at:
            for nick in by_name(self.unconfirmed):
                self.on_leave(nick)
            self.unconfirmed, self.unconfirmed_keys = set(), {}

    def dispatch(self, data: str) -> None:
        """An event to the members here, unless the mirror had it (read
        whole while it waited in the subscription)."""
        if not self.mirror(data):
            return
        kind, body = data[:1], data[1:]
        if kind == "m":
            self.on_message(body)
        elif kind == "j":
            self.on_join(body)
        elif kind == "l":
            self.on_leave(body)

    def mirror(self, data: str) -> bool:
        """Apply an event to the mirror; False if it had it already."""
        kind, body = data[:1], data[1:]
        if kind == "m":
            return self.remember(body)
        if kind == "j":  # (one written back after a restart is not new)
            new = body not in self.online and body not in self.unconfirmed
            self.unconfirmed.discard(body)
            self.online[body] = None
            return new
        if kind == "l":
            shown = body in self.online or body in self.unconfirmed
            self.unconfirmed.discard(body)
            self.online.pop(body, None)
            return shown
        return False

    def remember(self, frame: str) -> bool:
        """A message for the history, once (ids only grow, until Redis has
        restarted, which the next read whole starts again from)."""
        id = message_id(frame)
        if id <= self.last_id:
            return False
        self.last_id = id
        self.history.append(frame)
        return True

    async def keep_alive(self) -> None:
        while not self.closing:
            await asyncio.sleep(self.ttl / 3)
            try:
                await self.check()
            # (a script that ``check`` runs, to restore or release, raises
            # RoomUnavailable: the loop must outlive that too, or the process
            # stops saying it is alive and is reaped, and never comes back)
            except (RedisError, OSError, RoomUnavailable) as error:
                self.healthy = False
                if self.lost_since is None:
                    self.lost_since = time.monotonic()
                    self.event("redis-lost", url=self.url, error=str(error))

    async def check(self) -> None:
        """Say we are alive; after a loss or a restart of Redis, or once
        taken for dead (stalled past the expiry, this process was reaped:
        it is no longer among the ``processes``), write back what this
        process holds; then clear away processes that died."""
        run_id = (await self.redis.info("server"))["run_id"]
        back = self.run_id is not None and (
            self.lost_since is not None or run_id != self.run_id
        )
        if back and self.pubsub is None:  # listen() is subscribing again
            raise ConnectionError("not subscribed to the room's events yet")
        async with self.redis.pipeline(transaction=False) as pipe:
            self.say_alive(pipe)
            pipe.sadd(self.key("processes"), self.process)
            _, added = await pipe.execute()
        reaped = added == 1 and self.run_id is not None and not back
        if back or reaped:
            await self.restore()
        now = time.monotonic()
        if back:
            self.event(
                "redis-reconnected",
                url=self.url,
                restarted=run_id != self.run_id,
                lost_seconds=round(now - (self.lost_since or now), 1),
            )
        elif reaped:
            stalled = round(now - self.alive_at, 1)
            self.event("reaped", url=self.url, stalled_seconds=stalled)
        self.run_id, self.lost_since, self.alive_at = run_id, None, now
        for nick in list(self.unreleased):
            await self.release(nick)
        if self.counts_stale:
            await self.write_counts()
        await self.scripts["reap"](args=[self.prefix])
        self.settle()
        self.healthy = True

    def say_alive(self, client):
        """Set this process's alive key on ``client`` (the room's, or a
        pipeline): it expires ``presence_ttl`` seconds later."""
        return client.set(self.key("alive:" + self.process), 1, px=int(self.ttl * 1000))

    async def restore(self) -> None:
        """Claim again, and go online again, what this process holds, in one
        pipeline: one round trip for them all (and, into a restarted Redis,
        one to see which scripts it has and one to load each it lacks), not
        two a nickname, while which its users were missing from Redis. A
        nickname another process took meanwhile is its own: the member here
        is let go (``on_lost``), rather than two share it. Each claim is
        atomic (a script), and entering acts only on a nickname this process
        holds in Redis (``ENTER``), so one whose claim failed is not put
        online after it; nothing needs the pipeline to be a transaction. The
        process says it is alive meanwhile (a slow Redis, thousands of
        nicknames), or another's reaper would take it for dead
        half-restored (and it would restore again, and again)."""
        self.counts_stale = True  # (written back by ``check``)
        restored = asyncio.Event()
        staying = asyncio.create_task(self.stay_alive(restored))
        try:
            held = list(self.held.items())
            try:
                async with self.redis.pipeline(transaction=False) as pipe:
                    for nick, online in held:
                        await self.scripts["claim"](
                            args=[self.prefix, self.process, nick, "again"]
                            + list(clash_keys(nick)),
                            client=pipe,
                        )
                        if online:
                            await self.scripts["enter"](
                                args=[self.prefix, self.process, nick], client=pipe
                            )
                    answers = iter(await pipe.execute())
            except (RedisError, OSError) as error:
                raise RoomUnavailable(str(error)) from error
            for nick, online in held:
                claimed = next(answers)
                if online:
                    next(answers)  # (0 only if the claim failed)
                if not claimed:
                    self.event("nick-clash-after-restore", nick=nick)
                    self.held.pop(nick, None)
                    self.on_lost(nick)
                    continue
                await self.still_held(nick)
        finally:
            restored.set()
            await staying

    async def stay_alive(self, done: asyncio.Event) -> None:
        """Say this process is alive every third of the expiry until ``done``
        (only its key: ``check`` tells by ``processes`` that it was reaped)."""
        while not done.is_set():
            try:
                await asyncio.wait_for(done.wait(), self.ttl / 3)
            except TimeoutError:
                with contextlib.suppress(RedisError, OSError):
                    await self.say_alive(self.redis)

    # -- the room ----------------------------------------------------------

    async def script(self, name: str, *args):
        try:
            return await self.scripts[name](args=[self.prefix, self.process, *args])
        except (RedisError, OSError) as error:
            raise RoomUnavailable(str(error)) from error

    async def claim(self, nick: str) -> bool:
        """Hold ``nick`` if no one does. After a Redis restart, every
        nickname is free in Redis until the process holding it writes it
        back: until then (``unconfirmed``) one that clashes with a name the
        members were told is online is refused here, or a client joining
        in a loop would take live users' nicknames (their members then
        closed 1013). So is every claim while this process is not
        subscribed: it cannot tell which those are."""
        if self.pubsub is None:
            raise RoomUnavailable("not subscribed to the room's events")
        keys = clash_keys(nick)
        if self.clashes_with_unconfirmed(keys):
            return False
        if not await self.script("claim", nick, "new", *keys):
            return False
        self.held[nick] = False
        if self.clashes_with_unconfirmed(keys):  # (read again meanwhile)
            await self.release(nick)
            return False
        return True

    def clashes_with_unconfirmed(self, keys) -> bool:
        return any(
            self.unconfirmed_keys.get(key, set()) & self.unconfirmed for key in keys
        )

    async def release(self, nick: str) -> None:
        """Free ``nick``; if Redis is out of reach, free it once it is back."""
        self.held.pop(nick, None)
        self.unreleased.add(nick)
        await self.script("release", nick)
        self.unreleased.discard(nick)

    async def enter(self, nick: str) -> None:
        """``nick`` online, if this process still holds it in Redis: it may
        have gone to another process (after a restart) while its member
        joined here, and the member must then go (the caller releases it)."""
        entered = await self.script("enter", nick)
        if not await self.still_held(nick):
            raise RoomUnavailable(f"{nick!r} left while it entered the room")
        if not entered:
            raise RoomUnavailable(f"{nick!r} is not held here in Redis")
        self.held[nick] = True

    async def still_held(self, nick: str) -> bool:
        """Whether ``nick`` is still held here after a script that put it in
        Redis; if it was released meanwhile (its member closed), release it
        again: that release may have landed first, and the script after it."""
        if nick in self.held:
            return True
        await self.release(nick)
        return False

    async def leave(self, nick: str) -> None:
        await self.release(nick)

    async def snapshot(self) -> tuple[list[str], list[str]]:
        if self.pubsub is None:
            raise RoomUnavailable("not subscribed to the room's events")
        return by_name(self.shown()), list(self.history)

    async def who(self) -> list[str]:
        return by_name(self.shown())

    def window(self, key: str, address: str, limit: int) -> list:
        """The first arguments of a script that keeps a sliding window
        (``WINDOW``): at most ``limit`` events of ``address`` under ``key``."""
        return [self.prefix, address, limit, int(self.window_seconds * 1000), key]

    async def admit(self, address: str) -> tuple[str | None, bool]:
        """Whether ``address`` may open another connection, on every
        process together: at most ``address_connects`` in any window, and
        ``address_connections`` open. Redis out of reach says yes (each
        process's own limits hold) and counts nothing, at once when it is
        known to be lost: no handshake waits on it."""
        if not self.healthy:
            return None, False
        self.connects += 1
        self.changing_counts()
        try:
            answer = await self.scripts["connect"](
                args=[
                    *self.window("connects:", address, self.address_connects),
                    f"{self.process}:{self.connects}",
                    self.process,
                    self.address_connections,
                ]
            )
        except (RedisError, OSError):
            return None, False
        finally:
            self.counting -= 1
        if answer == 0:
            return "connect-rate", False
        if answer == -1:
            return "connections", False
        self.counted[address] += 1
        return None, True

    def closed(self, address: str) -> None:
        self.counted[address] -= 1
        if self.counted[address] <= 0:
            del self.counted[address]
        self.changing_counts()  # (from now: Redis still counts it)
        task = asyncio.create_task(self.uncount(address))
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    async def uncount(self, address: str) -> None:
        try:
            await self.scripts["closed"](args=[self.prefix, self.process, address])
        except (RedisError, OSError):
            self.counts_stale = True
        finally:
            self.counting -= 1

    def changing_counts(self) -> None:
        """A script that changes this process's counts in Redis begins (the
        caller takes ``counting`` down again when it has landed)."""
        self.counting += 1
        self.count_changes += 1

    async def write_counts(self) -> None:
        """Make Redis's count of this process's open connections its own.
        A count that changed while this was written may have landed in
        Redis before it or after it (an admission counted there but not yet
        here, a close uncounted here but not yet there): the count is then
        written again at the next check, as after a lost write."""
        key = self.key("open:" + self.process)
        changes, settled = self.count_changes, self.counting == 0
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if self.counted:
                pipe.hset(key, mapping=dict(self.counted))
            await pipe.execute()
        self.counts_stale = not (
            settled and self.counting == 0 and self.count_changes == changes
        )

    async def say(self, address: str, nick: str, text: str) -> None:
        head, tail = protocol.message_around_id(nick, text, time.time())
        try:
            id = await self.scripts["say"](
                args=[
                    *self.window("rate:", address, self.address_messages),
                    head,
                    tail,
                    self.history_length,
                ]
            )
        except (RedisError, OSError) as error:
            raise RoomUnavailable(str(error)) from error
        if id == -1:
            raise protocol.ProtocolError(
                "rate-limited",
                f"slow down: at most {self.address_messages} messages in "
                f"{self.window_seconds:g} s from one address",
            )


def message_id(frame: str) -> int:
    """The number of a message frame (it follows ``MESSAGE_HEAD``)."""
    return int(frame[len(MESSAGE_HEAD) : frame.index(",", len(MESSAGE_HEAD))])
