"""The builder's side of the worker processes: the zygote and its workers.

The builder never runs a post's code. It asks the zygote for a fresh worker
per session and talks to it over a socket; a block that runs too long gets
its worker killed, and a worker that dies is reported with how it died
(exit code or signal) instead of hanging or taking the build down.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future
from contextlib import suppress
from multiprocessing.connection import Connection
from pathlib import Path

from .errors import WorkerLost

PLUGINS_DIR = Path(__file__).resolve().parent.parent
START_TIMEOUT = 120  # seconds for the zygote to import what the posts use


def how_it_ended(code: int | None) -> str:
    if code is None:
        return "the worker process vanished"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process was killed by {name}"
    return f"the worker process exited with code {code}"


class Zygote:
    """A warm process, started once per build, that forks the workers."""

    def __init__(self, preload: list[str], code_dirs: list[str], ahead: int = 2):
        """``ahead``: workers kept forked and waiting (one per session that
        may start at once)."""
        self.directory = tempfile.mkdtemp(prefix="zygote-")
        self.socket_path = os.path.join(self.directory, "fork.sock")
        ours, theirs = socket.socketpair()
        job = {
            "socket": self.socket_path,
            "preload": preload,
            "code_dirs": code_dirs,
            "ahead": ahead,
        }
        env = dict(os.environ)
        env.update(
            PYTHONPATH=os.pathsep.join([str(PLUGINS_DIR), *code_dirs]),
            PYTHONHASHSEED="0",  # set and dict orders the same in every build
            MPLBACKEND="Agg",
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
        )
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from executable_posts.zygote import main; main()",
                str(theirs.fileno()),
                json.dumps(job),
            ],
            pass_fds=[theirs.fileno()],
            cwd=self.directory,
            env=env,
        )
        theirs.close()
        self.control = Connection(ours.detach())
        if not self.control.poll(START_TIMEOUT):
            self.close()
            raise WorkerLost("the zygote did not start")
        try:
            self.control.recv()  # ("ready", pid)
        except EOFError:
            self.close()
            raise WorkerLost(how_it_ended(self.process.wait())) from None
        self.exits: dict[int, Future] = {}
        self.lock = threading.Lock()
        self.listener = threading.Thread(target=self.listen, daemon=True)
        self.listener.start()

    def listen(self) -> None:
        """Collect how each worker ended, as the zygote reports it."""
        while True:
            try:
                _, pid, code = self.control.recv()
            except (EOFError, OSError):
                break
            self.exit_of(pid).set_result(code)
        with self.lock:
            for future in self.exits.values():
                if not future.done():
                    future.set_result(None)

    def exit_of(self, pid: int) -> Future:
        with self.lock:
            return self.exits.setdefault(pid, Future())

    def worker(self) -> "Worker":
        return Worker(self)

    def close(self) -> None:
        with suppress(OSError, AttributeError):
            self.control.send("stop")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


class Timeout(WorkerLost):
    pass


class Worker:
    """One session's process: it gets the session's blocks in one message,
    runs them in order and sends each result back as it finishes."""

    def __init__(self, zygote: Zygote):
        self.zygote = zygote
        self.pid: int | None = None
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(zygote.socket_path)
        except OSError as error:
            sock.close()
            raise WorkerLost(f"the zygote is gone ({error})") from None
        self.conn = Connection(sock.detach())

    def start(self, requests: list[dict]) -> None:
        """Send the session's blocks; then ``result()`` once per block."""
        try:
            self.conn.send(requests)
            if not self.conn.poll(START_TIMEOUT):
                raise WorkerLost("the worker process did not start")
            _, self.pid = self.conn.recv()
        except (EOFError, OSError):
            raise WorkerLost("the worker process did not start") from None

    def result(self, timeout: float) -> dict:
        """The next block's result; ``Timeout`` or ``WorkerLost`` if none comes."""
        try:
            if not self.conn.poll(timeout):
                self.kill()
                raise Timeout(f"timed out after {timeout:g} s; its worker was killed")
            return self.conn.recv()
        except (EOFError, OSError):
            raise WorkerLost(how_it_ended(self.exit_code())) from None

    def run(self, request: dict, timeout: float) -> dict:
        """Run a session of one block."""
        self.start([request])
        return self.result(timeout)

    def exit_code(self) -> int | None:
        if self.pid is None:
            return None
        try:
            return self.zygote.exit_of(self.pid).result(timeout=10)
        except TimeoutError:
            self.kill()
            return self.zygote.exit_of(self.pid).result(timeout=10)

    def kill(self) -> None:
        if self.pid is not None:
            with suppress(OSError):
                os.killpg(self.pid, signal.SIGKILL)

    def close(self) -> None:
        with suppress(OSError):
            self.conn.close()
