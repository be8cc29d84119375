"""``python -m chatroom``: the chat server as its own process."""

import asyncio
import json
import re
import signal
import subprocess
import sys

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus


def start(*options: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "chatroom", "--host", "127.0.0.1", "--port", "0"]
        + list(options),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = process.stdout.readline()
    found = re.match(r"Chat on ws://127\.0\.0\.1:(\d+)/ \(Ctrl-C stops\)", first)
    assert found, first + process.stderr.read()
    return process, int(found[1])


def test_the_limits_given_on_the_command_line_apply_and_ctrl_c_stops_it_cleanly():
    process, port = start("--max-connections", "1", "--origin", "https://blog.test")
    url = f"ws://127.0.0.1:{port}/"

    async def scenario():
        async with connect(url, origin="https://blog.test") as client:
            await client.send(json.dumps({"type": "join", "nick": "ada"}))
            assert json.loads(await client.recv())["type"] == "welcome"
            with pytest.raises(InvalidStatus) as refused:
                await connect(url)
            assert refused.value.response.status_code == 503
            process.send_signal(signal.SIGINT)
            goodbye = json.loads(await asyncio.wait_for(client.recv(), 10))
            assert goodbye["type"] == "shutdown"
            await asyncio.wait_for(client.wait_closed(), 10)
            assert client.close_code == 1001

    try:
        asyncio.run(scenario())
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
    log = [json.loads(line) for line in process.stderr.read().splitlines()]
    refusals = [event for event in log if event["event"] == "refused"]
    assert [(e["rules"], e["addresses"]) for e in refusals] == [
        ({"connections": 1}, {"127.0.0.1": 1})
    ]
    assert "shutdown" in [event["event"] for event in log]


def test_quiet_logs_no_line_per_connection():
    process, port = start("--quiet")

    async def scenario():
        async with connect(f"ws://127.0.0.1:{port}/") as client:
            await client.send(json.dumps({"type": "join", "nick": "ada"}))
            assert json.loads(await client.recv())["type"] == "welcome"

    try:
        asyncio.run(scenario())
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()
    assert process.stderr.read() == ""
