"""The WebSockets post's standalone server, ported to RFC 6455."""

import asyncio
import os
import socket

import pytest
from websockets.asyncio.client import connect

from standalone_ws import (
    PING,
    TEXT,
    StandaloneServer,
    accept_key,
    draft76_response,
    frame,
    read_frame,
)


def masked(opcode: int, payload: bytes) -> bytes:
    mask = os.urandom(4)
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    n = len(payload)
    if n < 126:
        length = bytes([0x80 | n])
    elif n < 65536:
        length = bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        length = bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return bytes([0x80 | opcode]) + length + mask + data


def test_accept_key_matches_rfc_6455s_example():
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_draft_76_challenge_matches_the_drafts_example():
    key1 = "18x 6]8vM;54 *(5:  {   U1]8  z [  8"
    key2 = "1_ tx7X d  <  nw  334J702) 7]o}` 0"
    assert draft76_response(key1, key2, b"Tm[K T2u") == b"fQJ,fN/4F4!~K~MH"


@pytest.mark.parametrize("size", [0, 125, 126, 65535, 65536])
def test_masked_frames_of_every_length_are_read(size):
    payload = os.urandom(size)
    opcode, got, rest = read_frame(masked(TEXT, payload) + b"next")
    assert (opcode, got, rest) == (TEXT, payload, b"next")


def test_a_partial_frame_waits_for_more_and_an_unmasked_one_is_refused():
    assert read_frame(masked(PING, b"ping")[:5]) is None
    with pytest.raises(ValueError, match="masked"):
        read_frame(frame(TEXT, b"servers do not mask; clients must"))


def test_a_websockets_client_talks_to_it():
    async def scenario(port):
        async with (
            connect(f"ws://127.0.0.1:{port}/") as first,
            connect(f"ws://127.0.0.1:{port}/") as second,
        ):
            await first.send("é" * 200)
            assert await first.recv() == "é" * 200
            assert await second.recv() == "é" * 200
            assert await asyncio.wait_for(await first.ping(b"x"), 5) >= 0
        assert first.close_code == 1000

    server = StandaloneServer().start()
    try:
        asyncio.run(asyncio.wait_for(scenario(server.port), 20))
    finally:
        server.stop()


def test_a_request_that_is_not_a_websocket_upgrade_gets_400():
    server = StandaloneServer().start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert client.recv(100).startswith(b"HTTP/1.1 400")
    finally:
        server.stop()
