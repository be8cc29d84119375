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

Runs as ``python -c COMMAND`` (``COMMAND`` below), with the control
socket's file descriptor and a JSON description of its job; once in its
sandbox's namespaces, it runs so again there (``Sandbox.enter`` says why).
"""

import contextlib
import gc
import importlib
import json
import math
import os
import pickle
import select
import signal
import stat
import sys
import time
from collections import deque
from contextlib import suppress

from . import frames, session_memory, worker
from .protocol import (
    ENDING,
    HEAD,
    FromZygote,
    Preload,
    RunSession,
    WorkerExit,
)
from .sandbox import Sandbox, SandboxError

COMMAND = "from executable_blocks.zygote import main; main()"
READ = select.POLLIN | select.POLLHUP | select.POLLERR
LONGEST_WAIT = 60_000  # milliseconds: poll() takes a C int
EXIT_GRACE = 5.0  # seconds a worker has to exit after its last result
# How often a session that has run this long has its memory added up; the
# zygote spends at most a twentieth of its time on it (a session of many
# processes and descriptors costs more to add up: it is looked at less often).
MEMORY_INTERVAL = 0.25
MEMORY_SHARE = 20


# Modules whose import runs a program, which the zygote (outside the
# sandbox's Landlock and filter) must not: a block still imports them, in
# its worker. Besides these, every ``__main__`` (and ``__hello__``), and
# every test suite's module (``test.autotest`` runs CPython's whole test
# suite as it is imported; a package's ``tests`` may run anything).
PROGRAMS = frozenset(("antigravity", "this", "idlelib", "turtledemo"))
TEST_SUITES = frozenset(("test", "tests"))


def preloadable(name: str) -> bool:
    """Whether the zygote may import ``name`` for the blocks: a module, not
    a program a post names to have it run outside the sandbox."""
    parts = name.split(".")
    if any(part.startswith("__") or part in TEST_SUITES for part in parts):
        return False
    return not any(".".join(parts[: n + 1]) in PROGRAMS for n in range(len(parts)))


def preload(modules: list[str]) -> None:
    """Import ``modules`` (those that are preloadable). What they print or
    write to the zygote's descriptors 1 and 2 (the build's terminal or log,
    which are not theirs) is dropped, and one that fails, exits included,
    is left to the block that imports it, which reports it."""
    with (
        open(os.devnull, "w") as nowhere,
        contextlib.redirect_stdout(nowhere),
        contextlib.redirect_stderr(nowhere),
        descriptors_to(nowhere.fileno()),
    ):
        for name in filter(preloadable, modules):
            with suppress(Exception, SystemExit):
                importlib.import_module(name)


@contextlib.contextmanager
def descriptors_to(fd: int):
    """Descriptors 1 and 2 point at ``fd`` until the block ends."""
    for stream in (sys.stdout, sys.stderr):
        with suppress(Exception):
            stream.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        yield
    finally:
        for target, fd_saved in zip((1, 2), saved, strict=True):
            os.dup2(fd_saved, target)
            os.close(fd_saved)


class Child:
    """A session running in a child: its pipe, and the block it is on."""

    __slots__ = (
        "pid",
        "session",
        "pipe",
        "directory",
        "timeouts",
        "frames",
        "finished",
        "block_started",
        "killed_after",
        "oversized",
        "overrun",
        "lingered",
        "over_memory",
        "over_results",
        "born",
        "watch",
        "network",
    )

    def __init__(self, pid: int, session: int, pipe: int, directory, timeouts):
        self.pid, self.session, self.pipe = pid, session, pipe
        self.directory, self.timeouts = directory, timeouts
        self.frames = frames.Reader(frames.MAX_FRAME)
        self.oversized = False  # killed for sending a result over MAX_FRAME
        self.overrun = False  # killed for sending more results than blocks
        self.lingered = False  # killed for running on after its last result
        self.over_memory = 0  # killed for holding this many bytes, over the limit
        self.over_results = 0  # killed for a result this long, over the budget
        self.finished = 0  # blocks whose result came
        self.born = self.block_started = time.monotonic()
        self.killed_after: float | None = None  # the timeout it was killed at
        self.watch: int | None = None  # its pidfd, where there are pidfds
        self.network: int | None = None  # its isolated network namespace

    def deadline(self) -> float | None:
        """Its block's timeout; after its last result, the little time a
        worker takes to exit. A block owns its worker and can send results
        of its own making, but then it must end as well."""
        if self.killed_after is not None or self.lingered or self.over_memory:
            return None
        if self.oversized or self.overrun or self.over_results:
            return None  # (killed for what it sent: ending now)
        if self.finished < len(self.timeouts):
            return self.block_started + self.timeouts[self.finished]
        return self.block_started + EXIT_GRACE

    def kill_overdue(self) -> None:
        if self.finished < len(self.timeouts):
            self.killed_after = self.timeouts[self.finished]
        else:
            self.lingered = True
        kill(self.pid)


class Zygote:
    """Sessions from the builder, run in children, results back to it.

    Messages in (pickled ``protocol`` classes): ``Preload`` (before the
    sessions that need them, and after those already waiting),
    ``RunSession`` and ``Stop``. Messages out (``HEAD`` and what follows
    it): SANDBOX at once, READY once the modules are imported, STARTED as a
    session's worker is forked, a RESULT with the pickled result of each
    block, and the ENDED of each session. The control socket is
    non-blocking both ways: the zygote never waits for a builder that is
    busy elsewhere.

    The loop is kept lean: every page of memory it writes to after a fork
    is copied, for as long as the child lives.
    """

    def __init__(self, control: int, job: dict, sandbox: Sandbox):
        self.control, self.job, self.sandbox = control, job, sandbox
        os.set_blocking(control, False)
        self.poller = select.poll()
        self.poller.register(control, READ)
        self.incoming = frames.Reader()
        self.outgoing: list[bytes] = []
        self.writing = False  # waiting for the socket to take more
        self.queue: deque = deque()
        self.preloaded = False
        self.children: dict[int, Child] = {}  # by pid
        self.directories = Directories(os.getcwd())
        self.by_pipe: dict[int, Child] = {}
        self.by_watch: dict[int, Child] = {}
        self.pidfds = job.get("exits", "pidfd") == "pidfd" and hasattr(os, "pidfd_open")
        self.pidfds = self.pidfds and not sandbox.adopts_orphans  # (reaped too)
        self.signals: list[int] = []  # the SIGCHLD pipe, without pidfds
        self.memory_limit = None if sandbox.mode == "off" else sandbox.memory
        self.memory_checked = 0.0  # when sessions' memory was last added up
        self.unheld_sockets: dict[int, set[str]] = {}  # (from look to look)
        self.memory_interval = MEMORY_INTERVAL
        self.costly: set[int] = set()  # the sessions a long look was over
        # what the sessions may still send back: the builder holds it all
        self.results_left = sandbox.results
        if not self.pidfds:
            self.signals = list(os.pipe())
            os.set_blocking(self.signals[1], False)
            signal.set_wakeup_fd(self.signals[1], warn_on_full_buffer=False)
            signal.signal(signal.SIGCHLD, lambda *_: None)
            self.poller.register(self.signals[0], READ)
        self.running = True

    # -- the loop ---------------------------------------------------------

    def serve_builder(self) -> None:
        """Take sessions from the builder and run them, until it says stop
        or goes."""
        while self.running:
            while self.queue and self.may_start(self.queue[0]):
                item = self.queue.popleft()
                if isinstance(item, Preload):
                    self.preload(item.modules)
                else:
                    self.fork(item)
            self.flush()
            for fd, events in self.poller.poll(self.wait()):
                # (a pipe or pidfd closed earlier in this batch is skipped)
                if fd == self.control:
                    if events & select.POLLOUT:
                        self.flush()
                    if events & READ:
                        self.receive()
                elif fd in self.by_pipe:
                    self.read_pipe(self.by_pipe[fd])
                elif fd in self.by_watch:
                    self.ended(self.by_watch[fd])
                elif self.signals and fd == self.signals[0]:
                    os.read(fd, 4096)
                    self.reap()
            self.kill_overdue()
            self.kill_over_memory()

    def wait(self) -> int | None:
        """Milliseconds until the next block's deadline, or the next look at
        the sessions' memory (None: no session runs)."""
        deadlines = [c.deadline() for c in self.children.values()]
        deadlines = [d for d in deadlines if d is not None]
        watched = [c.born for c in self.children.values() if not c.over_memory]
        if self.memory_limit and watched:
            next_look = self.memory_checked + self.memory_interval
            deadlines.append(max(next_look, min(watched) + MEMORY_INTERVAL))
        if not deadlines:
            return None
        left = math.ceil((min(deadlines) - time.monotonic()) * 1000)
        return min(max(0, left), LONGEST_WAIT)

    def receive(self) -> None:
        data = frames.read_available(self.control)
        if data is None:  # the builder has gone
            self.running = False
            return
        for payload in self.incoming.feed(data):
            message = pickle.loads(payload)  # the builder's, trusted
            if isinstance(message, RunSession):
                if message.urgent:
                    self.queue.appendleft(message)
                else:
                    self.queue.append(message)
            elif isinstance(message, Preload):
                # (after the sessions already waiting, which need none of
                # it: the build's longest session, submitted first, used to
                # wait for the imports of every post's)
                if self.queue:
                    self.queue.append(message)
                else:
                    self.preload(message.modules)
            else:  # Stop
                self.running = False

    def may_start(self, item: RunSession | Preload) -> bool:
        if isinstance(item, Preload):
            return True
        return self.preloaded and len(self.children) < self.job["workers"]

    def preload(self, modules: tuple[str, ...]) -> None:
        """Import what the sessions that follow use, before forking them."""
        self.sandbox.zygote_environment()
        preload(modules)
        if "matplotlib.pyplot" in sys.modules:
            from . import figures  # noqa: F401
        worker.mark_preloaded()
        self.sandbox.prepare_workers()
        gc.freeze()  # children's collections leave these objects (and pages) alone
        if not self.preloaded:
            self.preloaded = True
            self.send(HEAD.pack(FromZygote.READY, os.getpid()))

    def send(self, *parts: bytes) -> None:
        """Queue a message; the loop sends what it has once per turn."""
        data = b"".join(parts)
        self.outgoing.append(frames.HEADER.pack(len(data)))
        self.outgoing.append(data)

    def flush(self) -> None:
        if self.outgoing:
            data = b"".join(self.outgoing)
            self.outgoing.clear()
            try:
                sent = os.write(self.control, data)
            except BlockingIOError:
                sent = 0
            except OSError:  # the builder has gone
                self.running = False
                return
            if sent < len(data):
                self.outgoing.append(data[sent:])
        if self.writing != bool(self.outgoing):
            self.writing = bool(self.outgoing)
            events = READ | (select.POLLOUT if self.writing else 0)
            self.poller.modify(self.control, events)

    # -- children ---------------------------------------------------------

    def fork(self, session: RunSession) -> None:
        pipe, out = os.pipe()
        directory = None if self.sandbox.private_tmp else self.directories.take()
        network = None if session.confinement.network else self.sandbox.take_network()
        # Said before the fork: a block can kill the zygote as soon as it runs.
        self.send(HEAD.pack(FromZygote.STARTED, session.number))
        self.flush()
        self.sandbox.before_fork()
        pid = os.fork()
        if pid == 0:
            os.close(pipe)
            self.become_worker(session, out, directory, network)
        self.sandbox.after_fork()
        os.close(out)
        os.set_blocking(pipe, False)
        child = Child(pid, session.number, pipe, directory, session.timeouts)
        child.network = network
        self.children[pid] = self.by_pipe[pipe] = child
        self.poller.register(pipe, READ)
        if self.pidfds:
            child.watch = os.pidfd_open(pid)
            self.by_watch[child.watch] = child
            self.poller.register(child.watch, select.POLLIN)

    def become_worker(
        self, session: RunSession, out: int, directory: str | None, network
    ) -> None:
        """In the child: drop the zygote's descriptors, confine itself to its
        session, run the session, exit."""
        code = 0
        try:
            if self.signals:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (self.control, *self.signals, *self.by_pipe, *self.by_watch):
                os.close(fd)
            os.setsid()  # its own process group: a kill takes its children too
            confinement = session.confinement
            try:
                directory = self.sandbox.confine(
                    confinement.network, list(confinement.read), directory, network
                )
            except OSError as error:
                print(f"executable_posts: sandbox: {error}", file=sys.stderr)
                code = WorkerExit.UNCONFINED
                return
            worker.run_session(session.requests, out, self.job["code_dirs"], directory)
        except BaseException:  # noqa: BLE001 - nothing may escape into the zygote
            code = WorkerExit.FAILED
        finally:
            os._exit(code)

    def read_pipe(self, child: Child) -> None:
        data = frames.read_available(child.pipe)
        if data is None:  # the child closed it; its exit comes separately
            self.close_pipe(child)
            return
        # (a frame longer than the budget left is refused by its length,
        # before it is read whole)
        child.frames.limit = min(frames.MAX_FRAME, self.results_left)
        try:
            payloads = child.frames.feed(data)
        except frames.FrameTooLarge as error:
            if error.size > frames.MAX_FRAME:
                child.oversized = True
            else:
                child.over_results = error.size
            self.stop_sending(child)
            return
        for payload in payloads:
            if child.finished == len(child.timeouts):  # more than it was asked
                child.overrun = True
                self.stop_sending(child)
                return
            if len(payload) > self.results_left:
                child.over_results = len(payload)
                self.stop_sending(child)
                return
            self.results_left -= len(payload)
            self.send(HEAD.pack(FromZygote.RESULT, child.session), payload)
            child.finished += 1
            child.block_started = time.monotonic()

    def stop_sending(self, child: Child) -> None:
        """Kill a child for what it sent, and read nothing more from it."""
        kill(child.pid)
        self.close_pipe(child)

    def close_pipe(self, child: Child) -> None:
        # (its number may already be another child's, if it was closed)
        if self.by_pipe.get(child.pipe) is child:
            self.poller.unregister(child.pipe)
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
            self.poller.unregister(child.watch)
            os.close(child.watch)
            del self.by_watch[child.watch]
        del self.children[child.pid]
        self.costly.discard(child.pid)
        if not self.costly:  # (the sessions that made looks long are gone)
            self.memory_interval = MEMORY_INTERVAL
        if child.directory is not None:
            self.directories.give_back(child.directory)
        if child.network is not None:  # (its processes are gone with it)
            self.sandbox.give_back_network(child.network)
        if child.over_memory:
            code = WorkerExit.MEMORY
        elif child.oversized:
            code = WorkerExit.OVERSIZED
        elif child.over_results:
            code = WorkerExit.RESULTS
        elif child.overrun:
            code = WorkerExit.OVERRUN
        elif child.lingered:
            code = WorkerExit.LINGERED
        else:
            code = os.waitstatus_to_exitcode(status)
        if self.sandbox.adopts_orphans:
            self.bury_orphans()
        timed_out = math.nan if child.killed_after is None else child.killed_after
        # (the bytes it was killed for)
        amount = child.over_memory or child.over_results
        ending = ENDING.pack(code, timed_out, seconds, amount)
        self.send(HEAD.pack(FromZygote.ENDED, child.session), ending)

    def kill_overdue(self) -> None:
        now = time.monotonic()
        for child in self.children.values():
            deadline = child.deadline()
            if deadline is not None and deadline <= now:
                child.kill_overdue()

    def kill_over_memory(self) -> None:
        """Add up the memory of the sessions that have run a while (a short
        one is gone before its memory is worth the look), and kill each
        that holds more than the limit."""
        now = time.monotonic()
        if not self.memory_limit or now < self.memory_checked + self.memory_interval:
            return
        due = {
            c.pid: c
            for c in self.children.values()
            if now - c.born >= MEMORY_INTERVAL and not c.over_memory
        }
        if not due:
            return
        mounts = self.sandbox.private_mount_points()
        # (sessions with mounts of their own have IPC namespaces too; the
        # zygote's is held only while it looks: a worker must not inherit it)
        own_ipc = os.open("/proc/self/ns/ipc", os.O_RDONLY) if mounts else None
        try:
            held = session_memory.held_by_sessions(
                due, mounts, self.memory_limit, own_ipc, self.unheld_sockets
            )
        finally:
            if own_ipc is not None:
                os.close(own_ipc)
        for pid in set(self.unheld_sockets) - set(due):  # (ended, or killed)
            del self.unheld_sockets[pid]
        for pid, used in held.items():
            if used > self.memory_limit:
                due[pid].over_memory = used
                kill(pid)
        self.memory_checked = time.monotonic()
        spent = self.memory_checked - now
        self.memory_interval = max(MEMORY_INTERVAL, spent * MEMORY_SHARE)
        self.costly = set(due) if self.memory_interval > MEMORY_INTERVAL else set()

    def kill_children(self) -> None:
        for pid in self.children:
            kill(pid)
        if self.sandbox.adopts_orphans:
            for pid in list(self.children):
                with suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            self.children.clear()
            self.bury_orphans()

    def bury_orphans(self) -> None:
        """Kill and reap every child of the zygote's that is not a running
        worker: without PID namespaces, what the sessions that have ended
        left running (each worker adopts its orphans, so nothing of a
        running session's is the zygote's child)."""
        for _ in range(1000):  # (each round, the orphans' own children)
            orphans = [p for p in children_of(os.getpid()) if p not in self.children]
            if not orphans:
                return
            for pid in orphans:
                with suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            for pid in orphans:
                with suppress(ChildProcessError):
                    os.waitpid(pid, 0)


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
            import shutil  # (rare: a session without a private /tmp left files)

            shutil.rmtree(directory, ignore_errors=True)


def children_of(pid: int) -> list[int]:
    """The pids of ``pid``'s children (of its main thread: the zygote has
    no other)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as file:
            return [int(child) for child in file.read().split()]
    except FileNotFoundError:  # (a kernel without CONFIG_PROC_CHILDREN)
        return [p for p, parent in session_memory.parents().items() if parent == pid]


def kill(pid: int) -> None:
    for kill_one in (os.killpg, os.kill):  # a child not yet in its own group
        with suppress(OSError):
            kill_one(pid, signal.SIGKILL)


def main() -> None:
    control, job = int(sys.argv[1]), json.loads(sys.argv[2])
    sys.argv = ["-c"]  # not its arguments, for what it imports (see preload)
    sandbox = Sandbox(job.get("sandbox", {}))
    try:
        if sandbox.enter(keep_fds=[control]):
            job["sandbox"] = {**job["sandbox"], "entered": sandbox.carried()}
            arguments = ["-c", COMMAND, str(control), json.dumps(job)]
            os.execv(sys.executable, [sys.executable, *arguments])
    except (SandboxError, OSError) as error:
        report = {"error": str(error)}
    else:
        report = sandbox.report()
    # For the processes blocks start (the zygote's own path is made by now)
    paths = [os.environ.get("PYTHONPATH", ""), *job["code_dirs"]]
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, paths))
    os.set_blocking(control, True)
    said = HEAD.pack(FromZygote.SANDBOX, 0) + json.dumps(report).encode()
    frames.write_all(control, frames.frame(said))
    if "error" in report:
        os._exit(0)
    zygote = Zygote(control, job, sandbox)
    try:
        zygote.serve_builder()
    finally:
        # Stopped by the builder, or interrupted (Ctrl-C): no worker outlives
        # the zygote, so no block runs on after its build.
        zygote.kill_children()
        os._exit(0)
