"""Load on the chat server: one process, and two sharing a room through Redis.

Two setups in the same run, on loopback: (a) one chat process (``python -m
chatroom``, the room in memory), and (b) two chat processes on one port
(``--reuse-port``: the kernel spreads the connections over them) sharing the
room through a redis-server of the benchmark's own (``--redis``). For each:

1. 5,000 clients join (in waves of 200) and must all still be connected at
   the end, by their count and by the servers';
2. the highest broadcast rate (messages/s, each to all clients) with a p99
   delivery latency within 100 ms and nothing lost; and the capacity, the
   highest rate the servers keep up with (nothing lost, p99 within 500 ms),
   since with 5,000 clients one message's fan-out alone can take longer
   than 100 ms whatever the rate. Rates rise 1.5 times a step until the
   servers no longer keep up; then, for each criterion, the gap above the
   highest rate that met it is halved three times. Every delivery's latency
   is measured (not a sample): the sender puts ``time.perf_counter()`` in
   the text, the receiver reads it back from the frame's bytes (one clock,
   one machine) and counts it in 0.1 ms buckets;
3. the servers' CPU per 1,000 deliveries at one rate both setups sustain
   (half the one-process capacity unless ``--common-rate``), the median of
   three steps at that rate: the Redis setup may cost at most 25% more than
   one process (redis-server's CPU included; the chat processes' alone
   shown too);
4. two processes must reach at least 1.25 times the one-process rate (the
   100 ms rates; the capacities if one process holds no rate within 100 ms);
5. the servers' memory per connection (RSS growth / connections);
6. slow readers, on fresh servers: 100 clients join and then never read
   while 100 others send 1,000-character messages (of 4-byte characters,
   4 KB) at 100 messages/s for 30 s. The servers' RSS is sampled
   throughout and must stay under 200 MB; the server cuts off a client
   whose unsent data passes its limit (``--max-unsent``): how many of the
   100 it let go of, and when, is seen from its side (its connections),
   and the kernel memory queued for them, which RSS does not show, too.

The load generator shares the machine's cores with the servers, so it must
be the cheap side: each of its processes (``--workers``) holds its share of the
clients on one ``select.epoll`` with non-blocking sockets, reads with
``recv_into`` into one preallocated buffer, and parses the frames by hand
(no JSON, no asyncio): a message frame costs it a header, a ``find`` and a
``float``. It answers the server's pings, and joins again when the room is
"unavailable", as a reader would. Its own CPU is reported beside the
servers' (chat processes and redis-server each). The figures replace the
"## Chat server under load" section of ``bench/RESULTS.md``.

    uv run --locked --group bench python bench/chat_load.py [--clients N] [--seconds S]
"""

import argparse
import base64
import contextlib
import errno
import json
import math
import multiprocessing
import multiprocessing.connection
import os
import random
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from array import array
from bisect import bisect_left
from collections import Counter
from itertools import accumulate
from pathlib import Path

from _results import command_line, machine_lines, write_section
from chatroom.local_redis import LocalRedis, free_port
from chatroom.server import Settings

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Chat server under load"
# Aggregate deliveries/s tried (messages/s = this / clients), each 1.5 times
# the last: 4, 6, 9, 13.5, 20, 30, 45, 67.5, 101 messages/s for 5,000.
LADDER = (20_000, 30_000, 45_000, 67_500, 101_000, 152_000, 228_000, 342_000)
NARROWING = 3  # rates tried between the last that held and the first that broke,
# for each criterion (kept up, and p99 within the target)
TARGET_MS = 100.0
KEEP_UP_MS = 500.0  # the servers still keep up (capacity)
SCALING_TARGET = 1.25  # two processes' highest rate over one's, at least
OVERHEAD_TARGET = 1.25  # the Redis setup's CPU per delivery over one's, at most
WAVE = 200  # clients joining at once
JOIN_SECONDS = 60.0  # a wave that has not joined by then has failed
JOIN_RETRY = 1.0  # s, about, before a join refused as "unavailable" is sent again
DRAIN_SECONDS = 10.0  # after the last send, what has not arrived is lost
# Steps at the common rate, for the CPU per delivery (the median is compared):
# one step's CPU swings by a tenth or more on this machine.
COMMON_STEPS = 3
SLOW_READERS, SLOW_SENDERS, SLOW_RATE, SLOW_TEXT = 100, 100, 100, 1000
# 1,000 characters of 4 bytes in UTF-8 (within the server's 4 KiB a message):
# each slow reader is owed 400 KB/s, which fills the kernel's send buffer
# (up to net.ipv4.tcp_wmem's maximum) and then the server's own in seconds
PADDING = "\N{SPEECH BALLOON}"
SLOW_TARGET_MB = 200
BUCKETS = 100_000  # latencies in 0.1 ms buckets up to 10 s, and one beyond
STAMP = 17  # characters of the send time at the start of a message's text
READ_BUFFER = 1 << 18
PAUSE = 0.001  # s after a busy poll: fewer, fuller wakeups of the generator
CONNECTING, UPGRADING, JOINING, JOINED = range(4)
ESTABLISHED = 1  # the first byte of TCP_INFO, tcpi_state
CORES = len(os.sched_getaffinity(0))


# -- the processes measured ---------------------------------------------------


def cpu_split(pid: int) -> tuple[float, float]:
    """User and system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    return sum(cpu_split(pid))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def connections(pid: int, port: int) -> tuple[int, int, int]:
    """A process's established TCP connections: to its ``port`` (clients),
    and the others (to Redis), from its descriptors and /proc/net/tcp; and
    the bytes its clients' sockets hold in the kernel, sent but unacknowledged
    or not sent yet (memory that RSS does not show)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            link = os.readlink(fd)
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    clients = others = queued = 0
    for line in Path(f"/proc/{pid}/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[9] not in inodes:
            continue
        if int(fields[1].rsplit(":", 1)[1], 16) == port:
            queued += int(fields[4].split(":")[0], 16)  # tx_queue
            clients += fields[3] == "01"  # established
        else:
            others += fields[3] == "01"
    return clients, others, queued


def tcp_memory() -> tuple[int, int]:
    """The kernel's TCP memory on this machine (bytes; both ends of every
    connection), and how many sockets are orphaned (closed by their process,
    the kernel still trying to deliver what they were sent)."""
    for line in Path("/proc/net/sockstat").read_text().splitlines():
        if line.startswith("TCP:"):
            fields = line.split()[1:]
            values = dict(zip(fields[::2], map(int, fields[1::2]), strict=True))
            return values["mem"] * os.sysconf("SC_PAGE_SIZE"), values["orphan"]
    return 0, 0


class Redis(LocalRedis):
    """A redis-server of the benchmark's own: a free port, no persistence."""

    def __init__(self, directory: str):
        super().__init__(directory)
        version = subprocess.run([self.binary, "--version"], capture_output=True)
        self.version = version.stdout.decode().split("v=")[-1].split()[0]
        self.start()

    def flush(self) -> None:
        """A clean slate for the next setup: no nickname still claimed."""
        self.command(b"FLUSHALL")


class Servers:
    """The chat processes of one setup (all on one port), and its Redis."""

    def __init__(self, count: int, clients: int, logs: str, redis=None):
        self.port, self.redis, self.logs = free_port(), redis, []
        room = clients + SLOW_READERS + SLOW_SENDERS + 100
        self.command = [sys.executable, "-m", "chatroom", "--host", "127.0.0.1"]
        self.command += ["--port", str(self.port), "--quiet"]
        self.command += ["--per-address", str(room), "--max-connections", str(room)]
        # every client comes from 127.0.0.1: the caps per address are raised
        # with the rest (the per-connection message limit is kept)
        self.command += ["--address-messages", str(10**9), "--max-pending", str(room)]
        self.command += ["--pending-per-address", str(room)]
        self.command += ["--connects-per-address", str(room)]
        if redis:
            self.command += ["--reuse-port", "--redis", redis.url]
        self.processes = []
        try:
            for _ in range(count):
                self.processes.append(self.start(logs))
        except BaseException:
            self.stop()
            raise

    def start(self, logs: str) -> subprocess.Popen:
        self.logs.append(os.path.join(logs, f"chat{len(self.logs)}.log"))
        with open(self.logs[-1], "w") as log:
            process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        ready, _, _ = select.select([process.stdout], [], [], 60)
        line = process.stdout.readline() if ready else ""
        if "Chat on" not in line:
            process.kill()
            raise RuntimeError(f"the chat did not start ({line!r}): {self.errors()}")
        return process

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def check(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"a chat process exited ({process.returncode}): {self.errors()}"
                )

    def cpu(self) -> list[float]:
        return [cpu_seconds(pid) for pid in self.pids]

    def redis_cpu(self) -> float:
        return cpu_seconds(self.redis.process.pid) if self.redis else 0.0

    def rss(self) -> list[int]:
        return [rss_kib(pid) for pid in self.pids]

    def connections(self) -> list[tuple[int, int, int]]:
        """Each chat process's clients, its connections to Redis, and the
        bytes in its clients' kernel send queues."""
        return [connections(pid, self.port) for pid in self.pids]

    def errors(self) -> str:
        """What the chat processes wrote on stderr (nothing, with --quiet)."""
        lines = [
            line
            for log in self.logs
            for line in Path(log).read_text(errors="replace").splitlines()
        ]
        return f"{len(lines)} lines" + (
            f", the last: {lines[-1][:300]}" if lines else ""
        )

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# -- the load generator: processes of plain sockets on one epoll each ---------


class Client:
    __slots__ = ("sock", "fd", "nick", "slow", "state", "rest", "out", "closed")

    def __init__(self, sock: socket.socket, nick: str, slow: bool):
        self.sock, self.fd, self.nick, self.slow = sock, sock.fileno(), nick, slow
        self.state, self.rest, self.out = CONNECTING, b"", b""
        self.closed = False


def frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A client's frame: masked, as RFC 6455 requires (under 64 KiB)."""
    mask, length = os.urandom(4), len(payload)
    size = bytes([0x80 | length]) if length < 126 else b"\xfe" + length.to_bytes(2)
    key = int.from_bytes((mask * (length // 4 + 1))[:length])
    masked = (int.from_bytes(payload) ^ key).to_bytes(length)
    return bytes([0x80 | opcode]) + size + mask + masked


def opening(port: int) -> bytes:
    """A client's opening handshake (no Origin: not a browser)."""
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def join_message(nick: str) -> bytes:
    return json.dumps({"type": "join", "nick": nick}).encode()


def say(text_length: int) -> bytes:
    """A message whose text starts with the time it is sent, fixed width;
    padded to ``text_length`` characters with a 4-byte one, if asked."""
    text = f"{time.perf_counter():0{STAMP}.6f}"
    if text_length > STAMP:
        text += " " + PADDING * (text_length - STAMP - 1)
    return frame(b'{"type":"say","text":"' + text.encode() + b'"}')


def tcp_state(sock: socket.socket) -> int:
    """The socket's TCP state (1: established)."""
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


class Sending:
    """This process's share of a rate: messages ``index``, ``index + step``...
    of a schedule of ``total`` at ``interval`` from ``start``."""

    def __init__(self, start, interval, index, step, total, senders, text_length):
        self.start, self.interval, self.next, self.step = start, interval, index, step
        self.total, self.senders, self.text_length = total, senders, text_length
        self.sent = 0

    def due(self) -> float:
        return self.start + self.next * self.interval


class Crowd:
    """One load-generator process: its share of the clients on one epoll,
    driven by the benchmark through a pipe (join, load, drain, report)."""

    def __init__(self, port: int, pipe, index: int, workers: int, crowd: int):
        self.port, self.pipe, self.index, self.workers = port, pipe, index, workers
        self.crowd = crowd  # which crowd of the run: nicknames differ between them
        self.epoll = select.epoll()
        self.clients: dict[int, Client] = {}  # by descriptor, while open
        self.readers: list[Client] = []  # joined and reading
        self.slow: list[Client] = []  # joined, and never read again
        self.buffer = bytearray(READ_BUFFER)
        self.view = memoryview(self.buffer)
        self.serial = 0
        self.histogram = array("q", bytes(8 * (BUCKETS + 1)))
        self.received, self.floor, self.counted = 0, 0.0, 0
        self.errors: Counter[str] = Counter()  # error frames and lost clients
        self.pending = 0  # clients connecting or joining
        self.joining = self.sending = self.draining = None
        self.retries: list[tuple[float, Client]] = []  # joins to send again
        self.running = True

    # -- the loop

    def run(self) -> None:
        self.epoll.register(self.pipe.fileno(), select.EPOLLIN)
        readable = select.EPOLLIN | select.EPOLLERR | select.EPOLLHUP
        clients = self.clients
        while self.running:
            events = self.epoll.poll(self.timeout())
            for fd, happened in events:
                client = clients.get(fd)
                if client is None:
                    self.command(*self.pipe.recv())
                    continue
                if happened & readable:
                    self.read(client)
                if happened & select.EPOLLOUT and not client.closed:
                    self.writable(client)
            self.tick()
            if events and PAUSE:
                time.sleep(PAUSE)  # let more arrive: fewer, fuller wakeups

    def timeout(self) -> float:
        if self.sending:
            return max(0.0, self.sending.due() - time.perf_counter())
        return 0.05 if self.joining or self.draining else -1

    def tick(self) -> None:
        now = time.perf_counter()
        if self.sending:
            self.send_due(now)
        if self.retries and self.retries[0][0] <= now:
            due = [client for when, client in self.retries if when <= now]
            self.retries = [(w, c) for w, c in self.retries if w > now]
            for client in due:
                if client.state == JOINING and not client.closed:
                    self.write(client, frame(join_message(client.nick)))
        if self.joining and (self.pending == 0 or now > self.joining):
            for client in list(self.clients.values()):
                if client.state != JOINED:
                    self.lose(client, "join timed out")
            self.joining = None
            self.reply("joined", dict(self.errors))
        if self.draining and (
            self.received >= self.draining[0] or now > self.draining[1]
        ):
            expected, self.draining = self.draining[0], None
            self.reply(
                "drained", self.received, expected, self.histogram, dict(self.errors)
            )

    def reply(self, *message) -> None:
        self.pipe.send(message)

    def command(self, kind: str, *args) -> None:
        if kind == "join":
            self.join(*args)
        elif kind == "load":
            self.load(*args)
        elif kind == "drain":
            total, deadline = args
            self.draining = (total * self.counted, deadline)
        elif kind == "held":
            open_ = [c for c in self.readers if not c.closed]
            established = sum(tcp_state(c.sock) == ESTABLISHED for c in open_)
            self.reply("held", len(open_), established, dict(self.errors))
        elif kind == "slow":
            self.reply("slow", len(self.slow))
        elif kind == "close":
            for client in list(self.clients.values()):
                client.sock.close()
            self.running = False
            self.reply("closed")

    # -- joining

    def join(self, wave: int, slow: bool) -> None:
        """This process's share of a wave of ``wave`` clients."""
        count = wave // self.workers + (self.index < wave % self.workers)
        self.errors = Counter()
        self.joining = time.perf_counter() + JOIN_SECONDS
        for _ in range(count):
            self.serial += 1
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            kind = "slow" if slow else "reader"
            nick = f"{kind}{self.crowd}-{self.index}-{self.serial}"
            client = Client(sock, nick, slow)
            self.clients[client.fd] = client
            self.pending += 1
            error = sock.connect_ex(("127.0.0.1", self.port))
            if error not in (0, errno.EINPROGRESS):
                self.lose(client, f"connect: {errno.errorcode.get(error, error)}")
                continue
            self.epoll.register(client.fd, select.EPOLLOUT)
        if not self.pending:
            self.tick()

    def writable(self, client: Client) -> None:
        if client.state == CONNECTING:
            error = client.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if error:
                self.lose(client, f"connect: {errno.errorcode.get(error, error)}")
                return
            client.state = UPGRADING
            self.epoll.modify(client.fd, select.EPOLLIN)
            self.write(client, opening(self.port))
            return
        self.flush(client, watching=True)

    def write(self, client: Client, data: bytes) -> None:
        if client.out:  # behind what waits already, sent when writable
            client.out += data
            return
        client.out = data
        self.flush(client, watching=False)

    def flush(self, client: Client, watching: bool) -> None:
        """Send what waits; ask to hear when writable only while some is
        left (``watching``: whether we asked already)."""
        try:
            sent = client.sock.send(client.out)
        except BlockingIOError:
            sent = 0
        except OSError as error:
            self.lose(client, f"send: {type(error).__name__}")
            return
        client.out = client.out[sent:]
        if bool(client.out) != watching:
            events = select.EPOLLIN | (select.EPOLLOUT if client.out else 0)
            self.epoll.modify(client.fd, events)

    def lose(self, client: Client, why: str) -> None:
        if client.closed:
            return
        client.closed = True
        self.clients.pop(client.fd, None)
        with contextlib.suppress(OSError, ValueError):
            self.epoll.unregister(client.fd)  # unless never, or no longer, there
        client.sock.close()
        if client.state != JOINED:
            self.pending -= 1
        self.errors[why] += 1

    # -- reading: the hot path

    def read(self, client: Client) -> None:
        try:
            size = client.sock.recv_into(self.buffer)
        except BlockingIOError:
            return
        except OSError as error:
            self.lose(client, f"recv: {type(error).__name__}")
            return
        if not size:
            self.lose(client, "closed without a close frame")
            return
        now = time.perf_counter()
        if client.state == UPGRADING:
            data = client.rest + self.view[:size]
            head = data.find(b"\r\n\r\n")
            if head < 0:
                client.rest = data
                return
            status = data[: data.find(b"\r\n")].split()
            if len(status) < 2 or status[1] != b"101":
                self.lose(client, f"HTTP {b' '.join(status[1:]).decode()}")
                return
            data, client.rest, client.state = data[head + 4 :], b"", JOINING
            self.write(client, frame(join_message(client.nick)))
        elif client.rest:
            data = client.rest + self.view[:size]
        else:
            data = self.buffer
        end = len(data) if data is not self.buffer else size
        done = self.frames(client, data, end, now)
        client.rest = bytes(data[done:end]) if done < end else b""

    def frames(self, client: Client, data, end: int, now: float) -> int:
        """Read the whole frames in ``data[:end]``; where the rest starts.
        Server frames are unmasked: 7, 16 or 64-bit lengths."""
        position, histogram, floor, received = 0, self.histogram, self.floor, 0
        while end - position >= 2:
            first, length, start = data[position], data[position + 1], position + 2
            if length == 126:
                if end - position < 4:
                    break
                length = (data[position + 2] << 8) | data[position + 3]
                start += 2
            elif length == 127:
                if end - position < 10:
                    break
                length = int.from_bytes(data[position + 2 : position + 10])
                start += 8
            stop = start + length
            if stop > end:
                break
            position = stop
            if first == 0x81:
                kind = data[start + 9]  # {"type":"m...
                if kind == 109:  # a message: every delivery is counted
                    at = data.find(b'"text":"', start + 17, stop) + 8
                    sent = float(data[at : at + STAMP])
                    if sent >= floor:  # not left over from an earlier rate
                        late = int((now - sent) * 10000.0)
                        histogram[late if late < BUCKETS else BUCKETS] += 1
                        received += 1
                elif kind == 119 or kind == 101:  # welcome, error
                    self.notice(client, bytes(data[start:stop]))
                # presence and the rest: nothing to do
            elif first & 0x0F == 0x9:  # a ping: the pong echoes it
                self.write(client, frame(bytes(data[start:stop]), 0xA))
            elif first & 0x0F == 0x8:
                code = int.from_bytes(data[start : start + 2]) if length >= 2 else 1005
                self.lose(client, f"close frame {code}")
                break
        self.received += received
        return position

    def notice(self, client: Client, payload: bytes) -> None:
        if payload.startswith(b'{"type":"welcome"') and client.state == JOINING:
            client.state = JOINED
            self.pending -= 1
            if client.slow:
                self.epoll.unregister(client.fd)  # and never reads again
                self.slow.append(client)
            else:
                self.readers.append(client)
        elif payload.startswith(b'{"type":"error"'):
            code = json.loads(payload).get("code")
            self.errors[f"error {code}"] += 1
            if code == "unavailable" and client.state == JOINING:
                # as a reader would: try again shortly, on the same connection
                when = time.perf_counter() + JOIN_RETRY * (0.5 + random.random())
                self.retries.append((when, client))
                self.retries.sort(key=lambda retry: retry[0])

    # -- sending

    def load(self, rate: float, seconds: float, start: float, text_length: int):
        """This process's share of ``rate`` messages/s for ``seconds``, from
        as many of its clients as keep each at 1 message/s at most."""
        readers = [c for c in self.readers if not c.closed]
        self.histogram = array("q", bytes(8 * (BUCKETS + 1)))
        self.received, self.floor, self.counted = 0, start, len(readers)
        self.errors = Counter()
        senders = readers[: max(1, math.ceil(rate / self.workers))]
        total = int(rate * seconds) if senders else 0
        self.sending = Sending(
            start, 1 / rate, self.index, self.workers, total, senders, text_length
        )

    def send_due(self, now: float) -> None:
        sending = self.sending
        while sending.next < sending.total and sending.due() <= now:
            turn = sending.next // sending.step
            sender = sending.senders[turn % len(sending.senders)]
            if not sender.closed:
                self.write(sender, say(sending.text_length))
                sending.sent += 1
            sending.next += sending.step
        if sending.next >= sending.total:
            self.sending = None
            self.reply("sent", sending.sent, time.perf_counter())


def crowd_main(port: int, pipe, index: int, workers: int, crowd: int) -> None:
    try:
        Crowd(port, pipe, index, workers, crowd).run()
    except BaseException:
        pipe.send(("crash", traceback.format_exc()))


class Load:
    """The load generator, from the benchmark's side: ``workers`` processes."""

    crowds = 0

    def __init__(self, port: int, workers: int):
        Load.crowds += 1
        context = multiprocessing.get_context("fork")
        self.pipes, self.processes = [], []
        for index in range(workers):
            here, there = context.Pipe()
            process = context.Process(
                target=crowd_main,
                args=(port, there, index, workers, Load.crowds),
                daemon=True,
            )
            process.start()
            self.pipes.append(here)
            self.processes.append(process)

    def ask(self, *message, sample=None) -> list[tuple]:
        """The same command to every process; their answers, in order.
        ``sample`` is called every 0.2 s meanwhile."""
        for pipe in self.pipes:
            pipe.send(message)
        answers, waiting = {}, {pipe: n for n, pipe in enumerate(self.pipes)}
        while waiting:
            for pipe in multiprocessing.connection.wait(list(waiting), timeout=0.2):
                answer = pipe.recv()
                if answer[0] == "crash":
                    raise RuntimeError(f"a load-generator process failed:\n{answer[1]}")
                answers[waiting.pop(pipe)] = answer
            if sample:
                sample()
        return [answers[n] for n in range(len(self.pipes))]

    def cpu(self) -> tuple[float, float]:
        """The generator's CPU, user and system: its processes', and this
        one's."""
        own = os.times()
        user, system = own.user, own.system
        for process in self.processes:
            more = cpu_split(process.pid)
            user, system = user + more[0], system + more[1]
        return user, system

    def close(self) -> None:
        try:
            self.ask("close")
        except (OSError, EOFError, RuntimeError):
            pass  # a process that failed has said why already
        finally:
            for process in self.processes:
                process.join(timeout=10)
                if process.is_alive():
                    process.kill()


# -- measuring ----------------------------------------------------------------


def join(load: Load, count: int, slow: bool = False) -> dict:
    """``count`` clients join, ``WAVE`` at a time."""
    started, problems = time.perf_counter(), Counter()
    for first in range(0, count, WAVE):
        for answer in load.ask("join", min(WAVE, count - first), slow):
            problems.update(answer[1])
    return {"seconds": time.perf_counter() - started, "problems": problems}


def step(load: Load, servers: Servers, rate: float, seconds: float, **options):
    """``rate`` messages/s for ``seconds``: what arrived, how late, at what cost.
    Options: ``text``, the length of the messages; ``sample``, called every
    0.2 s meanwhile."""
    text, sample = options.get("text", 0), options.get("sample")
    chat_before, redis_before = servers.cpu(), servers.redis_cpu()
    load_before, began = load.cpu(), time.perf_counter()
    start = began + 0.1
    sent = load.ask("load", rate, seconds, start, text, sample=sample)
    total, last = sum(a[1] for a in sent), max(a[2] for a in sent)
    drained = load.ask("drain", total, last + DRAIN_SECONDS, sample=sample)
    elapsed = time.perf_counter() - began
    servers.check()
    chat = [a - b for a, b in zip(servers.cpu(), chat_before, strict=True)]
    redis = servers.redis_cpu() - redis_before
    user, system = (a - b for a, b in zip(load.cpu(), load_before, strict=True))
    generator = user + system
    histogram = [sum(counts) for counts in zip(*(a[3] for a in drained), strict=True)]
    received = sum(a[1] for a in drained)
    per_k = 1e6 / received if received else math.inf  # CPU s to ms per 1,000
    errors = Counter()
    for answer in drained:
        errors.update(answer[4])
    result = {
        "rate": rate,
        "sent": total,
        "achieved": (
            (total - 1) / (last - start) if total > 1 and last > start else 0.0
        ),
        "expected": sum(a[2] for a in drained),
        "received": received,
        "p50": percentile(histogram, 0.50),
        "p99": percentile(histogram, 0.99),
        "chat_cpu": [busy / elapsed for busy in chat],  # each, of one core
        "redis_cpu": redis / elapsed,
        "load_cpu": generator / elapsed,
        "chat_ms": sum(chat) * per_k,  # CPU ms per 1,000 deliveries
        "redis_ms": redis * per_k,
        "load_ms": generator * per_k,
        "load_system_ms": system * per_k,  # the kernel's part: receiving
        "errors": errors,
    }
    print(
        f"  {rate:g} messages/s: {received:,} of {result['expected']:,} delivered, "
        f"p99 {result['p99']:.1f} ms, chat CPU "
        f"{' + '.join(f'{100 * c:.0f}%' for c in result['chat_cpu'])}, "
        f"generator {100 * result['load_cpu']:.0f}%",
        file=sys.stderr,
        flush=True,
    )
    return result


def percentile(histogram: list[int], fraction: float) -> float:
    """In ms: the upper edge of the bucket where ``fraction`` is reached."""
    running = list(accumulate(histogram))
    if not running or not running[-1]:
        return math.inf
    bucket = bisect_left(running, math.ceil(fraction * running[-1]))
    return (bucket + 1) / 10 if bucket < BUCKETS else math.inf


def sustained(step: dict) -> bool:
    """Held: p99 within the target, nothing lost, sent at the rate asked."""
    return (
        step["p99"] <= TARGET_MS
        and step["received"] == step["expected"] > 0
        and step["achieved"] >= 0.9 * step["rate"]
    )


def settle(servers: Servers, limit: float = 30.0) -> None:
    """Wait for the servers to go quiet: a rate that broke leaves a backlog."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        before = sum(servers.cpu()) + servers.redis_cpu()
        time.sleep(0.5)
        if sum(servers.cpu()) + servers.redis_cpu() - before < 0.05:
            return


def kept_up(step: dict) -> bool:
    """The servers kept up: nothing lost, sent at the rate asked, and a p99
    within KEEP_UP_MS (over 10 s, a backlog growing by more than about 4% of
    the rate would pass it): their capacity, whatever the fan-out takes."""
    return (
        step["p99"] <= KEEP_UP_MS
        and step["received"] == step["expected"] > 0
        and step["achieved"] >= 0.9 * step["rate"]
    )


def search(load: Load, servers: Servers, clients: int, seconds: float) -> list:
    """Rates up the ladder until the servers no longer keep up; then the gap
    below the first that did not is narrowed for each criterion, capacity
    (kept up) and latency (p99 within the target), by halving it."""
    steps = []

    def run(rate: float) -> None:
        settle(servers)
        steps.append(step(load, servers, rate, seconds))

    for deliveries in LADDER:
        run(round(deliveries / clients, 1))
        if not kept_up(steps[-1]):
            break
    for criterion in (kept_up, sustained):
        for _ in range(NARROWING):
            low = max((s["rate"] for s in steps if criterion(s)), default=0.0)
            above = [s["rate"] for s in steps if s["rate"] > low]
            if not above or min(above) - low <= max(0.2, 0.03 * min(above)):
                break
            run(round((low + min(above)) / 2, 1))
    return sorted(steps, key=lambda s: s["rate"])


def server_ms(step: dict) -> float:
    """The servers' CPU ms per 1,000 deliveries, redis-server's included."""
    return step["chat_ms"] + step["redis_ms"]


def best(steps: list[dict], criterion=sustained) -> dict | None:
    held_up = [s for s in steps if criterion(s)]
    return max(held_up, key=lambda s: s["rate"]) if held_up else None


def crowd_test(servers: Servers, args, common_rate: float | None) -> dict:
    """Items 1 to 5 for one setup: hold the clients, find the highest rate,
    the CPU at the common rate, the memory per connection."""
    rss_before = servers.rss()
    load = Load(servers.port, args.workers)
    try:
        joined = join(load, args.clients)
        time.sleep(1)
        rss_after, split = servers.rss(), servers.connections()
        print(f"  joined in {joined['seconds']:.1f} s", file=sys.stderr)
        steps = search(load, servers, args.clients, args.seconds)
        top, capacity = best(steps), best(steps, kept_up)
        if common_rate is None:  # half of what one process keeps up with
            half = (capacity["rate"] if capacity else 1.0) / 2
            common_rate = max(0.5, math.floor(half * 2) / 2)
        commons = []
        for _ in range(COMMON_STEPS):
            settle(servers)
            commons.append(step(load, servers, common_rate, args.seconds))
        common = sorted(commons, key=server_ms)[len(commons) // 2]
        held = load.ask("held")
        server_held = sum(clients for clients, _, _ in servers.connections())
    finally:
        load.close()
    problems = joined["problems"]
    for answer in held:
        problems.update(answer[3])
    return {
        "processes": len(servers.processes),
        "joined_in": joined["seconds"],
        "held": sum(a[1] for a in held),
        "established": sum(a[2] for a in held),
        "server_held": server_held,
        "per_connection_kib": (sum(rss_after) - sum(rss_before)) / args.clients,
        "connections": [clients for clients, _, _ in split],
        "redis_connections": [others for _, others, _ in split],
        "steps": steps,
        "best": top,
        "capacity": capacity,
        "common": common,
        "commons": commons,
        "problems": problems,
        "stderr": servers.errors(),
    }


def slow_test(servers: Servers, args) -> dict:
    """Item 6: slow readers, while the others talk. Whether the server has
    let go of a slow reader is seen from its side (the connections it still
    holds): when it drops one with data queued, no reset reaches the client."""
    rss_before, samples = servers.rss(), []
    load = Load(servers.port, args.workers)
    try:
        problems = join(load, SLOW_SENDERS)["problems"]
        problems.update(join(load, SLOW_READERS, slow=True)["problems"])
        held = sum(clients for clients, _, _ in servers.connections())
        began = time.perf_counter()

        def sample():
            split = servers.connections()
            samples.append(
                {
                    "at": time.perf_counter() - began,
                    "rss": servers.rss(),
                    "held": sum(clients for clients, _, _ in split),
                    "queued": sum(queued for _, _, queued in split),
                    "tcp": tcp_memory(),
                }
            )

        result = step(
            load, servers, SLOW_RATE, args.slow_seconds, text=SLOW_TEXT, sample=sample
        )
        sample()  # before the slow readers close their end
        readers = sum(answer[1] for answer in load.ask("slow"))
    finally:
        load.close()
    last = samples[-1]
    dropped = [s["at"] for s in samples if s["held"] < held]
    gone = max(0, held - last["held"])
    return {
        "readers": readers,
        "gone": gone,
        "first_gone": dropped[0] if dropped else None,
        "all_gone": next((s["at"] for s in samples if s["held"] == last["held"]), 0),
        "rss_before": rss_before,
        "peaks": [max(s["rss"][n] for s in samples) for n in range(len(rss_before))],
        "rss_end": last["rss"],
        "peak_queued": max(s["queued"] for s in samples),
        "peak_tcp": max(s["tcp"][0] for s in samples),
        "end_tcp": last["tcp"],
        "step": result,
        "problems": problems,
        "stderr": servers.errors(),
    }


# -- the report ---------------------------------------------------------------


def percent(fractions: list[float], digits: int = 0) -> str:
    return " + ".join(f"{100 * f:.{digits}f}%" for f in fractions)


def ms(value: float) -> str:
    return f"{value:.1f}" if math.isfinite(value) else "> 10,000"


def met(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def mib(kib: float) -> str:
    return f"{kib / 1024:.0f} MiB"


def why_stopped(steps: list[dict], criterion) -> str:
    """What went wrong at the first rate above the highest that met
    ``criterion`` (or at the lowest tried, if none did)."""
    held = best(steps, criterion)
    broke = [
        s
        for s in steps
        if not criterion(s) and (held is None or s["rate"] > held["rate"])
    ]
    if not broke:
        return "the highest rate tried held"
    first = min(broke, key=lambda s: s["rate"])
    where = (
        f"no rate held: at {first['rate']:g} messages/s, the lowest tried,"
        if held is None
        else f"at {first['rate']:g} messages/s, the next tried,"
    )
    if first["achieved"] < 0.9 * first["rate"]:
        return (
            f"{where} the generator sent only {first['achieved']:.1f}/s (that "
            "limit is the generator's)"
        )
    if first["received"] < first["expected"]:
        return f"{where} {first['expected'] - first['received']:,} deliveries were lost"
    return f"{where} the p99 was {ms(first['p99'])} ms"


def steps_table(result: dict, clients: int) -> list[str]:
    lines = [
        "| messages/s asked | sent/s | deliveries/s | delivered | p50 (ms) "
        "| p99 (ms) | chat CPU | Redis CPU | generator CPU "
        "| chat CPU ms per 1,000 deliveries |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    commons = result["commons"]
    for s in [*result["steps"], *commons]:
        common = any(s is c for c in commons)
        label = f"{s['rate']:g}" + (" (common)" if common else "")
        redis = percent([s["redis_cpu"]], 1) if result["processes"] > 1 else "-"
        lines.append(
            f"| {label} | {s['achieved']:.1f} | {s['achieved'] * clients:,.0f} "
            f"| {s['received']:,} of {s['expected']:,} | {ms(s['p50'])} "
            f"| {ms(s['p99'])} | {percent(s['chat_cpu'])} | {redis} "
            f"| {100 * s['load_cpu']:.0f}% | {s['chat_ms']:.1f} |"
        )
    return lines


def problems_line(result: dict) -> str:
    """Error frames by code, and clients lost, over the whole setup."""
    problems = Counter(result["problems"])
    for s in [*result["steps"], *result["commons"]]:
        problems.update(s["errors"])
    return ", ".join(f"{why}: {n:,}" for why, n in problems.most_common()) or "none"


def megabytes(kib: float) -> str:
    return f"{kib * 1024 / 1e6:.0f} MB"


def slow_lines(name: str, slow: dict) -> list[str]:
    peaks, readers, gone, s = slow["peaks"], slow["readers"], slow["gone"], slow["step"]
    under = all(kib * 1024 < SLOW_TARGET_MB * 1e6 for kib in peaks)
    when = (
        f" (the first {slow['first_gone']:.0f} s into the load, the last by "
        f"{slow['all_gone']:.0f} s)"
        if gone and slow["first_gone"] is not None
        else ""
    )
    errors = ", ".join(
        f"{why}: {n:,}" for why, n in (s["errors"] + slow["problems"]).most_common()
    )
    memory, orphans = slow["end_tcp"]
    return [
        f"- {name}: peak RSS {' + '.join(megabytes(k) for k in peaks)} "
        f"(from {' + '.join(megabytes(k) for k in slow['rss_before'])} before the "
        f"clients joined; {' + '.join(megabytes(k) for k in slow['rss_end'])} at "
        f"the end). The server let go of {gone} of {readers} slow readers{when}. "
        "In the kernel, not in RSS: up to "
        f"{slow['peak_queued'] / 1e6:,.0f} MB queued on the chat's sockets; TCP "
        f"memory on the machine up to {slow['peak_tcp'] / 1e6:,.0f} MB, and at "
        f"the end {memory / 1e6:,.0f} MB with {orphans} orphaned sockets. The "
        f"{SLOW_SENDERS} others: {s['received']:,} of {s['expected']:,} "
        f"deliveries, p99 {ms(s['p99'])} ms{'; ' + errors if errors else ''}. "
        f"Target (RSS under {SLOW_TARGET_MB} MB"
        f"{' in each process' if len(peaks) > 1 else ''}): {met(under)}.",
    ]


def rate_cell(result: dict, key: str, criterion, clients: int) -> str:
    """A setup's best rate by ``criterion``, its deliveries and p99, and
    everyone's CPU at it; and the lower rates tried that did not meet it
    (a best rate above failed ones rests on one step)."""
    step, redis = result[key], result["processes"] > 1
    if step is None:
        return "none"
    missed = [
        f"{s['rate']:g}"
        for s in result["steps"]
        if s["rate"] < step["rate"] and not criterion(s)
    ]
    cell = (
        f"{step['rate']:g} messages/s ({step['rate'] * clients:,.0f} "
        f"deliveries/s), p99 {ms(step['p99'])} ms; CPU: chat "
        f"{percent(step['chat_cpu'])}"
        + (f", Redis {percent([step['redis_cpu']], 1)}" if redis else "")
        + f", generator {100 * step['load_cpu']:.0f}% "
        f"({100 * machine_cpu(step):.0f}% of the {100 * CORES}% there is)"
    )
    if missed:
        cell += f"; not met at the lower {', '.join(missed)} messages/s"
    return cell


def machine_cpu(step: dict) -> float:
    """The CPU the servers and the generator used at a rate, in cores."""
    return sum(step["chat_cpu"]) + step["redis_cpu"] + step["load_cpu"]


def ratio(a: dict | None, b: dict | None) -> float | None:
    return b["rate"] / a["rate"] if a and b else None


def summary(one: dict, two: dict | None, clients: int) -> list[tuple]:
    """The summary's rows: a label, a cell for each setup, the target."""
    results = [one, *([two] if two else [])]
    floor = [r["steps"][0] for r in results]  # the lowest rate tried
    rows = [
        (
            "clients held to the end (the servers' count)",
            [
                f"{r['held']:,} of {clients:,} ({r['server_held']:,}"
                + (
                    f": {' + '.join(f'{n:,}' for n in r['connections'])})"
                    if r["processes"] > 1
                    else ")"
                )
                for r in results
            ],
            " ".join(
                f"{name} "
                f"{met(r['held'] == r['established'] == r['server_held'] == clients)}"
                for name, r in zip(("(a)", "(b)"), results, strict=False)
            ),
        ),
        (
            f"joining ({WAVE} at a time) took",
            [f"{r['joined_in']:.1f} s" for r in results],
            "",
        ),
        (
            "server memory per connection (RSS growth, all chat processes)",
            [f"{r['per_connection_kib']:.1f} KiB" for r in results],
            "",
        ),
        (
            f"highest rate with p99 <= {TARGET_MS:g} ms and nothing lost",
            [rate_cell(r, "best", sustained, clients) for r in results],
            "",
        ),
        (
            f"capacity: highest rate kept up (nothing lost, p99 <= {KEEP_UP_MS:g} ms)",
            [rate_cell(r, "capacity", kept_up, clients) for r in results],
            "",
        ),
        (
            f"latency at the lowest rate tried ({floor[0]['rate']:g} messages/s): "
            "p50 / p99, the time one message takes to reach everyone",
            [f"{ms(s['p50'])} / {ms(s['p99'])} ms" for s in floor],
            "",
        ),
        (
            f"server CPU ms per 1,000 deliveries at {one['common']['rate']:g} "
            f"messages/s (the common rate; the median of {COMMON_STEPS} steps)",
            [
                f"{r['common']['chat_ms']:.1f}"
                + (
                    f" ({server_ms(r['common']):.1f} with redis-server)"
                    if r["processes"] > 1
                    else ""
                )
                + ("" if kept_up(r["common"]) else " (**not kept up**)")
                for r in results
            ],
            "",
        ),
        (
            "generator CPU ms per 1,000 deliveries, same rate (of which the "
            "kernel's, system time)",
            [
                f"{r['common']['load_ms']:.1f} ({r['common']['load_system_ms']:.1f})"
                for r in results
            ],
            "",
        ),
    ]
    if two:
        wanted = f"(b) >= {SCALING_TARGET:g} x (a)"
        capacity = ratio(one["capacity"], two["capacity"])
        on_capacity = (
            f"{wanted}: {capacity:.2f} x, {met(capacity >= SCALING_TARGET)}"
            if capacity is not None
            else f"{wanted}: not measured, {met(False)}"
        )
        if one["best"] is None:  # no ratio to a rate that does not exist
            rows[3] = (*rows[3][:2], f"{wanted}: (a) held none; see capacity")
            rows[4] = (*rows[4][:2], on_capacity)
        else:
            strict = ratio(one["best"], two["best"]) or 0.0
            rows[3] = (
                *rows[3][:2],
                f"{wanted}: {strict:.2f} x, {met(strict >= SCALING_TARGET)}",
            )
            if capacity is not None:
                rows[4] = (*rows[4][:2], f"(b) / (a): {capacity:.2f} x")
        a, b = one["common"], two["common"]
        overhead = server_ms(b) / a["chat_ms"]
        rows[6] = (
            *rows[6][:2],
            f"(b) <= {OVERHEAD_TARGET:g} x (a): {overhead:.2f} x with redis-server "
            f"({b['chat_ms'] / a['chat_ms']:.2f} x the chat processes alone), "
            f"{met(overhead <= OVERHEAD_TARGET)}; each step: "
            + ", ".join(f"{server_ms(s):.1f}" for s in one["commons"])
            + " against "
            + ", ".join(f"{server_ms(s):.1f}" for s in two["commons"]),
        )
    return rows


def scaling_note(one: dict, two: dict | None) -> list[str]:
    """Where the CPU went at each setup's capacity: the generator shares
    the machine, so what is left for two chat processes may be no more
    than one had."""
    if not two or not one["capacity"] or not two["capacity"]:
        return []
    a, b = one["capacity"], two["capacity"]
    common_a, common_b = one["common"], two["common"]
    bound = (
        CORES * common_a["chat_ms"] / (server_ms(common_b) + common_b["load_system_ms"])
    )
    return [
        f"At capacity the machine's {CORES} cores were shared out so: (a) chat "
        f"{percent(a['chat_cpu'])} and generator {100 * a['load_cpu']:.0f}%; "
        f"(b) chat {percent(b['chat_cpu'])}, Redis {percent([b['redis_cpu']], 1)} "
        f"and generator {100 * b['load_cpu']:.0f}%, "
        f"{100 * machine_cpu(b):.0f}% in all. The generator costs "
        f"{a['load_ms']:.1f} ms of CPU per 1,000 deliveries there against the one "
        f"chat process's {a['chat_ms']:.1f}: on {CORES} cores, what two chat "
        "processes can have is what the generator leaves them. Part of the "
        "generator's CPU is the kernel's, which a generator in any language "
        "pays (each delivery is a TCP segment of its own to receive and "
        f"acknowledge): at the common rate, {common_b['load_system_ms']:.1f} "
        f"of its {common_b['load_ms']:.1f} ms per 1,000 deliveries. A generator that "
        "cost nothing more than that would leave two chat processes, every "
        f"core busy, at most {bound:.2f} x one's rate ({CORES} x "
        f"{common_a['chat_ms']:.1f} / ({server_ms(common_b):.1f} + "
        f"{common_b['load_system_ms']:.1f}), the chat processes' and Redis's "
        "CPU per 1,000 deliveries and the kernel's part of the generator's)."
    ]


def report(results: dict, args, command: str) -> str:
    one, two = results["one"], results.get("two")
    clients, setups = args.clients, [("(a) one process", one)]
    if two:
        setups.append(("(b) two processes + Redis", two))
    unsent = Settings.max_unsent_bytes
    lines = [
        SECTION,
        "",
        *machine_lines(("websockets", "redis")),
        "",
        f"`{command}`: in one run, (a) one chat process "
        "(`python -m chatroom`, the room in memory) and (b) two chat processes "
        "on one port (`--reuse-port`: the kernel spreads the connections over "
        "them) sharing the room through a redis-server "
        f"{results.get('redis_version', '')} of the benchmark's own (no "
        f"persistence), all on loopback. {clients:,} clients from "
        f"{args.workers} load-generator processes join in waves of {WAVE}; at "
        f"each rate, senders at 1 message/s or less for {args.seconds:g} s, "
        f"every message to all {clients:,}; every delivery's latency measured "
        "(the send time is in the text). Servers: "
        + "; ".join(f"`{c}`" for c in results["commands"])
        + ".",
        "",
    ]
    if not two:
        lines += [f"**(b) was not measured**: {results['missing']}.", ""]
    names = [name for name, _ in setups]
    lines += [
        "| | " + " | ".join(names) + " | target |",
        "| --- | " + " | ".join("---:" for _ in names) + " | --- |",
    ]
    for label, cells, target in summary(one, two, clients):
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")
    lines += ["", *scaling_note(one, two), ""]
    for name, r in setups:
        to_redis = (
            " Connections to Redis after the joins: "
            + " + ".join(f"{n:,}" for n in r["redis_connections"])
            + "."
            if r["processes"] > 1
            else ""
        )
        lines += [
            f"**{name}**: within {TARGET_MS:g} ms, "
            f"{why_stopped(r['steps'], sustained)}; kept up, "
            f"{why_stopped(r['steps'], kept_up)}. Errors and clients lost: "
            f"{problems_line(r)}.{to_redis} The chat processes' stderr: "
            f"{r['stderr']}.",
            "",
            *steps_table(r, clients),
            "",
        ]
    lines += [
        f"**Slow readers** ({SLOW_READERS} clients join, then never read, while "
        f"{SLOW_SENDERS} others send {SLOW_TEXT:,}-character messages of 4-byte "
        f"characters (4 KB) at {SLOW_RATE} messages/s for {args.slow_seconds:g} "
        "s; fresh servers; "
        f"the server's default `--max-unsent` of {unsent:,} bytes"
        + "; sampled every 0.2 s):",
        "",
    ]
    for name, slow in results["slow"].items():
        lines += slow_lines(name, slow)
    lines += [
        "",
        "The load generator is this script's own: processes of plain "
        "non-blocking sockets on one `epoll` each, reading into one buffer, "
        "parsing the (unmasked) server frames by hand and reading the send time "
        "straight from each message's bytes, answering pings; every delivery "
        f"counted in 0.1 ms buckets. It shares the {CORES} cores with the servers "
        "(its CPU is in the tables), and its own lag is part of the latency "
        "measured; it pauses 1 ms after each busy poll (fewer, fuller wakeups), "
        "which adds at most that. A rate holds if its p99 is within the "
        f"target, every delivery arrived within {DRAIN_SECONDS:g} s of the last "
        "send, and the generator sent at least 90% of the rate asked; the "
        f"servers kept up with it if the same holds with {KEEP_UP_MS:g} ms. "
        "Capacity, rather than the 100 ms rate, is what the scaling target is "
        "judged on when one process holds no rate within 100 ms: then what "
        "bounds the p99 is the time one message takes to go out to every "
        "client, whatever the rate.",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=10, help="at each rate")
    parser.add_argument("--slow-seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2, help="generator processes")
    parser.add_argument(
        "--common-rate",
        type=float,
        help="messages/s for the CPU comparison (default: half (a)'s highest)",
    )
    parser.add_argument(
        "--setups", choices=("both", "one"), default="both", help="one: only (a)"
    )
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    results = {"slow": {}, "commands": []}
    logs = tempfile.mkdtemp(prefix="chat_load.")
    try:
        print("(a) one chat process", file=sys.stderr)
        servers = Servers(1, args.clients, logs)
        results["commands"].append(shown(servers.command))
        try:
            results["one"] = crowd_test(servers, args, args.common_rate)
        finally:
            servers.stop()
        print("(a) slow readers", file=sys.stderr)
        servers = Servers(1, args.clients, logs)
        try:
            results["slow"]["(a) one process"] = slow_test(servers, args)
        finally:
            servers.stop()
        if args.setups == "one":
            results["missing"] = "only (a) was asked for"
        else:
            redis = Redis(logs)
            results["redis_version"] = redis.version
            try:
                print("(b) two chat processes and Redis", file=sys.stderr)
                servers = Servers(2, args.clients, logs, redis)
                results["commands"].append(shown(servers.command))
                try:
                    common = results["one"]["common"]["rate"]
                    results["two"] = crowd_test(servers, args, common)
                finally:
                    servers.stop()
                print("(b) slow readers", file=sys.stderr)
                redis.flush()
                servers = Servers(2, args.clients, logs, redis)
                try:
                    results["slow"]["(b) two processes"] = slow_test(servers, args)
                finally:
                    servers.stop()
            finally:
                redis.stop()
    finally:
        shutil.rmtree(logs, ignore_errors=True)
    text = report(results, args, command_line(parser, args))
    write_section(args.results, SECTION, text)
    print(text)
    return 0


def shown(command: list[str]) -> str:
    """A server's command line as a reader would type it."""
    words = ["python", *command[1:]]
    for flag in ("--port", "--redis"):
        if flag in words:
            words[words.index(flag) + 1] = "PORT" if flag == "--port" else "URL"
    return " ".join(words)


if __name__ == "__main__":
    raise SystemExit(main())
