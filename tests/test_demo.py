"""`invoke demo`: the blog and its chat served together; Ctrl-C stops both,
or, with ``--chat-processes``, every chat process and their redis-server."""

import asyncio
import json
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from websockets.asyncio.client import connect

from chat_fixtures import free_port
from helpers import CONTENT, ROOT, invoke_command, write_site
from redis_fixtures import require_redis


def start_demo(tmp_path, *options: str, ready: str):
    """The demo of a small site: a post, and the blog's chat page."""
    content = write_site(tmp_path, {"post": "Text.\n"})
    (content / "pages").mkdir()
    shutil.copy(CONTENT / "pages" / "chat.md", content / "pages")
    port, chat_port = free_port(), free_port()
    demo = subprocess.Popen(
        invoke_command("demo", "--host", "127.0.0.1",
         "--port", str(port), "--chat-port", str(chat_port),
         "--output", str(tmp_path / "o"), "--content", str(content), *options),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    lines = []
    deadline = time.monotonic() + 300
    while not any(ready in line for line in lines):
        assert time.monotonic() < deadline and demo.poll() is None, "".join(lines)
        lines.append(demo.stdout.readline())
    return demo, port, chat_port, "".join(lines)


def test_demo_serves_the_blog_and_the_chat_and_stops_cleanly(tmp_path):
    demo, port, chat_port, output = start_demo(tmp_path, ready="Ctrl-C stops both")
    try:
        assert f"Blog: http://127.0.0.1:{port}/" in output
        assert f"Chat: ws://127.0.0.1:{chat_port}/" in output
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/chat/").read().decode()
        assert f'data-chat-url="ws://127.0.0.1:{chat_port}/"' in page

        async def talk_then_stop():
            origin = f"http://127.0.0.1:{port}"
            async with connect(f"ws://127.0.0.1:{chat_port}/", origin=origin) as client:
                await client.send(json.dumps({"type": "join", "nick": "ada"}))
                assert json.loads(await client.recv())["type"] == "welcome"
                demo.send_signal(signal.SIGINT)
                goodbye = json.loads(await asyncio.wait_for(client.recv(), 10))
                assert goodbye["type"] == "shutdown"

        asyncio.run(talk_then_stop())
        assert demo.wait(timeout=20) == 0
        assert "Stopped." in demo.stdout.read()
    finally:
        if demo.poll() is None:
            demo.kill()


def test_demo_with_two_chat_processes_shares_one_room_and_stops_them_all(tmp_path):
    require_redis()
    demo, port, chat_port, output = start_demo(
        tmp_path, "--chat-processes", "2", ready="Ctrl-C stops them all"
    )
    try:
        assert f"Chat: ws://127.0.0.1:{chat_port}/ (2 processes, one room" in output
        origin = f"http://127.0.0.1:{port}"
        url = f"ws://127.0.0.1:{chat_port}/"

        async def talk_then_stop():
            clients = [await connect(url, origin=origin) for _ in range(8)]
            for n, client in enumerate(clients):  # spread over both processes
                await client.send(json.dumps({"type": "join", "nick": f"reader{n}"}))
                welcome = json.loads(await client.recv())
                assert welcome["online"][-1] == f"reader{n}"
            await clients[0].send(json.dumps({"type": "say", "text": "to all"}))
            for client in clients:
                while (message := json.loads(await client.recv()))["type"] != "message":
                    pass
                assert message["text"] == "to all"
            demo.send_signal(signal.SIGINT)
            for client in clients:
                kinds = [json.loads(message)["type"] async for message in client]
                assert kinds[-1] == "shutdown"

        asyncio.run(talk_then_stop())
        assert demo.wait(timeout=30) == 0
        assert "Stopped." in demo.stdout.read()
    finally:
        if demo.poll() is None:
            demo.kill()
    redis_port = int(re.search(r"through Redis at redis://127.0.0.1:(\d+)/", output)[1])
    with pytest.raises(ConnectionRefusedError):  # its redis-server is gone too
        socket.create_connection(("127.0.0.1", redis_port), 2)
