"""A warm process that runs every session in a fresh child of its own.

Starting an interpreter and importing numpy or matplotlib costs far more than
a small block; forking a process that already did costs well under a
millisecond. The zygote imports the modules the posts use, then takes
sessions from the builder and forks one child per session, a few at a time
(one per core by default), so sessions and posts never share state.

Everything about running a session that needs no Pelican happens here: the
zygote relays each block's result as its child sends it, kills a child whose
block outlives its timeout, and reports how each child ended (exit code or
signal). The builder only sends sessions and reads results, so running
blocks costs its interpreter, busy reading posts, next to nothing.

What the zygote holds, every child starts with; what a child writes to is
copied for it. So the zygote imports little of its own: not
``multiprocessing`` (which brings ``threading``, whose after-fork hook runs
in every child), not ``tempfile`` (``random`` reseeds in every child).

Runs as ``python -c "from executable_posts.zygote import main; main()"``,
with the control socket's file descriptor and a JSON description of its job.
"""

import gc
import importlib
import json
import os
import pickle
import selectors
import shutil
import signal
import stat
import sys
import time
from collections import deque
from contextlib import suppress

from . import frames, worker

FAILED = 70  # a child's exit code when the worker itself failed


def preload(modules: list[str]) -> None:
    for name in modules:
        with suppress(Exception):  # the block that needs it reports the failure
            importlib.import_module(name)


class Child:
    """A session running in a child: its pipe, and the block it is on."""

    def __init__(self, pid: int, session: int, pipe: int, directory: str, timeouts):
        self.pid, self.session, self.pipe = pid, session, pipe
        self.directory, self.timeouts = directory, timeouts
        self.frames = frames.Reader()
        self.finished = 0  # blocks whose result came
        self.block_started = time.monotonic()
        self.killed_after: float | None = None  # the timeout it was killed at
        self.watch: int | None = None  # its pidfd, where there are pidfds

    def deadline(self) -> float | None:
        if self.killed_after is None and self.finished < len(self.timeouts):
            return self.block_started + self.timeouts[self.finished]
        return None


class Dispatcher:
    """Sessions from the builder, run in children, results back to it.

    Messages in: ``("run", id, requests, timeouts)`` and ``("stop",)``.
    Messages out: ``("ready", pid)``, ``("result", id, pickled result)`` for
    each block, and ``("ended", id, exit code, timed out after, seconds in
    the last block)`` for each session. The control socket is non-blocking
    both ways: the zygote never waits for a builder that is busy elsewhere.
    """

    def __init__(self, control: int, job: dict):
        self.control, self.job = control, job
        os.set_blocking(control, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(control, selectors.EVENT_READ, "control")
        self.incoming = frames.Reader()
        self.outgoing = bytearray()
        self.writing = False  # waiting for the socket to take more
        self.queue: deque = deque()
        self.children: dict[int, Child] = {}  # by pid
        self.directories = Directories(os.getcwd())
        self.by_pipe: dict[int, Child] = {}
        self.by_watch: dict[int, Child] = {}
        self.pidfds = job.get("exits", "pidfd") == "pidfd" and hasattr(os, "pidfd_open")
        self.signals: list[int] = []  # the SIGCHLD pipe, without pidfds
        if not self.pidfds:
            self.signals = list(os.pipe())
            os.set_blocking(self.signals[1], False)
            signal.set_wakeup_fd(self.signals[1], warn_on_full_buffer=False)
            signal.signal(signal.SIGCHLD, lambda *_: None)
            self.selector.register(self.signals[0], selectors.EVENT_READ, "exits")
        self.running = True

    # -- the loop ---------------------------------------------------------

    def serve(self) -> None:
        self.send(("ready", os.getpid()))
        while self.running:
            while self.queue and len(self.children) < self.job["workers"]:
                self.fork(*self.queue.popleft())
            for key, events in self.selector.select(self.wait()):
                # (a pipe or pidfd closed earlier in this batch is skipped)
                if key.data == "control":
                    if events & selectors.EVENT_WRITE:
                        self.flush()
                    if events & selectors.EVENT_READ:
                        self.receive()
                elif key.data == "pipe" and key.fd in self.by_pipe:
                    self.read_pipe(self.by_pipe[key.fd])
                elif key.data == "watch" and key.fd in self.by_watch:
                    self.ended(self.by_watch[key.fd])
                elif key.data == "exits":
                    os.read(self.signals[0], 4096)
                    self.reap()
            self.kill_overdue()

    def wait(self) -> float | None:
        """Seconds until the next block's deadline (None: no block runs)."""
        deadlines = [c.deadline() for c in self.children.values()]
        deadlines = [d for d in deadlines if d is not None]
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def receive(self) -> None:
        data = frames.read_available(self.control)
        if data is None:  # the builder has gone
            self.running = False
            return
        for payload in self.incoming.feed(data):
            message = pickle.loads(payload)
            if message[0] == "run":
                self.queue.append(message[1:])
            else:
                self.running = False

    def send(self, message: tuple) -> None:
        self.outgoing += frames.frame(pickle.dumps(message, protocol=5))
        self.flush()

    def flush(self) -> None:
        try:
            while self.outgoing:
                del self.outgoing[: os.write(self.control, self.outgoing)]
        except BlockingIOError:
            pass
        except OSError:  # the builder has gone
            self.outgoing.clear()
            self.running = False
        if self.writing != bool(self.outgoing):
            self.writing = bool(self.outgoing)
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE * self.writing)
            self.selector.modify(self.control, events, "control")

    # -- children ---------------------------------------------------------

    def fork(self, session: int, requests: list[dict], timeouts: list[float]) -> None:
        pipe, out = os.pipe()
        directory = self.directories.take()
        pid = os.fork()
        if pid == 0:
            os.close(pipe)
            self.become_worker(requests, out, directory)
        os.close(out)
        os.set_blocking(pipe, False)
        child = Child(pid, session, pipe, directory, timeouts)
        self.children[pid] = self.by_pipe[pipe] = child
        self.selector.register(pipe, selectors.EVENT_READ, "pipe")
        if self.pidfds:
            child.watch = os.pidfd_open(pid)
            self.by_watch[child.watch] = child
            self.selector.register(child.watch, selectors.EVENT_READ, "watch")

    def become_worker(self, requests: list[dict], out: int, directory: str) -> None:
        """In the child: drop the zygote's descriptors, run the session, exit."""
        code = 0
        try:
            if self.signals:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            owned = [self.control, self.selector.fileno(), *self.signals]
            for fd in [*owned, *self.by_pipe, *self.by_watch]:
                os.close(fd)
            os.setsid()  # its own process group: a kill takes its children too
            worker.serve(requests, out, self.job["code_dirs"], directory)
        except BaseException:  # noqa: BLE001 - nothing may escape into the zygote
            code = FAILED
        finally:
            os._exit(code)

    def read_pipe(self, child: Child) -> None:
        data = frames.read_available(child.pipe)
        if data is None:  # the child closed it; its exit comes separately
            self.close_pipe(child)
            return
        for payload in child.frames.feed(data):
            self.send(("result", child.session, payload))
            child.finished += 1
            child.block_started = time.monotonic()

    def close_pipe(self, child: Child) -> None:
        # (its number may already be another child's, if it was closed)
        if self.by_pipe.get(child.pipe) is child:
            self.selector.unregister(child.pipe)
            os.close(child.pipe)
            del self.by_pipe[child.pipe]

    def reap(self) -> None:
        """Without pidfds: every child that has ended, after a SIGCHLD."""
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid in self.children:
                self.ended(self.children[pid], status)

    def ended(self, child: Child, status: int | None = None) -> None:
        """Report a child that has exited, with what it wrote before it did."""
        if status is None:
            _, status = os.waitpid(child.pid, 0)
        seconds = time.monotonic() - child.block_started
        if self.by_pipe.get(child.pipe) is child:
            self.read_pipe(child)
            self.close_pipe(child)
        if child.watch is not None:
            self.selector.unregister(child.watch)
            os.close(child.watch)
            del self.by_watch[child.watch]
        del self.children[child.pid]
        self.directories.give_back(child.directory)
        code = os.waitstatus_to_exitcode(status)
        self.send(("ended", child.session, code, child.killed_after, seconds))

    def kill_overdue(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            deadline = child.deadline()
            if deadline is not None and deadline <= now:
                child.killed_after = child.timeouts[child.finished]
                kill(child.pid)

    def kill_children(self) -> None:
        for pid in self.children:
            kill(pid)


class Directories:
    """Working directories for sessions, each empty when a session gets it.

    Making and removing a directory costs a disk file system far more than
    a session of small blocks; one left empty by its session is as new, so
    it is given to the next one.
    """

    def __init__(self, parent: str):
        self.parent = parent
        self.free: list[str] = []
        self.made = 0

    def take(self) -> str:
        if self.free:
            return self.free.pop()
        self.made += 1
        directory = os.path.join(self.parent, f"session-{self.made}")
        os.mkdir(directory, 0o700)
        return directory

    def give_back(self, directory: str) -> None:
        try:
            fresh = stat.S_IMODE(os.stat(directory).st_mode) == 0o700
            fresh = fresh and not os.listdir(directory)
        except OSError:
            fresh = False
        if fresh:
            self.free.append(directory)
        else:
            shutil.rmtree(directory, ignore_errors=True)


def kill(pid: int) -> None:
    for kill_one in (os.killpg, os.kill):  # a child not yet in its own group
        with suppress(OSError):
            kill_one(pid, signal.SIGKILL)


def main() -> None:
    control = int(sys.argv[1])
    job = json.loads(sys.argv[2])
    preload(job["preload"])
    if "matplotlib.pyplot" in sys.modules:
        from . import figures  # noqa: F401
    worker.mark_preloaded()
    gc.freeze()  # children's collections leave the zygote's objects (and pages) alone

    dispatcher = Dispatcher(control, job)
    try:
        dispatcher.serve()
    finally:
        # Stopped by the builder, or interrupted (Ctrl-C): no worker outlives
        # the zygote, so no block runs on after its build.
        dispatcher.kill_children()
        os._exit(0)
