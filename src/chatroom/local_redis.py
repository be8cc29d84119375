"""A redis-server of one's own: Debian's ``redis-server`` on 127.0.0.1 and a
free port, saving nothing, in a directory of the caller's. For ``invoke demo
--chat-processes``, the tests and the benchmark, which must not touch a
Redis that holds someone's data."""

import shutil
import socket
import subprocess
import time


class LocalRedisError(RuntimeError):
    """No redis-server to start, or it did not answer."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on at ``host`` just now."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class LocalRedis:
    def __init__(self, directory):
        self.binary = shutil.which("redis-server")
        if not self.binary:
            raise LocalRedisError(
                "redis-server is missing (Debian: apt-get install redis-server)"
            )
        self.directory, self.port, self.process = str(directory), free_port(), None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, seconds: float = 10) -> "LocalRedis":
        """Start it (again, on the same port) and wait until it answers."""
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port)]
            + ["--save", "", "--appendonly", "no", "--dir", self.directory],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                if self.command(b"PING").startswith(b"+PONG"):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise LocalRedisError(f"redis-server did not answer on port {self.port}")

    def command(self, line: bytes) -> bytes:
        """One inline command, and the start of its answer."""
        with socket.create_connection(("127.0.0.1", self.port), 2) as connection:
            connection.sendall(line + b"\r\n")
            return connection.recv(64)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
