"""The chat server, with real websockets clients on an ephemeral port."""

import asyncio
import json
import logging
import socket
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chat_clients import (
    chat,
    every_line_logged,
    joined,
    masked_text_frame,
    receive,
    run,
    url,
)
from chatroom.limits import AddressRates, RateLimit
from helpers import eventually_async


def test_joining_welcomes_with_who_is_online_and_the_history():
    async def scenario():
        async with chat() as server:
            ada, welcome = await joined(server, "ada")
            assert welcome["nick"] == "ada" and welcome["online"] == ["ada"]
            assert welcome["history"] == []
            await ada.close()

    run(scenario)


def test_a_message_is_broadcast_to_everyone_including_its_sender():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            bob, _ = await joined(server, "bob")
            await ada.send(json.dumps({"type": "say", "text": "hello, bob"}))
            for client in (ada, bob):
                message = await receive(client, "message")
                assert (message["nick"], message["text"]) == ("ada", "hello, bob")

    run(scenario)


def test_a_newcomer_gets_the_last_fifty_messages():
    async def scenario():
        async with chat(messages_per_window=100, address_messages=100) as server:
            ada, _ = await joined(server, "ada")
            for n in range(55):
                await ada.send(json.dumps({"type": "say", "text": f"message {n}"}))
            for _ in range(55):
                await receive(ada, "message")
            _, welcome = await joined(server, "bob")
            texts = [m["text"] for m in welcome["history"]]
            assert texts == [f"message {n}" for n in range(5, 55)]

    run(scenario)


def test_presence_joins_leaves_and_who():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            bob, welcome = await joined(server, "bob")
            assert welcome["online"] == ["ada", "bob"]
            presence = await receive(ada, "presence")
            assert "bob" in presence["joined"] and presence["left"] == []
            await ada.send(json.dumps({"type": "who"}))
            assert (await receive(ada, "online"))["online"] == ["ada", "bob"]
            await bob.close()
            presence = await receive(ada, "presence")
            assert (presence["joined"], presence["left"]) == ([], ["bob"])

    run(scenario)


def test_a_taken_nickname_is_refused_and_another_may_be_tried():
    async def scenario():
        async with chat() as server:
            await joined(server, "Ada")
            client = await connect(url(server))
            await client.send(json.dumps({"type": "join", "nick": "ada"}))
            error = await receive(client, "error")
            assert error["code"] == "nick-taken"
            await client.send(json.dumps({"type": "join", "nick": "ada2"}))
            assert (await receive(client, "welcome"))["nick"] == "ada2"

    run(scenario)


@pytest.mark.parametrize(
    ("nick", "valid"),
    [
        ("a", True),
        ("Ada Lovelace", True),
        ("ada.l-1_x", True),
        ("", False),
        (" ", False),
        ("x" * 25, False),
        ("<script>", False),
        ("-ada", False),
        (42, False),
    ],
)
def test_nicknames_are_validated(nick, valid):
    async def scenario():
        async with chat() as server:
            client = await connect(url(server))
            await client.send(json.dumps({"type": "join", "nick": nick}))
            reply = json.loads(await asyncio.wait_for(client.recv(), 5))
            assert reply["type"] == ("welcome" if valid else "error")

    run(scenario)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("{not json", "bad-json"),
        ('["a list"]', "bad-type"),
        ('{"type": "shout"}', "bad-type"),
        ('{"type": "say", "text": ""}', "bad-text"),
        ('{"type": "say"}', "bad-text"),
        ('{"type": "say", "text": "' + "x" * 1001 + '"}', "too-long"),
        ('{"type": "join", "nick": "again"}', "already-joined"),
    ],
)
def test_bad_messages_get_an_error_and_the_connection_stays(raw, code):
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            await ada.send(raw)
            assert (await receive(ada, "error"))["code"] == code
            await ada.send(json.dumps({"type": "say", "text": "still here"}))
            assert (await receive(ada, "message"))["text"] == "still here"

    run(scenario)


def test_speaking_before_joining_is_refused():
    async def scenario():
        async with chat() as server:
            client = await connect(url(server))
            await client.send(json.dumps({"type": "say", "text": "hi"}))
            assert (await receive(client, "error"))["code"] == "join-first"

    run(scenario)


def test_an_oversized_message_closes_the_connection_with_1009():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            await ada.send(json.dumps({"type": "say", "text": "x" * 5000}))
            with pytest.raises(ConnectionClosed):
                await receive(ada, "message")
            assert ada.close_code == 1009

    run(scenario)


def test_a_flood_is_rate_limited_with_a_clear_error_and_the_join_counts_too():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            for n in range(10):
                await ada.send(json.dumps({"type": "say", "text": f"spam {n}"}))
            error = await receive(ada, "error")
            assert error["code"] == "rate-limited"
            assert error["message"] == "slow down: at most 10 messages in 5 s"
            assert json.loads(server.room.history[-1])["text"] == "spam 8"

    run(scenario)


def test_a_foreign_origin_is_refused_and_the_sites_own_accepted():
    async def scenario():
        async with chat(origins=("https://blog.example.org",)) as server:
            with pytest.raises(InvalidStatus) as refused:
                await connect(url(server), origin="https://evil.example.com")
            assert refused.value.response.status_code == 403
            client, _ = await joined(server, "ada", origin="https://blog.example.org")
            await client.close()

    run(scenario)


def test_connections_per_address_are_capped():
    async def scenario():
        async with chat(connections_per_address=2) as server:
            first, second = await connect(url(server)), await connect(url(server))
            with pytest.raises(InvalidStatus) as refused:
                await connect(url(server))
            assert refused.value.response.status_code == 503
            await first.close()
            await eventually_async(lambda: server.limits.open.total() == 1)
            third = await connect(url(server))
            await asyncio.gather(second.close(), third.close())

    run(scenario)


def test_connections_in_all_are_capped_whatever_the_address():
    async def scenario():
        async with chat(connections_per_address=10, connections_in_all=2) as server:
            first, second = await connect(url(server)), await connect(url(server))
            with pytest.raises(InvalidStatus) as refused:
                await connect(url(server))
            assert refused.value.response.status_code == 503
            assert b"the server is full (2 connections)" in refused.value.response.body
            await asyncio.gather(first.close(), second.close())

    run(scenario)


def test_a_client_that_never_joins_is_closed():
    async def scenario():
        async with chat(join_timeout=0.3) as server:
            client = await connect(url(server))
            with pytest.raises(ConnectionClosed):
                await asyncio.wait_for(client.recv(), 5)
            assert client.close_code == 1008

    run(scenario)


def test_a_slow_client_does_not_stall_the_others():
    async def scenario():
        async with chat(messages_per_window=1000, address_messages=1000) as server:
            # A client that joins, then never reads: its socket buffers fill.
            slow = socket.create_connection(("127.0.0.1", server.port))
            slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            slow.sendall(
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
                + masked_text_frame(json.dumps({"type": "join", "nick": "slow"}))
            )
            await eventually_async(lambda: "slow" in server.online())
            ada, _ = await joined(server, "ada")
            bob, _ = await joined(server, "bob")
            started = asyncio.get_running_loop().time()
            for n in range(300):
                await ada.send(json.dumps({"type": "say", "text": f"{n} " + "y" * 900}))
            for n in range(300):
                assert (await receive(bob, "message", 10))["text"].startswith(f"{n} ")
            assert asyncio.get_running_loop().time() - started < 10
            slow.close()

    run(scenario)


def test_shutdown_tells_every_client_then_closes_1001():
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            await server.shutdown("Back soon.")
            assert (await receive(ada, "shutdown"))["message"] == "Back soon."
            with pytest.raises(ConnectionClosed):
                await ada.recv()
            assert ada.close_code == 1001

    run(scenario)


def test_health_endpoint_answers_plain_http():
    async def scenario():
        async with chat() as server:
            await joined(server, "ada")
            loop = asyncio.get_running_loop()
            body = await loop.run_in_executor(
                None,
                lambda: urllib.request.urlopen(
                    f"http://127.0.0.1:{server.port}/health"
                ).read(),
            )
            assert json.loads(body) == {
                "status": "ok",
                "room": "memory",
                "online": 1,
                "connections": 1,
                "handshakes": 0,
            }

    run(scenario)


def test_logs_say_who_and_what_happened_but_never_what_was_said(caplog):
    async def scenario():
        async with chat() as server:
            ada, _ = await joined(server, "ada")
            await ada.send(json.dumps({"type": "say", "text": "a secret"}))
            await receive(ada, "message")
            await ada.close()
            await eventually_async(lambda: '"event": "disconnect"' in caplog.text)

    with caplog.at_level(logging.INFO, logger="chatroom"), every_line_logged():
        run(scenario)
    events = [json.loads(r.getMessage()) for r in caplog.records]
    assert [e["event"] for e in events][:3] == ["listening", "connect", "join"]
    assert any(e["event"] == "disconnect" and e["nick"] == "ada" for e in events)
    assert "a secret" not in caplog.text


def test_rate_limit_window_slides():
    now = [0.0]
    limit = RateLimit(2, 5.0, clock=lambda: now[0])
    assert limit.allow() and limit.allow() and not limit.allow()
    now[0] = 5.01
    assert limit.allow()


def test_address_windows_outlive_connections_and_empty_ones_are_dropped():
    now = [0.0]
    rates = AddressRates(2, 5.0, clock=lambda: now[0])
    assert rates.allow("a") and rates.allow("a") and not rates.allow("a")
    assert rates.allow("b")
    now[0] = 6.0
    rates.sweep()
    assert rates.windows == {}
