"""Each attack a hostile chat client made, sent again: the server holds."""

import asyncio
import contextlib
import json
import logging
import socket
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chat_clients import (
    HANDSHAKE,
    chat,
    joined,
    masked_text_frame,
    receive,
    run,
    url,
)
from chatroom import protocol
from chatroom.server import ChatConnection
from helpers import eventually_async


def say(text: str) -> str:
    return json.dumps({"type": "say", "text": text})


def logging_too(event, kind: str, happened: asyncio.Event):
    """The server's ``event`` method, which also sets ``happened`` on ``kind``."""

    def logged(name, **fields):
        event(name, **fields)
        if name == kind:
            happened.set()

    return logged


def logged_refusals(caplog) -> list[dict]:
    """The aggregate refusal lines the server logged."""
    events = [json.loads(record.getMessage()) for record in caplog.records]
    return [event for event in events if event["event"] == "refused"]


async def health(server) -> dict:
    loop = asyncio.get_running_loop()
    body = await loop.run_in_executor(
        None,
        lambda: urllib.request.urlopen(f"http://127.0.0.1:{server.port}/health").read(),
    )
    return json.loads(body)


def test_a_lone_surrogate_is_refused_as_bad_text_and_newcomers_still_join():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            await ada.send('{"type":"say","text":"\\ud800"}')
            assert (await receive(ada, "error"))["code"] == "bad-text"
            bob, welcome = await joined(server, "bob")
            assert welcome["history"] == [] and welcome["online"] == ["ada", "bob"]
            await ada.send(say("still fine"))
            assert (await receive(bob, "message"))["text"] == "still fine"

    run(scenario)


def test_a_join_whose_welcome_fails_leaves_no_ghost_and_frees_the_nick():
    async def scenario():
        async with chat() as server:
            snapshot = server.room.snapshot
            joining, vanished = asyncio.Event(), asyncio.Event()

            async def slow_snapshot():  # until the client has vanished
                joining.set()
                await eventually_async(lambda: server.sockets == 0)
                return await snapshot()

            server.room.snapshot = slow_snapshot
            server.event = logging_too(server.event, "disconnect", vanished)
            ghost = socket.create_connection(("127.0.0.1", server.port))
            ghost.sendall(
                HANDSHAKE
                + b"\r\n"
                + masked_text_frame('{"type":"join","nick":"ghost"}')
            )
            await asyncio.wait_for(joining.wait(), 10)
            ghost.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
            ghost.close()  # a reset, before the welcome is sent
            await asyncio.wait_for(vanished.wait(), 10)
            server.room.snapshot = snapshot
            state = await health(server)
            assert (state["online"], state["connections"]) == (0, 0)
            client, welcome = await joined(server, "ghost")
            assert welcome["online"] == ["ghost"]

    run(scenario)


def test_a_member_only_exists_once_its_welcome_has_gone_out():
    """While a welcome is on its way, the joining client is not online:
    /health, the room and the others agree; a welcome that then fails
    leaves no trace (no presence of it joining or leaving)."""

    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            held, release = asyncio.Event(), asyncio.Event()
            send = ChatConnection.send

            async def held_welcome(connection, message, *args, **kwargs):
                if isinstance(message, str) and '"nick":"carol"' in message:
                    held.set()
                    await release.wait()
                    raise ConnectionResetError("the welcome failed")
                return await send(connection, message, *args, **kwargs)

            ChatConnection.send = held_welcome
            try:
                carol = await connect(url(server))
                await carol.send(json.dumps({"type": "join", "nick": "carol"}))
                await asyncio.wait_for(held.wait(), 10)
                assert (await health(server))["online"] == 1
                assert await server.room.who() == ["ada"]
                await ada.send(json.dumps({"type": "who"}))
                assert (await receive(ada, "online"))["online"] == ["ada"]
                release.set()
                await eventually_async(lambda: server.sockets == 1)
            finally:
                ChatConnection.send = send
            server.announce()  # what presence is gathered goes out now, before:
            await ada.send(say("after"))
            while (message := json.loads(await ada.recv()))["type"] != "message":
                assert message["type"] == "presence", message
                assert "carol" not in message["joined"] + message["left"]
            _, welcome = await joined(server, "carol")
            assert welcome["online"] == ["ada", "carol"]

    run(scenario)


def test_a_failed_send_to_one_member_touches_neither_the_history_nor_the_others():
    async def scenario():
        async with chat() as server:
            broken, _ = await joined(server, "broken")  # the first written to
            ada, _ = await joined(server, "ada")
            bob, _ = await joined(server, "bob")
            (connection,) = [
                c for c, nick in server.members.items() if nick == "broken"
            ]

            def refuse(data):
                raise RuntimeError("Cannot call write() after write_eof()")

            connection.transport.write = refuse
            await ada.send(say("one"))
            assert (await receive(bob, "message"))["text"] == "one"
            assert (await receive(ada, "message"))["text"] == "one"
            await eventually_async(lambda: "broken" not in server.members.values())
            _, welcome = await joined(server, "carol")
            assert [m["text"] for m in welcome["history"]] == ["one"]

    run(scenario)


def test_deeply_nested_json_is_bad_json_and_the_connection_stays():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            await ada.send("[" * 2000 + "]" * 2000)
            assert (await receive(ada, "error"))["code"] == "bad-json"
            await ada.send(say("after"))
            assert (await receive(ada, "message"))["text"] == "after"

    run(scenario)


# Over 32 brackets, then an unterminated string of escaped quotes (4 KiB):
# a regular expression for strings took 62 ms on it, quadratic in its length.
UNTERMINATED = "{" * 33 + '"' + '\\"' * 2000


@pytest.mark.parametrize(
    "nesting", ["[" * 2000, "[" * 2000 + "]" * 2000, "{}" * 40, UNTERMINATED]
)
def test_json_with_more_brackets_than_a_message_is_refused_unparsed(
    monkeypatch, nesting
):
    """The parser recursed once per level until a RecursionError, which was
    caught at the bottom of the stack, where whatever else ran then (a
    finalizer, a collection) failed in turn: once, in a full run, an error
    the test suite reported."""
    parsed = []
    real = protocol.json.loads
    monkeypatch.setattr(
        protocol.json, "loads", lambda raw: parsed.append(raw) or real(raw)
    )
    with pytest.raises(protocol.ProtocolError) as refused:
        protocol.parse(nesting)
    assert refused.value.code == "bad-json"
    assert parsed == []


@pytest.mark.parametrize(
    ("raw", "outside"),
    [
        ("[" * 33, 33),
        ('{"a":"' + "[" * 40 + '"}', 1),
        ('{"a":"\\"' + "[" * 40 + '"}', 1),  # an escaped quote ends nothing
        ('{"a":"\\\\"' + ",[" * 40 + "}", 41),  # an escaped backslash does
        (UNTERMINATED, 33),
    ],
)
def test_brackets_counts_those_outside_strings(raw, outside):
    assert protocol.brackets(raw) == outside


class Reads(str):
    """Text that counts the characters read from it one by one."""

    reads = 0

    def __iter__(self):
        for char in str.__iter__(self):
            self.reads += 1
            yield char


@pytest.mark.parametrize("raw", [UNTERMINATED, '"\\"' * 1000 + "[" * 33])
def test_brackets_reads_each_character_of_a_message_once(raw):
    """One pass, whatever its quotes and escapes: the regular expression it
    replaces went back over an unterminated string from each of its quotes."""
    text = Reads(raw)
    protocol.brackets(text)
    assert text.reads == len(raw)


def test_brackets_in_a_messages_text_are_only_text():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            bob, _ = await joined(server, "bob")
            text = '[{"' * 300 + '\\"]'
            await ada.send(say(text))
            assert (await receive(bob, "message"))["text"] == text

    run(scenario)


@pytest.mark.parametrize("flood", ['{"type": "who"}', "{not json", '{"type": "x"}'])
def test_who_and_invalid_messages_count_against_the_rate_limit(flood):
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            for _ in range(9):  # with the join, ten: the limit
                await ada.send(flood)
            await ada.send(say("one too many"))
            replies = [json.loads(await ada.recv()) for _ in range(10)]
            assert "rate-limited" not in [r.get("code") for r in replies[:9]]
            assert replies[9]["code"] == "rate-limited"

    run(scenario)


def test_reconnecting_does_not_reset_the_per_address_limit():
    async def scenario():
        async with chat(address_messages=15) as server:
            first, _ = await joined(server, "ada")
            for n in range(9):
                await first.send(say(f"{n}"))
            for _ in range(9):
                await receive(first, "message")
            await first.close()
            second, _ = await joined(server, "bob")  # 11 from this address
            for n in range(4):
                await second.send(say(f"again {n}"))
            for n in range(4):
                assert (await receive(second, "message"))["text"] == f"again {n}"
            await second.send(say("the sixteenth"))
            error = await receive(second, "error")
            assert error["code"] == "rate-limited"

    run(scenario)


def test_reconnecting_over_and_over_is_refused_429_and_logged_once(caplog):
    """Each connection is a line or two in the log and a handshake's work:
    a client that reconnected in a loop wrote thousands of lines a second.
    New connections are limited per address, and refused in aggregate."""

    async def scenario():
        async with chat(connects_per_address=5, window_seconds=1.0) as server:
            for _ in range(5):
                async with connect(url(server)):
                    pass
            with pytest.raises(InvalidStatus) as refused:
                async with connect(url(server)):
                    pass
            assert refused.value.response.status_code == 429
            assert b"at most 5 new connections" in refused.value.response.body
            assert (await health(server))["status"] == "ok"  # (not counted)
            await asyncio.sleep(1.1)  # the window has passed
            client, _ = await joined(server, "ada")
            await client.close()

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    refused = logged_refusals(caplog)
    assert len(refused) == 1
    assert refused[0]["rules"] == {"connect-rate": 1}


def test_a_client_that_keeps_flooding_past_its_limit_is_closed_1008():
    async def scenario():
        async with chat(refusals_before_close=3) as server:
            ada, _ = await joined(server, "ada")
            with pytest.raises(ConnectionClosed):
                for n in range(100):
                    await ada.send(say(f"{n}"))
                    await asyncio.sleep(0.01)
            assert ada.close_code == 1008

    run(scenario)


def test_refusals_are_logged_in_aggregate_not_one_line_each(caplog):
    async def scenario():
        async with chat(messages_per_window=1000, address_messages=1000) as server:
            ada, _ = await joined(server, "ada")
            for _ in range(30):
                await ada.send("{not json")
            for _ in range(30):
                await receive(ada, "error")

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    refused = logged_refusals(caplog)
    assert len(refused) == 1
    assert refused[0]["rules"] == {"bad-json": 30}
    assert refused[0]["addresses"] == {"127.0.0.1": 30}


def test_an_oversized_message_is_logged_as_a_message_size_refusal(caplog):
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            await ada.send(say("x" * 5000))
            with pytest.raises(ConnectionClosed):
                await receive(ada, "message")
            await eventually_async(lambda: '"event": "disconnect"' in caplog.text)

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    events = [json.loads(r.getMessage()) for r in caplog.records]
    disconnect = next(e for e in events if e["event"] == "disconnect")
    assert disconnect["code"] == 1009
    refused = next(e for e in events if e["event"] == "refused")
    assert refused["rules"] == {"message-size": 1}


def test_a_client_that_never_reads_is_cut_off_at_its_unsent_limit_with_a_reset():
    async def scenario():
        async with chat(
            messages_per_window=10_000,
            address_messages=10_000,
            max_unsent_bytes=64 * 1024,
        ) as server:
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", server.port))
            slow.sendall(
                HANDSHAKE + b"\r\n" + masked_text_frame('{"type":"join","nick":"slow"}')
            )
            await eventually_async(lambda: server.online() == ["slow"])
            [connection] = server.members
            kernel = connection.transport.get_extra_info("socket")
            # the kernel's buffer for it is fixed, not grown to 4 MiB
            sent = kernel.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            assert sent == 2 * server.settings.send_buffer
            ada, _ = await joined(server, "ada")
            big = json.dumps({"type": "say", "text": "€" * 1000}, ensure_ascii=False)
            for _ in range(300):  # 900 kB: past both buffers
                await ada.send(big)
            for _ in range(300):
                await receive(ada, "message")
            await eventually_async(lambda: server.online() == ["ada"])
            slow.settimeout(5)
            with pytest.raises(ConnectionResetError):
                while slow.recv(65536):
                    pass
            slow.close()

    run(scenario)


def test_pings_count_against_the_rate_limit_and_a_flood_of_them_is_closed_1008(
    caplog,
):
    """websockets answers a ping by itself, before any handler sees it: a
    client that pinged as fast as it could was never limited."""

    async def scenario():
        async with chat(refusals_before_close=3) as server:
            ada, _ = await joined(server, "ada")
            for _ in range(100):
                await ada.ping()
            async with asyncio.timeout(5):
                await ada.wait_closed()
            assert ada.close_code == 1008
            await joined(server, "bob")  # the room goes on, without ada
            await eventually_async(lambda: server.online() == ["bob"])

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    refused = logged_refusals(caplog)
    assert refused[0]["rules"] == {"rate-limited": 4}  # (then it was closed)


def test_a_message_in_several_frames_is_refused_1008_and_counted(caplog):
    """A message may come in frames of any size, empty ones included: one of
    4,000 empty frames cost the server a frame each and counted as one
    message (20 clients within every limit took a core). A chat message
    never needs two frames: the first of several closes the connection."""

    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            with contextlib.suppress(ConnectionClosed):
                await ada.send(['{"type":', *[""] * 4000, '"who"}'])
            received = []
            with contextlib.suppress(ConnectionClosed):
                async with asyncio.timeout(5):
                    while True:
                        received.append(json.loads(await ada.recv()))
            assert (ada.close_code, ada.close_reason) == (
                1008,
                "a message must be one frame",
            )
            assert "online" not in [message["type"] for message in received]
            await joined(server, "bob")  # the room goes on, without ada
            await eventually_async(lambda: server.online() == ["bob"])

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    refused = logged_refusals(caplog)
    assert [each["rules"] for each in refused] == [{"fragmented": 1}]


def ping_frame() -> bytes:
    return bytes([0x89, 0x80 | 125]) + b"\0" * 4 + b"p" * 125  # (a zero mask)


async def joined_raw(server, nick: str) -> socket.socket:
    """A member on a bare socket, welcomed, which then answers nothing: not
    even the server's closing frame."""
    loop = asyncio.get_running_loop()
    raw = socket.socket()
    raw.setblocking(False)
    await loop.sock_connect(raw, ("127.0.0.1", server.port))
    await loop.sock_sendall(raw, HANDSHAKE + b"\r\n")
    await loop.sock_sendall(
        raw, masked_text_frame(json.dumps({"type": "join", "nick": nick}))
    )
    seen = b""
    async with asyncio.timeout(5):
        while b'"welcome"' not in seen:
            seen += await loop.sock_recv(raw, 65536)
    return raw


@pytest.mark.parametrize("flood", ["pings", "messages"])
def test_a_member_closed_for_its_flood_leaves_at_once_though_it_never_answers(flood):
    """Closed 1008 from among its pings, a client that did not answer the
    closing frame stayed online, for others and in /health, until its reset
    (the close timeout later); so did one closed for its messages."""

    async def scenario():
        async with chat(refusals_before_close=3, close_timeout=3) as server:
            loop = asyncio.get_running_loop()
            await joined(server, "bob")
            ada = await joined_raw(server, "ada")
            assert server.online() == ["ada", "bob"]
            frame = ping_frame() if flood == "pings" else masked_text_frame(say("hi"))
            await loop.sock_sendall(ada, frame * 100)
            await eventually_async(lambda: server.online() == ["bob"], seconds=1.5)
            assert await server.room.who() == ["bob"]
            assert (await health(server))["online"] == 1
            ada.close()

    run(scenario)


def test_a_client_that_pings_without_reading_is_cut_off_at_its_unsent_limit(
    caplog,
):
    """Each ping is answered with a pong the client must read: one that
    pinged and never read took the server from 37 to 700 MB in 20 s."""

    async def scenario():
        async with chat(
            messages_per_window=10**7,
            address_messages=10**7,
            max_unsent_bytes=64 * 1024,
        ) as server:
            loop = asyncio.get_running_loop()
            slow = socket.socket()
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.connect(("127.0.0.1", server.port))
            slow.sendall(HANDSHAKE + b"\r\n")
            slow.setblocking(False)
            pings = ping_frame() * 500
            with pytest.raises((ConnectionResetError, BrokenPipeError)):
                for _ in range(4000):  # 250 MB at most
                    await loop.sock_sendall(slow, pings)
            slow.close()

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    refused = logged_refusals(caplog)
    assert refused[0]["rules"] == {"unsent-data": 1}


def test_pending_handshakes_are_capped_and_time_out():
    async def scenario():
        async with chat(max_pending=2, handshake_timeout=0.5) as server:
            loop = asyncio.get_running_loop()
            idle = [
                socket.create_connection(("127.0.0.1", server.port)) for _ in range(2)
            ]
            await eventually_async(lambda: server.pending == 2)
            third = socket.create_connection(("127.0.0.1", server.port))
            third.settimeout(2)
            with pytest.raises(ConnectionResetError):  # refused at once
                await loop.run_in_executor(None, third.recv, 1)
            for sock in idle:  # then timed out
                sock.settimeout(3)
                assert await loop.run_in_executor(None, sock.recv, 1) == b""
            client, _ = await joined(server, "ada")

    run(scenario)


@pytest.mark.parametrize(("proxies", "refused"), [((), True), (("127.0.0.1",), False)])
def test_pending_handshakes_are_capped_per_address_except_for_a_trusted_proxy(
    proxies, refused
):
    async def scenario():
        async with chat(pending_per_address=2, trusted_proxies=proxies) as server:
            loop = asyncio.get_running_loop()
            idle = [
                socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)
            ]
            rule = "pending-handshakes-per-address"  # all three seen:
            await eventually_async(
                lambda: server.pending == 3 or server.refusals.rules[rule]
            )
            # a refused socket is reset soon (a generous deadline); a held one
            # stays open (a short look, with the server holding all three)
            idle[2].settimeout(5 if refused else 0.5)
            try:
                await loop.run_in_executor(None, idle[2].recv, 1)
                closed = False
            except ConnectionResetError:
                closed = True
            except TimeoutError:
                closed = False
            assert closed == refused
            assert server.refusals.rules["pending-handshakes-per-address"] == refused
            for sock in idle:
                sock.close()

    run(scenario)


def test_the_server_refuses_sockets_before_it_runs_out_of_descriptors(caplog):
    async def scenario():
        # (refusals logged only at the end: a log line clears the count awaited)
        async with chat(max_pending=100, refusal_log_interval=60) as server:
            server.socket_budget = server.sockets + 3
            ada, _ = await joined(server, "ada")
            extra = [
                socket.create_connection(("127.0.0.1", server.port)) for _ in range(5)
            ]
            # all five seen: the three past the budget refused, so three left
            await eventually_async(
                lambda: (
                    server.refusals.rules["descriptors"] == 3 and server.sockets <= 3
                )
            )
            for sock in extra:
                sock.close()
            await eventually_async(lambda: server.sockets == 1)  # ada's
            bob, _ = await joined(server, "bob")

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    assert "Traceback" not in caplog.text
    refused = [json.loads(r.getMessage()) for r in caplog.records]
    assert any(e.get("rules", {}).get("descriptors") for e in refused)


def test_two_origin_headers_get_400_not_a_server_error(caplog):
    async def scenario():
        async with chat(origins=("https://blog.example.org",)) as server:
            reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(
                HANDSHAKE
                + b"Origin: https://blog.example.org\r\n"
                + b"Origin: https://evil.example.com\r\n\r\n"
            )
            status = await asyncio.wait_for(reader.readline(), 5)
            assert status.startswith(b"HTTP/1.1 400 ")
            writer.close()

    with caplog.at_level(logging.INFO):
        run(scenario)
    assert "Traceback" not in caplog.text and "failed" not in caplog.text


def test_a_trusted_proxy_names_the_client_and_others_are_not_believed():
    async def scenario():
        async with chat(
            connections_per_address=1, trusted_proxies=("127.0.0.1",)
        ) as server:
            first = await connect(
                url(server), additional_headers={"X-Forwarded-For": "203.0.113.5"}
            )
            second = await connect(
                url(server),
                additional_headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.6"},
            )
            with pytest.raises(InvalidStatus) as refused:
                await connect(
                    url(server), additional_headers={"X-Forwarded-For": "203.0.113.5"}
                )
            assert refused.value.response.status_code == 503
            with pytest.raises(InvalidStatus) as refused:
                await connect(url(server), additional_headers={"X-Forwarded-For": "x"})
            assert refused.value.response.status_code == 400
            assert set(server.limits.open) == {"203.0.113.5", "203.0.113.6"}
            await asyncio.gather(first.close(), second.close())

    run(scenario)


def test_a_bad_forwarded_for_is_counted_once_in_the_refusal_log(caplog):
    """check_request answered it 400 and counted it; check_response counted
    the same 400 again as a bad handshake."""

    async def scenario():
        async with chat(trusted_proxies=("127.0.0.1",)) as server:
            with pytest.raises(InvalidStatus) as refused:
                await connect(url(server), additional_headers={"X-Forwarded-For": "x"})
            assert refused.value.response.status_code == 400

    with caplog.at_level(logging.INFO, logger="chatroom"):
        run(scenario)
    refused = logged_refusals(caplog)
    assert [each["rules"] for each in refused] == [{"forwarded-for": 1}]


def test_forwarded_for_from_an_untrusted_peer_is_ignored():
    async def scenario():
        async with chat(connections_per_address=1) as server:
            first = await connect(
                url(server), additional_headers={"X-Forwarded-For": "203.0.113.5"}
            )
            with pytest.raises(InvalidStatus) as refused:
                await connect(
                    url(server), additional_headers={"X-Forwarded-For": "203.0.113.6"}
                )
            assert refused.value.response.status_code == 503
            assert set(server.limits.open) == {"127.0.0.1"}
            await first.close()

    run(scenario)


@pytest.mark.parametrize(
    ("nick", "code"),
    [
        ("dаvid", "bad-nick"),  # Cyrillic а among Latin letters
        ("ｄａｖｉｄ", "nick-taken"),  # full-width: NFKC makes it david
        ("𝐝𝐚𝐯𝐢𝐝", "nick-taken"),  # mathematical bold
        ("DAVID", "nick-taken"),
        ("\u3164", "bad-nick"),  # Hangul filler: invisible
        ("david\u3164", "bad-nick"),
    ],
)
def test_a_nickname_that_passes_for_one_online_is_refused(nick, code):
    async def scenario():
        async with chat() as server:
            await joined(server, "david")
            client = await connect(url(server))
            await client.send(json.dumps({"type": "join", "nick": nick}))
            assert (await receive(client, "error"))["code"] == code

    run(scenario)


def test_a_whole_script_nickname_confusable_with_one_online_is_taken():
    async def scenario():
        async with chat() as server:
            await joined(server, "Ivan")
            client = await connect(url(server))
            await client.send(json.dumps({"type": "join", "nick": "lvan"}))
            assert (await receive(client, "error"))["code"] == "nick-taken"

    run(scenario)
