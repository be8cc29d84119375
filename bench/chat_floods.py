"""What a flood of new connections costs a chat process, whatever it answers.

One chat process (``python -m chatroom``, its default limits) and one client
process on the same machine, on loopback. For each kind of flood, the client
opens connections one after another for ``--seconds`` and the chat process's
CPU (user + system, from ``/proc``) is read before and after:

- ``health``: each asks ``GET /health`` and reads the answer;
- ``handshake``: each sends a WebSocket opening handshake and reads the
  answer (past the connect window, most are refused with HTTP 429).

Reported: connections a second, the process's CPU as a share of one core,
its CPU per connection, and what the connections were answered. The
figures replace the "## New connections against the chat" section of
``bench/RESULTS.md``; the README's advice (limit new connections before
the chat) rests on them.

    uv run --locked --group bench python bench/chat_floods.py [--seconds S]
"""

import argparse
import multiprocessing
import os
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from _results import command_line, machine_lines, write_section
from chat_load import cpu_seconds
from chatroom.local_redis import free_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## New connections against the chat"
KINDS = ("health", "handshake")
HANDSHAKE = (
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
)
RESET = struct.pack("ii", 1, 0)  # SO_LINGER on, 0 s: close with a reset


def answer(sock: socket.socket) -> str:
    """The status code of an HTTP answer, or what happened instead."""
    try:
        data = sock.recv(4096)
    except OSError as error:
        return type(error).__name__
    return data[9:12].decode() if data.startswith(b"HTTP/") else "closed"


def flood(kind: str, port: int, seconds: float, results) -> None:
    """One client opening connections of ``kind`` for ``seconds``."""
    outcomes: Counter[str] = Counter()
    own = time.process_time()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock = socket.create_connection(("127.0.0.1", port))
        try:
            if kind == "health":
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                outcomes[answer(sock)] += 1
            else:
                sock.sendall(HANDSHAKE)
                outcomes[answer(sock)] += 1
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
        except OSError as error:
            outcomes[type(error).__name__] += 1
        finally:
            sock.close()
    results.send((dict(outcomes), time.process_time() - own))


class Chat:
    """One chat process with its default limits, on a free port."""

    def __init__(self):
        self.port = free_port()
        command = [sys.executable, "-m", "chatroom", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--quiet"]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline()
        if "Chat on" not in line:
            self.stop()
            raise RuntimeError(f"the chat did not start: {line!r}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def measure(kind: str, seconds: float) -> dict:
    """A fresh chat process, one flood of ``kind`` against it."""
    chat = Chat()
    try:
        time.sleep(1.0)  # (its start-up's CPU is not the flood's)
        ours, theirs = multiprocessing.Pipe()
        client = multiprocessing.Process(
            target=flood, args=(kind, chat.port, seconds, theirs)
        )
        before, started = cpu_seconds(chat.process.pid), time.monotonic()
        client.start()
        outcomes, client_cpu = ours.recv()
        client.join()
        elapsed = time.monotonic() - started
        time.sleep(0.5)  # (what it still had to read, counted)
        server_cpu = cpu_seconds(chat.process.pid) - before
        if chat.process.poll() is not None:
            raise RuntimeError(f"the chat exited ({chat.process.returncode})")
    finally:
        chat.stop()
    count = sum(outcomes.values())
    return {
        "kind": kind,
        "connections": count,
        "per_second": count / elapsed,
        "busy": server_cpu / elapsed,
        "ms_each": 1000 * server_cpu / count,
        "client_busy": client_cpu / elapsed,
        "outcomes": outcomes,
    }


def report(rows: list[dict], command: str) -> str:
    lines = [
        SECTION,
        "",
        *machine_lines(("websockets",)),
        "",
        f"`{command}`: one chat "
        "process with its default limits (`python -m chatroom --quiet`: no "
        "log line a connection, the room in memory, no Redis) and one client "
        "process, on loopback; "
        "for each kind of flood a fresh chat process, and the client opening "
        "connections one after another (`GET /health`; a WebSocket opening "
        "handshake, then a reset). The chat process's CPU is read from "
        "`/proc` before and after (including half a second after the last "
        "connection). The client shares the machine's cores.",
        "",
        "| flood | connections/s | chat CPU (share of a core) | chat CPU per "
        "connection (ms) | client CPU (share of a core) | answers |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        answers = ", ".join(
            f"{name} {count:,}" for name, count in sorted(row["outcomes"].items())
        )
        lines.append(
            f"| {row['kind']} | {row['per_second']:,.0f} | {row['busy']:.0%} | "
            f"{row['ms_each']:.2f} | {row['client_busy']:.0%} | {answers} |"
        )
    cheapest = min(row["ms_each"] for row in rows)
    dearest = max(row["ms_each"] for row in rows)
    by_kind = {row["kind"]: row for row in rows}
    health, handshake = by_kind["health"], by_kind["handshake"]
    refused = handshake["outcomes"].get("429", 0) / handshake["connections"]
    share = handshake["ms_each"] / health["ms_each"]
    spared = (
        "the refusal spares the chat process little of a connection's CPU"
        if share >= 0.75
        else f"a refused handshake costs {share:.0%} of that"
    )
    lines += [
        "",
        f"Every connection costs the chat process {cheapest:.2f} to "
        f"{dearest:.2f} ms of CPU, and one client kept it "
        f"{min(r['busy'] for r in rows):.0%} to "
        f"{max(r['busy'] for r in rows):.0%} busy. In the handshake flood "
        f"{refused:.1%} of the connections were refused (the connect window's "
        f"429), at {handshake['ms_each']:.2f} ms of CPU each against "
        f"{health['ms_each']:.2f} ms for a `/health` answer: {spared}. Limit "
        'new connections per address before the chat (README, "The live chat").',
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--results", type=Path, default=RESULTS)
    options = parser.parse_args()
    rows = []
    for kind in KINDS:
        rows.append(measure(kind, options.seconds))
        row = rows[-1]
        print(
            f"{kind}: {row['per_second']:,.0f}/s, chat {row['busy']:.0%} busy, "
            f"{row['ms_each']:.2f} ms each, {row['outcomes']}",
            flush=True,
        )
    text = report(rows, command_line(parser, options))
    write_section(options.results, SECTION, text)
    print(text)
    print(f"written to {options.results}")


if __name__ == "__main__":
    main()
