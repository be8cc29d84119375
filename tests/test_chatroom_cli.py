"""``python -m chatroom``: the chat server as its own process."""

import asyncio
import contextlib
import json
import re
import signal
import subprocess
import sys
import time

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidMessage, InvalidStatus

from chat_clients import chatroom_run


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


def test_too_few_open_files_for_the_caps_stops_it_with_the_reason():
    import resource

    def few_files():
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    result = chatroom_run(preexec_fn=few_files)
    assert result.returncode == 2
    assert "only 256 open files are allowed (ulimit -n)" in result.stderr
    assert "2000 connections and 200 handshakes need 2264" in result.stderr


def test_a_thousand_idle_connections_on_a_small_descriptor_limit_break_nothing():
    import resource
    import socket

    def few_files():
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    process = subprocess.Popen(
        [sys.executable, "-m", "chatroom", "--host", "127.0.0.1", "--port", "0"]
        + ["--max-connections", "700", "--max-pending", "200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=few_files,
    )
    port = int(re.search(r":(\d+)/", process.stdout.readline())[1])
    idle = []
    try:
        for _ in range(1100):
            with contextlib.suppress(ConnectionResetError):  # refused: fine
                idle.append(socket.create_connection(("127.0.0.1", port)))

        async def join():
            # until the server has seen the idle ones go (a deadline, not a
            # count of tries: a slow machine takes longer to close 1,100)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    async with connect(f"ws://127.0.0.1:{port}/") as client:
                        await client.send(json.dumps({"type": "join", "nick": "ada"}))
                        return json.loads(await client.recv())["type"]
                except (OSError, InvalidMessage):
                    await asyncio.sleep(0.1)

        for sock in idle:
            sock.close()
        assert asyncio.run(join()) == "welcome"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        for sock in idle:
            sock.close()
        process.kill()
        process.wait()
    log = process.stderr.read()
    assert "Traceback" not in log and "out of system resource" not in log
    refused = [json.loads(line) for line in log.splitlines() if '"refused"' in line]
    # ten may wait from one address; the rest were closed at once
    rules = [e["rules"] for e in refused]
    assert sum(r.get("pending-handshakes-per-address", 0) for r in rules) >= 900


def test_a_trusted_proxy_that_is_no_address_is_refused_where_it_is_given():
    result = chatroom_run("--trusted-proxy", "proxy")
    assert result.returncode == 2
    assert "argument --trusted-proxy: 'proxy': expected an address" in result.stderr
    assert "Traceback" not in result.stderr
