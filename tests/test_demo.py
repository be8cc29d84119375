"""`invoke demo`: the blog and its chat served together; Ctrl-C stops both."""

import asyncio
import json
import signal
import subprocess
import sys
import time
import urllib.request

from chat_fixtures import free_port
from conftest import ROOT
from websockets.asyncio.client import connect


def test_demo_serves_the_blog_and_the_chat_and_stops_cleanly(tmp_path):
    port, chat_port = free_port(), free_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "invoke",
            "demo",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--chat-port",
            str(chat_port),
            "--output",
            str(tmp_path / "o"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 300
        while not any("Ctrl-C stops both" in line for line in lines):
            assert time.monotonic() < deadline and demo.poll() is None, "".join(lines)
            lines.append(demo.stdout.readline())
        output = "".join(lines)
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
