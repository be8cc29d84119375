"""A chat server on an ephemeral port in the test's own event loop, and
real websockets clients of it: what the chat server's tests share."""

import asyncio
import json
import logging
import subprocess
import sys
from contextlib import asynccontextmanager, contextmanager

from websockets.asyncio.client import connect

from chatroom import ChatServer, Settings


@asynccontextmanager
async def chat(**options):
    server = ChatServer(Settings(host="127.0.0.1", port=0, **options))
    await server.start()
    try:
        yield server
    finally:
        if server.server.is_serving():
            await server.shutdown()


def url(server) -> str:
    return f"ws://127.0.0.1:{server.port}/"


async def receive(client, kind: str, seconds: float = 5.0) -> dict:
    """The next message of ``kind`` (others are skipped)."""
    async with asyncio.timeout(seconds):
        while True:
            message = json.loads(await client.recv())
            if message["type"] == kind:
                return message


async def joined(server, nick: str, **options):
    client = await connect(url(server), **options)
    await client.send(json.dumps({"type": "join", "nick": nick}))
    welcome = await receive(client, "welcome")
    return client, welcome


# A WebSocket opening handshake's request, but for its closing blank line.
HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
)


def masked_text_frame(text: str) -> bytes:
    """A client's text frame (clients mask what they send), short payloads."""
    payload, mask = text.encode(), b"\x01\x02\x03\x04"
    masked = bytes(byte ^ mask[i % 4] for i, byte in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def run(scenario):
    asyncio.run(asyncio.wait_for(scenario(), 30))


def chatroom_run(*arguments: str, **options) -> subprocess.CompletedProcess:
    """``python -m chatroom --port 0 *arguments`` run to its end (one that
    stops at start-up), its output captured as text; ``options`` go to
    ``subprocess.run`` (``env``, ``preexec_fn``)."""
    return subprocess.run(
        [sys.executable, "-m", "chatroom", "--port", "0", *arguments],
        capture_output=True,
        text=True,
        timeout=30,
        **options,
    )


@contextmanager
def every_line_logged():
    """The chat server's log without another library's filters. Importing
    Pelican (as other tests' modules do) makes every logger created after it
    Pelican's ``LimitLogger``, which drops a message it has seen once in the
    process: the suite's full runs lost a test's ``connect`` and ``join``
    lines, word for word those of earlier tests. (``python -m chatroom``
    and ``invoke demo`` never import Pelican.)"""
    chat_logger = logging.getLogger("chatroom")
    filters = list(chat_logger.filters)
    for found in filters:
        chat_logger.removeFilter(found)
    try:
        yield
    finally:
        for found in filters:
            chat_logger.addFilter(found)
