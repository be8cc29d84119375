"""Load on the chat server from a separate process, over loopback.

The server (``python -m chatroom``) runs in its own process; this script
connects 1,000 clients that all join, then has some of them send messages
at a fixed aggregate rate (each sender within the server's limit of 10
messages in 5 s) for a fixed time, every message delivered to all 1,000.
The clients speak WebSocket through a lean protocol class of their own, so
that the generator costs less than the server it loads. It measures the
delivery latency (send to receive, same clock), counts
what was lost, the server's CPU and its memory per connection. Rates rise
until the 99th percentile passes 100 ms or this one process cannot send any
faster (then it, not the server, is the limit), then twice halve the gap
between the last rate that held and the first that did not. Bounded: 1,000
clients, 10 s a rate, at most nine rates.

Targets: all 1,000 held, nothing lost, p99 <= 100 ms at 20 messages/s
(20,000 deliveries/s). The figures replace the "## Chat server under load"
section of ``bench/RESULTS.md``.

    uv run python bench/chat_load.py [--clients N] [--seconds S]
"""

import argparse
import asyncio
import base64
import json
import math
import os
import resource
import subprocess
import sys
import time
from array import array
from pathlib import Path

from _results import machine_lines, write_section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Chat server under load"
RATES = (20, 40, 80, 160, 320, 640, 1000)
TARGET_MS = 100.0
NARROWING = 2  # rates tried between the last that held and the first that broke


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class LeanClient(asyncio.Protocol):
    """A WebSocket client that does only what the load needs, cheaply: the
    opening handshake, masked text frames out, pongs, and for each frame in
    the send time read straight from its bytes (no JSON, no library queues),
    so that the load generator is the lighter side of the measurement."""

    def __init__(self, crowd: "Crowd"):
        loop = asyncio.get_running_loop()
        self.crowd = crowd
        self.buffer = bytearray()
        self.upgraded = loop.create_future()
        self.welcomed = loop.create_future()
        self.closed = False
        self.transport = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        key = base64.b64encode(os.urandom(16)).decode()
        host, port = transport.get_extra_info("peername")[:2]
        transport.write(
            f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode()
        )

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded.done():
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[: self.buffer.find(b"\r\n")])
            del self.buffer[: end + 4]
            if b" 101 " not in status:
                self.upgraded.set_exception(ConnectionError(status.decode()))
                return
            self.upgraded.set_result(None)
        self.read_frames()

    def read_frames(self) -> None:
        buffer, position, size = self.buffer, 0, len(self.buffer)
        while size - position >= 2:
            opcode, length, head = buffer[position] & 0x0F, buffer[position + 1], 2
            if length == 126:
                if size - position < 4:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 4]), 4
            elif length == 127:
                if size - position < 10:
                    break
                length, head = int.from_bytes(buffer[position + 2 : position + 10]), 10
            if size - position < head + length:
                break
            start = position + head
            self.frame(opcode, bytes(buffer[start : start + length]))
            position = start + length
        del buffer[:position]

    def frame(self, opcode: int, payload: bytes) -> None:
        if opcode == 0x1 and payload.startswith(b'{"type":"message"'):
            start = payload.index(b'"text":"') + 8
            sent = float(payload[start : payload.index(b'"', start)])
            self.crowd.delivered(time.perf_counter() - sent)
        elif opcode == 0x1 and payload.startswith(b'{"type":"welcome"'):
            self.welcomed.set_result(None)
        elif opcode == 0x9:
            self.send(payload, opcode=0xA)  # a pong for the server's ping
        elif opcode == 0x8:
            self.closed = True

    def send(self, payload: bytes, opcode: int = 0x1) -> None:
        """A client's frame: masked, as RFC 6455 requires (short payloads)."""
        mask, length = os.urandom(4), len(payload)
        size = bytes([0x80 | length]) if length < 126 else b"\xfe" + length.to_bytes(2)
        key = int.from_bytes((mask * (length // 4 + 1))[:length])
        masked = (int.from_bytes(payload) ^ key).to_bytes(length)
        self.transport.write(bytes([0x80 | opcode]) + size + mask + masked)

    def connection_lost(self, error) -> None:
        self.closed = True


class Crowd:
    def __init__(self, port: int, size: int, server_pid: int):
        self.port, self.size, self.server_pid = port, size, server_pid
        self.clients: list[LeanClient] = []
        self.latencies = array("d")
        self.received = 0

    def delivered(self, latency: float) -> None:
        self.latencies.append(latency)
        self.received += 1

    async def join(self) -> None:
        loop = asyncio.get_running_loop()

        async def one(n):
            _, client = await loop.create_connection(
                lambda: LeanClient(self), "127.0.0.1", self.port
            )
            await client.upgraded
            client.send(json.dumps({"type": "join", "nick": f"reader{n}"}).encode())
            await client.welcomed
            return client

        for start in range(0, self.size, 100):  # in waves, as readers arrive
            self.clients += await asyncio.gather(
                *(one(n) for n in range(start, min(start + 100, self.size)))
            )

    async def load(self, rate: int, seconds: float) -> dict:
        """``rate`` messages/s in all for ``seconds``, each sender at 1/s."""
        self.latencies, self.received = array("d"), 0
        senders = self.clients[:rate]
        total = int(rate * seconds)
        cpu_before = cpu_seconds(self.server_pid)
        start = time.perf_counter()
        for n in range(total):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            text = repr(time.perf_counter())
            senders[n % rate].send(f'{{"type":"say","text":"{text}"}}'.encode())
        sending = time.perf_counter() - start
        expected = total * len(self.clients)
        deadline = time.perf_counter() + 10
        while self.received < expected and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        busy = cpu_seconds(self.server_pid) - cpu_before
        elapsed = time.perf_counter() - start
        ordered = sorted(self.latencies)
        return {
            "rate": rate,
            "sent": total,
            "expected": expected,
            "received": self.received,
            "p50": 1000 * ordered[len(ordered) // 2] if ordered else math.inf,
            "p99": 1000 * ordered[int(len(ordered) * 0.99)] if ordered else math.inf,
            "achieved": total / sending,  # the rate really sent
            "server_cpu": busy / elapsed,  # of one core
        }


async def measure(port: int, server_pid: int, clients: int, seconds: float) -> dict:
    before = rss_kib(server_pid)
    crowd = Crowd(port, clients, server_pid)
    started = time.perf_counter()
    await crowd.join()
    joined_in = time.perf_counter() - started
    await asyncio.sleep(1)
    per_connection = (rss_kib(server_pid) - before) / clients
    steps, held_up, broke = [], None, None
    for rate in RATES:
        if rate > clients:
            break
        steps.append(await crowd.load(rate, seconds))
        if not sustained(steps[-1]):
            broke = rate
            break
        held_up = rate
        await asyncio.sleep(2)
    for _ in range(NARROWING):  # halve the gap between what held and what broke
        if held_up is None or broke is None or broke - held_up <= 10:
            break
        await asyncio.sleep(5)  # the backlog of the rate that broke drains
        rate = (held_up + broke) // 2
        steps.append(await crowd.load(rate, seconds))
        held_up, broke = (rate, broke) if sustained(steps[-1]) else (held_up, rate)
    steps.sort(key=lambda step: step["rate"])
    held = sum(1 for c in crowd.clients if not c.closed)
    for client in crowd.clients:
        client.transport.close()
    return {
        "steps": steps,
        "held": held,
        "per_connection_kib": per_connection,
        "joined_in": joined_in,
    }


def sustained(step: dict) -> bool:
    """Held: p99 within the target, nothing lost, sent at the rate asked."""
    return (
        step["p99"] <= TARGET_MS
        and step["received"] == step["expected"]
        and step["achieved"] >= 0.9 * step["rate"]
    )


def why_stopped(steps: list[dict]) -> str:
    last = next((step for step in steps if not sustained(step)), steps[-1])
    if last["p99"] > TARGET_MS:
        return f"At {last['achieved']:.0f} messages/s the p99 was {last['p99']:.0f} ms."
    if last["achieved"] < 0.9 * last["rate"]:
        return (
            f"Asked for {last['rate']}, this one load generator sent only "
            f"{last['achieved']:.0f}/s, with the server at "
            f"{100 * last['server_cpu']:.0f}% of a core: the limit found is the "
            "generator's, so the server's own is at least this."
        )
    return "The highest rate tried."


def report(result: dict, clients: int, seconds: float) -> str:
    first = result["steps"][0]
    held_up = [s["achieved"] for s in result["steps"] if sustained(s)]
    met = (
        result["held"] == clients
        and first["received"] == first["expected"]
        and first["p99"] <= TARGET_MS
    )
    lines = [
        SECTION,
        "",
        *machine_lines(("websockets",)),
        "",
        f"`uv run python bench/chat_load.py`: the chat server in its own process; "
        f"{clients:,} clients from this one, on loopback, all joined (in "
        f"{result['joined_in']:.1f} s); messages from 1 message/s senders at each "
        f"aggregate rate for {seconds:g} s, every message to all {clients:,}.",
        "",
        "| messages/s asked | sent | deliveries/s | delivered | p50 (ms) | p99 (ms) "
        "| server CPU |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in result["steps"]:
        lines.append(
            f"| {s['rate']} | {s['achieved']:.0f}/s | {s['achieved'] * clients:,.0f} "
            f"| {s['received']:,} of "
            f"{s['expected']:,} | {s['p50']:.1f} | {s['p99']:.1f} "
            f"| {100 * s['server_cpu']:.0f}% |"
        )
    lines += [
        "",
        f"Held: {result['held']:,} of {clients:,} connections to the end. Server "
        f"memory: {result['per_connection_kib']:.1f} KiB per connection (RSS).",
        f"Highest rate sustained with p99 <= {TARGET_MS:g} ms and nothing lost: "
        + (
            f"{max(held_up):.0f} messages/s ({max(held_up) * clients:,.0f} "
            f"deliveries/s). {why_stopped(result['steps'])}"
            if held_up
            else "none."
        ),
        f"Target (all held, nothing lost, p99 <= {TARGET_MS:g} ms at 20 messages/s): "
        + ("**met**." if met else "**not met**."),
        "",
        "The clients are a lean WebSocket client of this script's (handshake, "
        "masked frames out, frames in parsed by hand, the send time read from "
        "the bytes), so that the generator stays the lighter side; it still "
        "shares the 2-core machine with the server, and its own lag is part of "
        "the latency measured.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, args.clients + 200), hard))
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "chatroom",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--per-address",
            str(args.clients + 10),
            "--max-connections",
            str(args.clients + 10),
            "--quiet",
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Chat on" in server.stdout.readline()
        result = asyncio.run(measure(port, server.pid, args.clients, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = report(result, args.clients, args.seconds)
    write_section(args.results, SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
