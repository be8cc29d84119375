"""Several chat processes, one room, through Debian's real redis-server."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import time
from contextlib import asynccontextmanager

import pytest
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import ConnectionError as RedisConnectionError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from chat_clients import HANDSHAKE, chat, chatroom_run, receive
from chat_clients import joined as joined_to
from chat_fixtures import free_port
from chatroom.protocol import ProtocolError
from chatroom.redis_room import RedisRoom, redacted
from chatroom.room import RoomUnavailable
from chatroom.server import NICK_LOST, RESET
from helpers import eventually_async
from redis_fixtures import ChatProcess, RedisServer, require_redis, stop_all


@pytest.fixture
def redis_server(tmp_path):
    require_redis()
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def two_chats(redis_server):
    chats = [ChatProcess(redis_server.url) for _ in range(2)]
    yield chats
    stop_all(chats)


async def joined(chat: ChatProcess, nick: str):
    client = await connect(chat.url)
    await client.send(json.dumps({"type": "join", "nick": nick}))
    return client, await receive(client, "welcome")


async def until(seconds: float, condition) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        await asyncio.sleep(0.1)


async def everyone_sees(client, nicks: list[str]) -> bool:
    await client.send(json.dumps({"type": "who"}))
    if (await receive(client, "online"))["online"] == nicks:
        return True
    await asyncio.sleep(0.4)  # (who counts against the rate limit)
    return False


async def joined_seen_by(client, nick: str) -> None:
    """Wait for the presence frame that says ``nick`` joined (an earlier
    frame, batched over half a second, may still be on its way: the one
    of the client's own joining, say)."""
    async with asyncio.timeout(5):
        while nick not in (await receive(client, "presence"))["joined"]:
            pass


def run_then_stop(chats: list[ChatProcess], scenario) -> None:
    try:
        run(scenario)
    finally:
        stop_all(chats)


def run(scenario):
    asyncio.run(asyncio.wait_for(scenario(), 60))


def test_clients_on_two_processes_share_messages_presence_and_history(two_chats):
    first, second = two_chats

    async def scenario():
        carol, _ = await joined(second, "carol")
        ada, _ = await joined(first, "ada")
        await ada.send(json.dumps({"type": "say", "text": "before bob"}))
        await receive(carol, "message")  # the second process has it too
        bob, welcome = await joined(second, "bob")
        assert welcome["online"] == ["ada", "bob", "carol"]
        assert [m["text"] for m in welcome["history"]] == ["before bob"]
        await joined_seen_by(ada, "bob")
        await bob.send(json.dumps({"type": "say", "text": "hi ada"}))
        for client in (ada, bob):
            message = await receive(client, "message")
            assert (message["nick"], message["text"]) == ("bob", "hi ada")
        await until(10, lambda: everyone_sees(ada, ["ada", "bob", "carol"]))
        await bob.close()
        assert (await receive(ada, "presence"))["left"] == ["bob"]

    run(scenario)


def test_a_nickname_claimed_at_once_on_both_processes_goes_to_one(two_chats):
    async def claim(chat, nick):
        client = await connect(chat.url)
        await client.send(json.dumps({"type": "join", "nick": nick}))
        reply = json.loads(await client.recv())
        return reply["type"] == "welcome" or reply["code"]

    async def scenario():
        attempts = [
            claim(two_chats[n % 2], "Zed" if n % 3 else "zed") for n in range(12)
        ]
        results = await asyncio.gather(*attempts)
        assert results.count(True) == 1
        assert set(results) == {True, "nick-taken"}

    run(scenario)


def test_a_killed_processes_users_leave_presence_within_the_expiry(two_chats):
    first, second = two_chats

    async def scenario():
        ada, _ = await joined(first, "ada")
        bob, _ = await joined(second, "bob")
        await receive(ada, "presence")
        first.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        presence = await receive(bob, "presence", 15)
        while not presence["left"]:  # bob's own arrival may come first
            presence = await receive(bob, "presence", 15)
        assert presence["left"] == ["ada"]
        assert time.monotonic() - killed < 3.0 + 2.0  # the expiry, and a sweep
        await bob.send(json.dumps({"type": "who"}))
        assert (await receive(bob, "online"))["online"] == ["bob"]
        carol, welcome = await joined(second, "ada")  # the nickname is free again
        assert welcome["online"] == ["ada", "bob"]

    run(scenario)


async def left_seen_by(client, nick: str) -> None:
    """Wait for the presence frame that says ``nick`` left."""
    async with asyncio.timeout(15):  # (the expiry, and a sweep, at most)
        while nick not in (await receive(client, "presence", 15))["left"]:
            pass


@asynccontextmanager
async def stalled_past_the_expiry(chat: ChatProcess, watcher):
    """``chat`` stopped until ``watcher`` (a member elsewhere) is told that
    alice, there, left (the others took the process for dead), and while
    the block runs."""
    chat.process.send_signal(signal.SIGSTOP)
    try:
        await left_seen_by(watcher, "alice")
        yield
    finally:
        chat.process.send_signal(signal.SIGCONT)


async def alice_here_bob_there(first: ChatProcess, second: ChatProcess):
    """alice joined on ``first``, bob on ``second``, who has seen her join."""
    alice, _ = await joined(first, "alice")
    bob, _ = await joined(second, "bob")
    await joined_seen_by(bob, "alice")
    return alice, bob


def test_a_process_taken_for_dead_while_stalled_claims_its_users_back(two_chats):
    """Stopped past the presence expiry, a process's users were removed by
    another's reaper while they stayed connected, and nothing put them back:
    their nicknames were free for anyone to take on another process."""
    first, second = two_chats

    async def scenario():
        alice, bob = await alice_here_bob_there(first, second)
        async with stalled_past_the_expiry(first, bob):
            pass
        await joined_seen_by(bob, "alice")  # back, once the process runs again
        await bob.send(json.dumps({"type": "who"}))
        assert (await receive(bob, "online"))["online"] == ["alice", "bob"]
        mallory = await connect(second.url)
        await mallory.send(json.dumps({"type": "join", "nick": "alice"}))
        assert (await receive(mallory, "error"))["code"] == "nick-taken"
        await alice.send(json.dumps({"type": "say", "text": "still here"}))
        message = await receive(bob, "message")
        assert (message["nick"], message["text"]) == ("alice", "still here")
        await eventually_async(lambda: first.events("reaped"))  # (its log, read)

    run(scenario)


def test_a_nickname_taken_while_its_process_stalled_closes_its_member_there(
    two_chats,
):
    """Two members with one nickname, on two processes, was the other way
    out: the one whose process was out of touch goes, and says why."""
    first, second = two_chats

    async def scenario():
        alice, bob = await alice_here_bob_there(first, second)
        async with stalled_past_the_expiry(first, bob):
            await joined(second, "alice")  # free while the process stalls
        async with asyncio.timeout(10):
            await alice.wait_closed()
        assert (alice.close_code, alice.close_reason) == (1013, NICK_LOST)
        await bob.send(json.dumps({"type": "who"}))
        assert (await receive(bob, "online"))["online"] == ["alice", "bob"]
        await eventually_async(lambda: first.events("nick-clash-after-restore"))

    run(scenario)


def test_a_redis_restart_is_logged_and_the_room_carries_on(two_chats, redis_server):
    first, second = two_chats

    async def scenario():
        ada, _ = await joined(first, "ada")
        bob, _ = await joined(second, "bob")
        await until(10, lambda: everyone_sees(ada, ["ada", "bob"]))  # both online
        redis_server.stop()
        await ada.send(json.dumps({"type": "say", "text": "anyone?"}))
        assert (await receive(ada, "error"))["code"] == "unavailable"

        async def both(kind):
            return all(chat.events(kind) for chat in two_chats)

        await until(10, lambda: both("redis-lost"))
        redis_server.start()
        await until(10, lambda: both("redis-reconnected"))
        await ada.send(json.dumps({"type": "who"}))
        assert (await receive(ada, "online"))["online"] == ["ada", "bob"]
        await ada.send(json.dumps({"type": "say", "text": "back"}))
        assert (await receive(bob, "message", 10))["text"] == "back"

    run(scenario)


def test_who_left_while_redis_was_down_leaves_everyones_presence(
    two_chats, redis_server
):
    """After a Redis restart every process writes back who it holds; one
    who had left meanwhile was never written back, and never announced
    either: they stayed in everyone's list of who is online."""
    first, second = two_chats

    async def gone_for_good(client, nick: str) -> set[str]:
        """Who the presence frames say left and did not come back, once
        ``nick`` has left and everyone else who left has come back: one
        whose process wrote it back after the settle (late, on a loaded
        machine) leaves and comes back, as the README says."""
        away: set[str] = set()
        seen: set[str] = set()
        async with asyncio.timeout(15):
            while nick not in seen or away - {nick}:
                presence = await receive(client, "presence", 15)
                seen |= set(presence["left"])
                away = (away | set(presence["left"])) - set(presence["joined"])
        return away

    async def scenario():
        ada, _ = await joined(first, "ada")
        zed, _ = await joined(first, "zed")
        bob, _ = await joined(second, "bob")
        await until(10, lambda: everyone_sees(bob, ["ada", "bob", "zed"]))
        redis_server.process.kill()
        redis_server.process.wait()
        await zed.close()

        async def zed_gone():
            return any('"nick": "zed"' in line for line in first.events("disconnect"))

        await until(10, zed_gone)
        redis_server.start()
        assert await gone_for_good(bob, "zed") == {"zed"}  # (and no one else)
        assert await gone_for_good(ada, "zed") == {"zed"}
        for client in (ada, bob):
            await client.send(json.dumps({"type": "who"}))
            assert (await receive(client, "online"))["online"] == ["ada", "bob"]

    run(scenario)


def test_a_nickname_written_back_in_time_is_not_announced_as_left(redis_server):
    """What the test above may no longer tell on a loaded machine: those
    written back within the settle leave no one's presence, only those
    who left while Redis was down do. (The watcher's settle is the test's
    to call: its expiry, 30 s, is not waited for.)"""

    async def scenario():
        left: list[str] = []
        holder = RedisRoom(redis_server.url)
        watcher = RedisRoom(redis_server.url, presence_ttl=30.0)
        await holder.open(lambda *_: None, lambda *_: None, lambda *_: None)
        await watcher.open(lambda *_: None, lambda *_: None, left.append)
        try:
            for nick in ("ada", "zed"):
                assert await holder.claim(nick)
                await holder.enter(nick)
            await eventually_async(lambda: {"ada", "zed"} <= watcher.online.keys())
            await asyncio.to_thread(redis_server.stop)
            with pytest.raises(RoomUnavailable):
                await holder.leave("zed")  # (released once Redis is back)
            await asyncio.to_thread(redis_server.start)
            run_id = (await holder.redis.info("server"))["run_id"]

            async def written_back() -> bool:
                return (
                    watcher.run_of_mirror == run_id
                    and "ada" in watcher.online
                    and await online_in_redis(holder) == ["ada"]
                    and not holder.unreleased
                )

            await until(15, written_back)
            watcher.settle_at = 0.0  # (its expiry, over)
            watcher.settle()
            assert left == ["zed"]
            assert await watcher.who() == ["ada"]
        finally:
            await holder.close()
            await watcher.close()

    run(scenario)


def test_two_processes_share_one_port(redis_server):
    port = free_port()
    options = ("--reuse-port", "--per-address", "30")  # (a cap for the room)
    chats = [ChatProcess(redis_server.url, *options, port=port) for _ in range(2)]
    try:

        async def scenario():
            clients = [await connect(f"ws://127.0.0.1:{port}/") for _ in range(24)]
            await eventually_async(
                lambda: all(chat.events("connect") for chat in chats)
            )
            await asyncio.gather(*(client.close() for client in clients))

        run(scenario)
    finally:
        stop_all(chats)


def test_an_unreachable_redis_stops_the_server_with_a_clear_error():
    result = chatroom_run(
        env={**os.environ, "CHAT_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    )
    assert result.returncode == 1
    assert "chatroom: cannot reach Redis at redis://127.0.0.1:" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_password_in_the_redis_url_is_not_shown_when_redis_is_unreachable():
    url = f"redis://chat:hunter2@127.0.0.1:{free_port()}/0?password=hunter3"
    result = chatroom_run("--redis", url)
    assert result.returncode == 1
    assert "cannot reach Redis at redis://chat:***@127.0.0.1:" in result.stderr
    assert "hunter" not in result.stderr + result.stdout


def test_a_redis_url_with_a_password_it_cannot_read_is_refused_without_it():
    """(An unencoded "/" in the password: redis-py's ValueError quoted it.)"""
    result = chatroom_run("--redis", "redis://:s3cr3t/pa55@127.0.0.1:1/0")
    assert result.returncode == 1
    assert result.stderr == "chatroom: not a Redis URL: redis://:***@127.0.0.1:1/0\n"


@pytest.mark.parametrize(
    "url, shown",
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:s3cr%40t@h:1/0", "redis://:***@h:1/0"),
        ("redis://ada:pw@h/2?db=1&password=x", "redis://ada:***@h/2?db=1&password=***"),
        ("unix:///run/r.sock?password=p", "unix:///run/r.sock?password=***"),
        ("redis://ada@h/0", "redis://ada@h/0"),
        ("redis://:s3cr3t/pa55@127.0.0.1:1/0", "redis://:***@127.0.0.1:1/0"),
    ],
)
def test_a_redis_url_is_shown_without_its_password(url, shown):
    assert redacted(url) == shown


def test_the_room_wide_address_limit_is_a_sliding_window(redis_server):
    """At most 2 messages from one address in any 2 s: a fixed window would
    let 2 more through as soon as it rolled over, 2 s after the first."""

    async def scenario():
        room = RedisRoom(redis_server.url, address_messages=2, window_seconds=2.0)
        await room.open(lambda *_: None, lambda *_: None, lambda *_: None)
        try:
            # a count, as an older process kept it, is replaced, not misread
            await room.redis.set(room.key("rate:192.0.2.1"), "7", px=60_000)
            started = time.monotonic()
            await room.say("192.0.2.1", "ada", "first")
            await asyncio.sleep(1.6)
            await room.say("192.0.2.1", "ada", "second, 1.6 s later")
            await asyncio.sleep(max(0.0, started + 2.3 - time.monotonic()))
            await room.say("192.0.2.1", "ada", "third: the first has aged out")
            with pytest.raises(ProtocolError) as refused:
                await room.say("192.0.2.1", "ada", "fourth: the second has not")
            assert time.monotonic() - started < 3.5, "too slow to tell"
            assert refused.value.code == "rate-limited"
            await room.say("192.0.2.99", "bob", "another address is not limited")
        finally:
            await room.close()

    run(scenario)


def test_reconnecting_to_another_process_starts_no_new_connect_window(
    redis_server,
):
    """New connections are limited per address across the room: with two
    processes, a client that reconnected in a loop to each in turn would
    otherwise have had twice the connections, log lines and handshakes."""
    options = ("--connects-per-address", "4")  # in any 5 s
    chats = [ChatProcess(redis_server.url, *options) for _ in range(2)]

    async def opened(chat: ChatProcess) -> int:
        try:
            async with connect(chat.url):
                return 101
        except InvalidStatus as refused:
            return refused.response.status_code

    async def scenario():
        first, second = chats
        assert [await opened(first) for _ in range(2)] == [101, 101]
        assert [await opened(second) for _ in range(2)] == [101, 101]
        assert await opened(first) == 429  # the room's window is full
        assert await opened(second) == 429

    try:
        run(scenario)
    finally:
        stop_all(chats)


async def opening(chat: ChatProcess):
    """A connection to ``chat``, open, or the HTTP status it was refused with."""
    try:
        return await connect(chat.url)
    except InvalidStatus as refused:
        return refused.response.status_code


def test_an_address_holds_at_most_its_cap_of_connections_in_the_whole_room(
    redis_server,
):
    """Each process counted only its own: with two, an address could hold
    twice its cap."""
    chats = [ChatProcess(redis_server.url, "--per-address", "3") for _ in range(2)]

    async def scenario():
        first, second = chats
        held = [await opening(first), await opening(first), await opening(second)]
        assert all(not isinstance(each, int) for each in held)
        assert await opening(second) == 503
        assert await opening(first) == 503
        await held[0].close()
        await until(5, lambda: accepted(second, held))  # its place is free again
        assert await opening(first) == 503
        await asyncio.gather(*(client.close() for client in held))

    run_then_stop(chats, scenario)


async def accepted(chat: ChatProcess, held: list) -> bool:
    client = await opening(chat)
    if isinstance(client, int):
        await asyncio.sleep(0.1)
        return False
    held.append(client)
    return True


def test_a_connection_lost_while_the_room_counts_it_is_not_counted_for_ever(
    redis_server,
):
    """A client that resets its connection while the room admits it was
    counted in Redis and never uncounted: repeated, it could use up the cap
    of an address others share (a NAT's), until the process restarted."""

    async def scenario():
        async with chat(
            redis_url=redis_server.url, connections_per_address=1
        ) as server:
            admit = server.room.scripts["connect"]
            admitting, go_on = asyncio.Event(), asyncio.Event()

            async def slowly(**arguments):
                answer = await admit(**arguments)
                admitting.set()
                await go_on.wait()  # (the client is gone meanwhile)
                return answer

            server.room.scripts["connect"] = slowly
            gone = socket.create_connection(("127.0.0.1", server.port))
            gone.sendall(HANDSHAKE + b"\r\n")
            await admitting.wait()
            gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
            gone.close()
            await eventually_async(lambda: server.sockets == 0)
            server.room.scripts["connect"] = admit
            go_on.set()
            await eventually_async(lambda: not server.room.counted)
            async with connect(f"ws://127.0.0.1:{server.port}/"):  # (the cap: 1)
                pass

    run(scenario)


@pytest.mark.parametrize("lands", ["enter first", "release first"])
def test_a_member_closed_while_it_enters_the_room_is_not_held(redis_server, lands):
    """Closed for a flood of pings right after its welcome, a member left
    while its entering was still on its way to Redis; entering then marked
    its nickname held, and a Redis restart put it back online: a ghost
    that ``who`` listed and whose nickname no one could take."""

    async def scenario():
        async with chat(redis_url=redis_server.url) as server:
            room, nick = server.room, "ghost"
            enter = room.scripts["enter"]

            async def released() -> None:  # (the member has left, and Redis knows)
                await eventually_async(
                    lambda: not server.members and nick not in room.unreleased
                )

            async def slowly(**arguments):
                if lands == "release first":
                    await released()
                answer = await enter(**arguments)
                if lands == "enter first":
                    await released()
                return answer

            room.scripts["enter"] = slowly
            client, _ = await joined_to(server, nick)
            for _ in range(30):  # closed 1008 while it enters the room
                await client.ping()
            await client.wait_closed()
            assert client.close_code == 1008
            await eventually_async(lambda: server.sockets == 0)
            room.scripts["enter"] = enter
            await room.restore()  # (what a Redis restart makes it do)
            assert nick not in room.held
            assert await room.redis.hkeys(room.key("online")) == []
            assert await room.who() == []
            _, welcome = await joined_to(server, nick)  # the nickname is free
            assert welcome["online"] == [nick]

    run(scenario)


def test_a_member_that_leaves_while_its_nickname_is_restored_is_not_held(
    redis_server,
):
    """After a Redis restart a process claims again, one by one, the
    nicknames it holds: one whose member left meanwhile was claimed again
    after its release, and held in Redis by no one here until the process
    died."""

    async def scenario():
        async with chat(redis_url=redis_server.url) as server:
            room, nick = server.room, "ghost"
            claim = room.scripts["claim"]

            async def after_the_release(**arguments):
                await eventually_async(
                    lambda: not server.members and nick not in room.unreleased
                )
                return await claim(**arguments)

            client, _ = await joined_to(server, nick)
            room.scripts["claim"] = after_the_release
            restoring = asyncio.create_task(room.restore())
            await client.close()
            await restoring
            room.scripts["claim"] = claim
            assert await room.redis.hgetall(room.key("claims")) == {}
            assert await room.redis.hkeys(room.key("online")) == []
            _, welcome = await joined_to(server, nick)  # the nickname is free
            assert welcome["online"] == [nick]

    run(scenario)


def test_a_killed_processs_connections_stop_counting_within_the_expiry(
    redis_server,
):
    chats = [ChatProcess(redis_server.url, "--per-address", "2") for _ in range(2)]

    async def scenario():
        first, second = chats
        held = [await opening(first), await opening(first)]
        assert await opening(second) == 503
        first.process.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        await until(10, lambda: accepted(second, held))
        assert time.monotonic() - killed < 3.0 + 2.0  # the expiry, and a sweep

    run_then_stop(chats, scenario)


def test_after_a_redis_restart_the_open_connections_count_again(redis_server):
    """Redis restarted empty: each process writes back what it holds open,
    or an address could open its cap again on another process."""
    chats = [ChatProcess(redis_server.url, "--per-address", "2") for _ in range(2)]

    async def scenario():
        first, second = chats
        held = [await opening(first), await opening(first)]
        redis_server.stop()
        redis_server.start()

        async def both_back():
            return all(chat.events("redis-reconnected") for chat in chats)

        await until(10, both_back)
        assert await opening(second) == 503
        await asyncio.gather(*(client.close() for client in held))

    run_then_stop(chats, scenario)


@pytest.mark.parametrize("change", ["connect", "closed"])
def test_a_count_written_back_while_it_changes_is_written_again(redis_server, change):
    """After a restart, a process writes back its open connections; one
    counted in Redis but not yet in the process as it did so (an admission),
    or uncounted in the process but not yet in Redis (a close), left Redis
    one short for that address until the next restart."""
    address = "192.0.2.7"

    async def scenario():
        room = RedisRoom(redis_server.url)
        await room.open(lambda *_: None, lambda *_: None, lambda *_: None)
        try:
            for _ in range(2):
                assert (await room.admit(address))[1] is True
            script, landed, gate = (
                room.scripts[change],
                asyncio.Event(),
                asyncio.Event(),
            )

            async def late(**arguments):  # an admission lands, then returns late;
                if change == "closed":  # a close lands late
                    await gate.wait()
                answer = await script(**arguments)
                landed.set()
                await gate.wait()
                return answer

            room.scripts[change] = late
            if change == "connect":
                admitting = asyncio.create_task(room.admit(address))
                await landed.wait()
            else:
                room.closed(address)
            await room.write_counts()  # as after a restart
            gate.set()
            if change == "connect":
                assert (await admitting)[1] is True
            await eventually_async(lambda: room.counting == 0)
            await room.check()
            counted = await room.redis.hget(room.key("open:" + room.process), address)
            assert int(counted or 0) == room.counted[address]
            assert room.counted[address] == (3 if change == "connect" else 1)
        finally:
            await room.close()

    run(scenario)


def test_a_process_cut_off_from_redis_delivers_what_it_missed(redis_server):
    """Pub/sub delivers at most once: a process whose subscription was cut
    (a network blip, Redis busy) missed what was said and who came and went
    meanwhile, and its members never saw it. Subscribed again, it delivers
    the history's messages newer than its last, once, and the difference in
    who is online."""

    async def scenario():
        delivered, joined, left, published = [], [], [], []
        cut = RedisRoom(redis_server.url)
        other = RedisRoom(redis_server.url)
        await cut.open(delivered.append, joined.append, left.append)
        await other.open(published.append, lambda *_: None, lambda *_: None)
        try:
            assert await other.claim("carol")
            await other.enter("carol")
            await until(5, lambda: asyncio.sleep(0, "carol" in joined))
            gate = asyncio.Event()
            subscribe = cut.subscribe

            async def after_the_gap():
                await gate.wait()
                await subscribe()

            cut.subscribe = after_the_gap
            await cut.pubsub.connection.disconnect()
            await until(5, lambda: asyncio.sleep(0, cut.pubsub is None))
            await other.say("192.0.2.1", "carol", "said in the gap")
            assert await other.claim("dave")
            await other.enter("dave")
            await other.leave("carol")
            # published (the other process, subscribed, has it back), and
            # nothing of it reached the one cut off
            await until(5, lambda: asyncio.sleep(0, len(published) == 1))
            assert not any("said in the gap" in frame for frame in delivered)
            gate.set()
            await other.say("192.0.2.1", "dave", "said after")
            await until(5, lambda: asyncio.sleep(0, "said after" in "".join(delivered)))
            texts = [json.loads(frame)["text"] for frame in delivered]
            assert texts == ["said in the gap", "said after"]
            assert joined == ["carol", "dave"] and left == ["carol"]
        finally:
            await cut.close()
            await other.close()

    run(scenario)


async def taken_for_dead(room: RedisRoom) -> None:
    """What another process's reaper does to ``room`` once its alive key has
    expired (its key deleted and the reaper run at once, in one transaction,
    so that its own check cannot say it is alive in between)."""
    async with room.redis.pipeline(transaction=True) as pipe:
        pipe.delete(room.key("alive:" + room.process))
        await room.scripts["reap"](args=[room.prefix], client=pipe)
        await pipe.execute()


async def online_in_redis(room: RedisRoom) -> list[str]:
    return await room.redis.hkeys(room.key("online"))


def test_a_script_that_fails_in_a_check_does_not_end_the_keep_alive(redis_server):
    """``check`` restores and releases through ``script``, which turns a lost
    connection into RoomUnavailable: the keep-alive loop caught only Redis's
    own errors, so one lost at that moment ended it for good. The process
    no longer said it was alive, was reaped by the others, and never came
    back (coming back is the check's own work)."""

    async def scenario():
        events = []
        room = RedisRoom(redis_server.url, event=lambda kind, **_: events.append(kind))
        await room.open(lambda *_: None, lambda *_: None, lambda *_: None)
        try:
            assert await room.claim("ada")
            await room.enter("ada")
            claim, failed = room.scripts["claim"], []

            async def fails_once(**arguments):
                if not failed:
                    failed.append(arguments)
                    raise RedisConnectionError("lost while restoring")
                return await claim(**arguments)

            room.scripts["claim"] = fails_once
            await taken_for_dead(room)
            assert await online_in_redis(room) == []
            await until(10, lambda: asyncio.sleep(0, bool(failed)))

            async def back() -> bool:  # its users online again, itself alive
                return await online_in_redis(room) == ["ada"] and bool(
                    await room.redis.exists(room.key("alive:" + room.process))
                )

            await until(10, back)
            assert "redis-lost" in events  # (logged as a lost connection)
            assert not any(task.done() for task in room.tasks)
        finally:
            await room.close()

    run(scenario)


def test_a_process_says_it_is_alive_while_it_restores(redis_server):
    """A restore claims again every nickname the process holds, two round
    trips each: thousands took longer than the expiry, and the process,
    busy restoring, said nothing meanwhile. The others reaped it
    half-restored, and its next check found it reaped and restored again."""

    async def scenario():
        room, other = RedisRoom(redis_server.url), RedisRoom(redis_server.url)
        for each in (room, other):
            await each.open(lambda *_: None, lambda *_: None, lambda *_: None)
        try:
            assert await room.claim("ada")
            await room.enter("ada")
            claim, reap = room.scripts["claim"], other.scripts["reap"]
            reaps, alive_then = [0], []

            async def counted(**arguments):  # the other process's reaper
                answer = await reap(**arguments)
                reaps[0] += 1
                return answer

            async def slowly(**arguments):  # a restore longer than the expiry
                if not alive_then:
                    expired = time.monotonic() + room.ttl  # (the key set before)
                    await eventually_async(lambda: time.monotonic() > expired)
                    swept = reaps[0]
                    await eventually_async(lambda: reaps[0] > swept)  # and reaped
                    processes = room.key("processes")
                    held = await room.redis.sismember(processes, room.process)
                    alive_then.append(bool(held))
                return await claim(**arguments)

            other.scripts["reap"], room.scripts["claim"] = counted, slowly
            await taken_for_dead(room)  # (so that its next check restores)
            await until(15, lambda: asyncio.sleep(0, bool(alive_then)))
            assert alive_then == [True]  # not reaped while it restored

            async def restored() -> bool:
                return await online_in_redis(room) == ["ada"]

            await until(10, restored)
        finally:
            await room.close()
            await other.close()

    run(scenario)


def test_a_nickname_lost_while_its_member_joins_stays_the_other_processs(
    redis_server,
):
    """After a Redis restart a process claims again the nicknames it holds;
    one another process's member took meanwhile stays theirs, and the member
    here is let go. One whose member here was still joining (claimed, not
    yet welcomed) went online anyway: entering overwrote the other process's
    entry in ``online``, and the release after it deleted that entry and
    announced a leave. The other's member, still there, vanished from
    presence and ``who``. (The client joining here is told its nickname is
    taken, and stays: ``test_a_nickname_lost_after_a_real_restart...``.)"""

    async def scenario():
        async with chat(redis_url=redis_server.url) as server:
            room, delivered, left = server.room, [], []
            other = RedisRoom(redis_server.url)
            await other.open(delivered.append, lambda *_: None, left.append)
            try:
                snapshot, joining, go_on = (
                    room.snapshot,
                    asyncio.Event(),
                    asyncio.Event(),
                )

                async def held_up():  # between the claim and the welcome
                    joining.set()
                    await go_on.wait()
                    return await snapshot()

                room.snapshot = held_up
                client = await connect(f"ws://127.0.0.1:{server.port}/")
                await client.send(json.dumps({"type": "join", "nick": "ada"}))
                await joining.wait()
                # a Redis restart lost this process's claims, and before it
                # wrote them back the other process's member took the nickname
                lost = (room.key("claims"), room.key("held:" + room.process))
                await room.redis.delete(*lost)
                assert await other.claim("ada")
                await other.enter("ada")
                await room.restore()  # (as after the restart): lost to the other
                assert "ada" not in room.held
                go_on.set()
                refused = await receive(client, "error")
                assert refused["code"] == "nick-taken"
                await eventually_async(
                    lambda: not server.members and "ada" not in room.unreleased
                )
                online = await room.redis.hgetall(room.key("online"))
                assert online == {"ada": other.process}
                # what this process published has reached the other before this
                await other.say("192.0.2.1", "ada", "still here")
                await until(5, lambda: asyncio.sleep(0, bool(delivered)))
                assert left == []
                assert await other.who() == ["ada"]
                assert client.close_code is None
            finally:
                await other.close()

    run(scenario)


def test_a_nickname_lost_after_a_real_restart_while_its_client_joins_is_taken(
    redis_server,
):
    """Redis restarts while a client here is joining (its nickname claimed,
    its welcome not yet sent), and another process's member takes the
    nickname before this process writes it back. The client here was
    welcomed, then closed 1013 as if the room were out of reach; it is told
    that its nickname is taken, as at any join, and may choose another."""

    async def scenario():
        async with chat(redis_url=redis_server.url) as server:
            room, events = server.room, []
            room.event = lambda kind, **fields: events.append((kind, fields))
            other = RedisRoom(redis_server.url)
            await other.open(lambda *_: None, lambda *_: None, lambda *_: None)
            try:
                snapshot, claim = room.snapshot, room.scripts["claim"]
                joining, go_on, taken = (asyncio.Event() for _ in range(3))

                async def held_up():  # between the claim and the welcome
                    joining.set()
                    await go_on.wait()
                    return await snapshot()

                async def after_the_other(**arguments):  # written back late
                    if arguments["args"][3] == "again":
                        await taken.wait()
                    return await claim(**arguments)

                room.snapshot, room.scripts["claim"] = held_up, after_the_other
                client = await connect(f"ws://127.0.0.1:{server.port}/")
                await client.send(json.dumps({"type": "join", "nick": "ada"}))
                await joining.wait()
                assert room.held == {"ada": False}
                await asyncio.to_thread(redis_server.stop)
                await asyncio.to_thread(redis_server.start)

                async def the_other_took_it() -> bool:  # once it is back
                    with contextlib.suppress(RoomUnavailable):
                        if await other.claim("ada"):
                            await other.enter("ada")
                            return True
                    return False

                await until(10, the_other_took_it)
                taken.set()
                await eventually_async(lambda: "ada" not in room.held)
                assert ("nick-clash-after-restore", {"nick": "ada"}) in events
                go_on.set()
                refused = json.loads(await client.recv())  # no welcome first
                assert (refused["type"], refused.get("code")) == ("error", "nick-taken")
                await client.send(json.dumps({"type": "join", "nick": "bea"}))
                welcome = await receive(client, "welcome")
                assert welcome["nick"] == "bea"
                await eventually_async(lambda: room.held == {"bea": True})
                online = await room.redis.hgetall(room.key("online"))
                assert online == {"ada": other.process, "bea": room.process}
                assert client.close_code is None
                await client.close()
            finally:
                await other.close()

    run(scenario)


def test_a_restore_after_a_real_restart_takes_a_few_round_trips_not_two_a_nickname(
    redis_server, monkeypatch
):
    """After a Redis restart a process writes back every nickname it holds
    (claimed, and online for those welcomed): it took two round trips each,
    one by one, while which its users were missing from Redis. Now one
    pipeline: counted here by what the restoring task sends to Redis (each
    send a round trip), whatever the machine's speed."""
    members, restoring = 200, {}  # a task restoring -> what it sent
    send = AbstractConnection.send_packed_command

    async def counting(connection, *arguments, **options):
        if asyncio.current_task() in restoring:
            restoring[asyncio.current_task()].append(arguments[0])
        return await send(connection, *arguments, **options)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)

    async def scenario():
        room = RedisRoom(redis_server.url)
        await room.open(lambda *_: None, lambda *_: None, lambda *_: None)
        try:
            nicks = [f"user {n}" for n in range(members)]
            for nick in nicks:
                assert await room.claim(nick)
            for nick in nicks[::2]:  # half welcomed, half still joining
                await room.enter(nick)
            restore, restored = room.restore, []

            async def counted() -> None:  # (in the keep-alive loop's check)
                sent = restoring[asyncio.current_task()] = []
                try:
                    await restore()
                finally:
                    del restoring[asyncio.current_task()]
                restored.append(sent)

            room.restore = counted
            await asyncio.to_thread(redis_server.stop)
            await asyncio.to_thread(redis_server.start)
            await until(15, lambda: asyncio.sleep(0, bool(restored)))
            claims = await room.redis.hgetall(room.key("claims"))
            assert len(claims) == 3 * members  # (three clash keys a nickname)
            assert set(claims.values()) == {room.process}
            online = await room.redis.hkeys(room.key("online"))
            assert sorted(online) == sorted(nicks[::2])
            assert room.held == {nick: nick in online for nick in nicks}
            # four: which scripts the restarted Redis has, loading the two,
            # and the pipeline (a connection made again adds its own few)
            sent = len(restored[0])
            assert 0 < sent <= 10, f"{sent} round trips for {members} members"
        finally:
            await room.close()

    run(scenario)


def test_after_a_redis_restart_a_live_users_nickname_is_not_free_to_take(
    redis_server,
):
    """A restarted Redis holds no claims until each process writes back
    its own: a client joining in a loop on another process meanwhile took
    a live user's nickname, and the user's member was closed 1013 when its
    process wrote it back. A process now refuses the nicknames its members
    were told are online until they are written back (or settle)."""

    async def scenario():
        # (the second's settle, an expiry after the restart, made wide: the
        # join below must come before it whatever the machine's load)
        async with (
            chat(redis_url=redis_server.url) as first,
            chat(redis_url=redis_server.url, presence_ttl=30.0) as second,
        ):
            ada, _ = await joined_to(first, "ada")
            bob, _ = await joined_to(second, "bob")
            await eventually_async(lambda: "ada" in second.room.online)
            claim, written_back = first.room.scripts["claim"], asyncio.Event()

            async def not_yet(**arguments):  # the first writes ada back late
                if arguments["args"][3] == "again":
                    await written_back.wait()
                return await claim(**arguments)

            first.room.scripts["claim"] = not_yet
            await asyncio.to_thread(redis_server.stop)
            await asyncio.to_thread(redis_server.start)
            await eventually_async(lambda: "ada" in second.room.unconfirmed)
            mallory = await connect(f"ws://127.0.0.1:{second.port}/")
            replies = []

            async def answered() -> bool:  # (unavailable until it reconnects)
                await mallory.send(json.dumps({"type": "join", "nick": "Ada"}))
                replies.append(json.loads(await mallory.recv()))
                if replies[-1].get("code") != "unavailable":
                    return True
                await asyncio.sleep(0.4)  # (a join counts against the rate limit)
                return False

            await until(10, answered)
            assert replies[-1]["type"] == "error"
            assert replies[-1]["code"] == "nick-taken"
            written_back.set()

            async def ada_written_back() -> bool:
                return await online_in_redis(first.room) == ["ada"]

            await until(10, ada_written_back)
            await ada.send(json.dumps({"type": "say", "text": "still here"}))
            for client in (ada, bob):
                message = await receive(client, "message", 10)
                assert (message["nick"], message["text"]) == ("ada", "still here")
            assert ada.close_code is None

    run(scenario)


def test_a_welcome_lists_a_nickname_once_while_its_leave_is_on_its_way(
    redis_server,
):
    """A process's mirror of who is online lags Redis by the channel: a
    nickname another process's member has just left, and a client here
    has just claimed, may still be in it, and the welcome listed it twice."""

    async def scenario():
        async with chat(redis_url=redis_server.url) as server:
            room, other = server.room, RedisRoom(redis_server.url)
            await other.open(lambda *_: None, lambda *_: None, lambda *_: None)
            try:
                assert await other.claim("ada")
                await other.enter("ada")
                await eventually_async(lambda: "ada" in room.online)
                dispatch, delayed = room.dispatch, []
                room.dispatch = delayed.append  # (the channel, slow)
                await other.leave("ada")
                await eventually_async(lambda: "lada" in delayed)
                client, welcome = await joined_to(server, "ada")
                assert welcome["online"] == ["ada"]
                room.dispatch = dispatch
                for data in delayed:
                    dispatch(data)
                await client.close()
            finally:
                await other.close()

    run(scenario)


def test_a_new_connection_does_not_wait_on_a_redis_known_to_be_lost():
    """Each would hold one of the process's few Redis connections until it
    timed out (5 s), in front of every join and message."""

    async def scenario():
        room = RedisRoom("redis://127.0.0.1:1/0")  # (nothing listens there)

        async def waits_on_redis(**_):
            raise AssertionError("asked Redis")

        room.scripts["connect"] = waits_on_redis
        room.healthy = False  # as after redis-lost
        assert await room.admit("192.0.2.1") == (None, False)
        room.healthy = True
        with pytest.raises(AssertionError, match="asked Redis"):
            await room.admit("192.0.2.1")
        await room.redis.aclose()

    run(scenario)
