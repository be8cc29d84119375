"""Load on the chat server from a separate process, over loopback.

The server (``python -m chatroom``) runs in its own process; this script
connects 1,000 clients that all join, then has some of them send messages
at a fixed aggregate rate (each sender within the server's limit of 10
messages in 5 s) for a fixed time, every message delivered to all 1,000.
It measures the delivery latency (send to receive, same clock), counts
what was lost, the server's CPU and its memory per connection. Rates rise
until the 99th percentile passes 100 ms or this one process cannot send any
faster (then it, not the server, is the limit). Bounded: 1,000 clients, 10 s
a rate, at most seven rates.

Targets: all 1,000 held, nothing lost, p99 <= 100 ms at 20 messages/s
(20,000 deliveries/s). The figures replace the "## Chat server under load"
section of ``bench/RESULTS.md``.

    uv run python bench/chat_load.py [--clients N] [--seconds S]
"""

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from _results import machine_lines, write_section
from websockets.asyncio.client import connect

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Chat server under load"
RATES = (20, 40, 80, 160, 320, 640, 1000)
TARGET_MS = 100.0


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


class Crowd:
    def __init__(self, url: str, size: int, server_pid: int):
        self.url, self.size, self.server_pid = url, size, server_pid
        self.clients = []
        self.latencies: list[float] = []
        self.received = 0
        self.readers = []

    async def join(self) -> None:
        async def one(n):
            client = await connect(self.url, max_queue=None, ping_interval=None)
            await client.send(json.dumps({"type": "join", "nick": f"reader{n}"}))
            while json.loads(await client.recv())["type"] != "welcome":
                pass
            return client

        for start in range(0, self.size, 100):  # in waves, as readers arrive
            self.clients += await asyncio.gather(
                *(one(n) for n in range(start, min(start + 100, self.size)))
            )
        self.readers = [asyncio.create_task(self.read(c)) for c in self.clients]

    async def read(self, client) -> None:
        async for raw in client:
            message = json.loads(raw)
            if message["type"] == "message":
                self.latencies.append(time.perf_counter() - float(message["text"]))
                self.received += 1

    async def load(self, rate: int, seconds: float) -> dict:
        """``rate`` messages/s in all for ``seconds``, each sender at 1/s."""
        self.latencies, self.received = [], 0
        senders = self.clients[:rate]
        total = int(rate * seconds)
        cpu_before = cpu_seconds(self.server_pid)
        start = time.perf_counter()
        for n in range(total):
            due = start + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await senders[n % rate].send(
                json.dumps({"type": "say", "text": repr(time.perf_counter())})
            )
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
    crowd = Crowd(f"ws://127.0.0.1:{port}/", clients, server_pid)
    started = time.perf_counter()
    await crowd.join()
    joined_in = time.perf_counter() - started
    await asyncio.sleep(1)
    per_connection = (rss_kib(server_pid) - before) / clients
    steps = []
    for rate in RATES:
        if rate > clients:
            break
        step = await crowd.load(rate, seconds)
        steps.append(step)
        if step["p99"] > TARGET_MS or step["achieved"] < 0.9 * rate:
            break  # past the target, or this process is the bottleneck
        await asyncio.sleep(2)
    held = sum(1 for c in crowd.clients if c.close_code is None)
    for client in crowd.clients:
        await client.close()
    return {
        "steps": steps,
        "held": held,
        "per_connection_kib": per_connection,
        "joined_in": joined_in,
    }


def why_stopped(last: dict) -> str:
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
    sustained = [
        s["achieved"]
        for s in result["steps"]
        if s["p99"] <= TARGET_MS and s["received"] == s["expected"]
    ]
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
            f"{max(sustained):.0f} messages/s ({max(sustained) * clients:,.0f} "
            f"deliveries/s). {why_stopped(result['steps'][-1])}"
            if sustained
            else "none."
        ),
        f"Target (all held, nothing lost, p99 <= {TARGET_MS:g} ms at 20 messages/s): "
        + ("**met**." if met else "**not met**."),
        "",
        "The load generator shares the 2-core machine with the server and decodes "
        "every delivery in Python; its own lag is part of the latency measured.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=10)
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
    write_section(RESULTS, SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
