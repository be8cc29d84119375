"""The builder's side of the worker processes: its client of the zygote, and
the sessions it runs.

The builder never runs a post's code. It hands each session to the zygote,
which runs it in a fresh worker process, kills a block that runs too long
and says how every worker ended; the builder reads the results when it is
ready for them, in its own thread, between reading posts. A worker that dies
is reported with how it died (exit code or signal) instead of hanging or
taking the build down.
"""

import io
import json
import math
import os
import pickle
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path
from typing import NamedTuple

from signed_pickle.serializer import RestrictedUnpickler

from . import frames, protocol
from .errors import NotRun, WorkerLost
from .protocol import (
    ENDING,
    HEAD,
    BlockRequest,
    BlockResult,
    Confinement,
    FromZygote,
    Highlighted,
    HighlightRequest,
    Preload,
    RunSession,
    Stop,
    WorkerExit,
)
from .sandbox import DEFAULT_MEMORY, DEFAULT_RESULTS, size
from .zygote import COMMAND as ZYGOTE_COMMAND

# where executable_blocks is imported from: the zygote imports it from there
PACKAGE_ROOT = Path(__file__).resolve().parent.parent
Request = BlockRequest | HighlightRequest
START_TIMEOUT = 120  # seconds for the zygote to import what the posts use
# The builder's environment that sessions see (plus what EXEC_PASS_ENV names):
# what programs need to run, nothing that could be a secret.
PASSED_ENV = (
    "PATH",
    "LANG",
    "LANGUAGE",
    "LC_ALL",
    "LC_CTYPE",
    "LC_NUMERIC",
    "LC_TIME",
    "LC_COLLATE",
    "LC_MONETARY",
    "LC_MESSAGES",
    "TZ",
    "TERM",
    "LD_LIBRARY_PATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUTF8",
    "PYTHONIOENCODING",
    "PYTHONWARNINGS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "SOURCE_DATE_EPOCH",
)


def session_environment(pass_env=(), **settings: str) -> dict[str, str]:
    """The zygote's environment: the allowlisted variables of the builder's
    (and those ``pass_env`` names), then ``settings``."""
    names = (*PASSED_ENV, *pass_env)
    env = {name: os.environ[name] for name in names if name in os.environ}
    env.update(settings)
    return env


def how_it_ended(code: int | None, process: str = "the worker process") -> str:
    if code == WorkerExit.UNCONFINED and process == "the worker process":
        return "the worker process could not enter its sandbox (see the build log)"
    if code == WorkerExit.OVERRUN and process == "the worker process":
        return (
            "the worker process sent more results than its session has blocks "
            "(a block wrote them) and was killed"
        )
    if code == WorkerExit.LINGERED and process == "the worker process":
        return (
            "the worker process ran on after its session's last result "
            "(a block kept it running) and was killed"
        )
    if code == WorkerExit.OVERSIZED and process == "the worker process":
        return (
            f"the worker process sent a result over {frames.MAX_FRAME >> 20} MiB "
            "and was killed"
        )
    if code is None:
        return f"{process} vanished"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"{process} was killed by {name}"
    if 128 < code < 128 + signal.NSIG:  # (a sandboxed worker ends so on one)
        with suppress(ValueError):
            name = signal.Signals(code - 128).name
            return f"{process} exited with code {code} (128 + {name}: ended by it)"
    return f"{process} exited with code {code}"


class Limits(NamedTuple):
    """The limits a zygote kills sessions for, as its messages name them."""

    memory: int = DEFAULT_MEMORY  # a session's
    results: int = DEFAULT_RESULTS  # what a build's sessions send back


class Timeout(WorkerLost):
    pass


class Overrun(WorkerLost):
    """Its worker sent more results than its blocks, or ran on after the
    last: a block wrote results itself, so the session's last result is not
    trusted."""


class OverMemory(WorkerLost):
    """Its session, all its processes and files in memory together, held
    more than the sandbox's memory limit."""


class OverResults(WorkerLost):
    """Its next result would have taken what the build's sessions sent back
    past their budget: the builder holds every result until the pages are
    written, so a post of many blocks of huge output could fill its memory."""


class SessionRun:
    """One session in its worker: a result per block as they come, then, for
    the blocks that did not finish, the ``WorkerLost`` that stopped them (a
    ``NotRun`` for each block that never started)."""

    def __init__(self, requests: tuple[Request, ...], tag=None):
        self.requests, self.tag = requests, tag
        self.blocks = len(requests)
        self.results: list[BlockResult | Highlighted | WorkerLost] = []
        self.started = False  # its worker is forked
        self.done = False

    def end(self, lost: WorkerLost, seconds: float = 0.0) -> None:
        """The worker ended; ``lost`` stands for the blocks without a result
        (the one it stopped, and those after it, which did not run)."""
        if isinstance(lost, Overrun) and self.results:
            if not isinstance(self.results[-1], WorkerLost):  # (else: refused)
                lost.seconds = seconds
                self.results[-1] = lost
        elif len(self.results) < self.blocks:
            if self.started:
                lost.seconds = seconds
                self.results.append(lost)
            missing = self.blocks - len(self.results)
            self.results += [NotRun(lost) for _ in range(missing)]
        self.done = True


class ZygoteClient:
    """The builder's handle on the zygote (``zygote.Zygote``): a warm
    process, started once per build, that runs the sessions.

    It starts at once, and imports what the posts use when ``preload`` says
    what that is; sessions submitted before then wait for it. ``workers``:
    sessions that run at once; ``sandbox``: the policy of ``sandbox.py``
    (none: off), ``pass_env``: the builder's variables sessions see beyond
    the allowlist; ``python`` and ``user``: the interpreter the zygote runs
    on, and whom as (a builder running as root may drop to another user).
    ``exits`` chooses how the zygote learns that a worker ended:
    ``"pidfd"`` (Linux), or ``"signal"`` (SIGCHLD, everywhere); pidfds are
    used where the system has them.
    """

    def __init__(
        self,
        preload: list[str] | None,
        code_dirs: list[str],
        workers: int | None = None,
        exits: str = "pidfd",
        sandbox: dict | None = None,
        pass_env: tuple[str, ...] = (),
        python: str = sys.executable,
        user: str | int | None = None,
    ):
        # (named from where the builder runs; the zygote runs in a folder of
        # its own, and its sandbox holds only the folders on their way)
        code_dirs = [os.path.abspath(d) for d in code_dirs]
        self.directory = tempfile.mkdtemp(prefix="zygote-")
        os.chmod(self.directory, 0o755)  # its working directory, whoever it runs as
        settings = os.path.join(self.directory, "matplotlib")
        os.mkdir(settings)
        ours, theirs = socket.socketpair()
        sandbox = dict(sandbox or {"mode": "off"})
        self.limits = Limits(
            int(sandbox.get("memory", DEFAULT_MEMORY)),
            int(sandbox.get("results", DEFAULT_RESULTS)),
        )
        sandbox["read"] = [*sandbox.get("read", []), str(PACKAGE_ROOT), *code_dirs]
        job = {
            "code_dirs": code_dirs,
            "workers": workers or os.cpu_count() or 1,
            "exits": exits,
            "sandbox": sandbox,
        }
        env = session_environment(
            pass_env,
            HOME=self.directory,
            MPLCONFIGDIR=settings,
            # the engine only: the code directories join the path in each
            # worker, once it is sandboxed (worker.import_from)
            PYTHONPATH=str(PACKAGE_ROOT),
            PYTHONHASHSEED="0",  # set and dict orders the same in every build
            MPLBACKEND="Agg",
            OPENBLAS_NUM_THREADS="1",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            MALLOC_ARENA_MAX="2",  # threads' arenas count against the memory limit
        )
        self.process = subprocess.Popen(
            [
                python,
                "-c",
                ZYGOTE_COMMAND,
                str(theirs.fileno()),
                json.dumps(job),
            ],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,  # not the terminal the build runs in
            cwd=self.directory,
            env=env,
            user=user,
        )
        theirs.close()
        self.socket = ours
        ours.setblocking(False)
        self.incoming = frames.Reader()
        self.outgoing = bytearray()
        self.runs: dict[int, SessionRun] = {}
        self.submitted = 0
        self.preloaded: set[str] = set()
        self.started: float | None = None  # when it was told what to import
        self.ready = False
        self.isolation: dict | None = None  # what sandbox the zygote got
        self.gone: str | None = None  # why the zygote cannot run sessions
        if preload is not None:
            self.preload(preload)

    def preload(self, modules) -> None:
        """Have the zygote import ``modules`` (those it has not already)
        before it forks the workers of the sessions submitted from now on."""
        new = set(modules) - self.preloaded
        if new or self.started is None:
            self.send(Preload(tuple(sorted(new))))
            self.preloaded |= new
            self.started = self.started or time.monotonic()

    def send(self, message: Preload | RunSession) -> None:
        self.outgoing += frames.frame(pickle.dumps(message, protocol=5))
        self.flush()

    def submit(
        self,
        requests: list[Request] | tuple[Request, ...],
        timeouts: list[float] | tuple[float, ...],
        tag=None,
        urgent=False,
        confinement: Confinement | None = None,
    ) -> SessionRun:
        """Queue a session of ``requests`` (one per block, with the seconds
        each may take), ahead of the others if ``urgent``; its
        ``SessionRun`` fills in as ``poll`` reads. ``confinement``: whether
        the session has the network, and what more it may read."""
        requests = tuple(requests)
        run = SessionRun(requests, tag)
        if self.gone:
            run.end(WorkerLost(self.gone))
            return run
        number, self.submitted = self.submitted, self.submitted + 1
        self.runs[number] = run
        self.send(
            RunSession(
                number, requests, tuple(timeouts), urgent, confinement or Confinement()
            )
        )
        return run

    def poll(self, timeout: float | None = 0) -> list[SessionRun]:
        """Read what the zygote has sent, waiting up to ``timeout`` seconds
        for something (None: as long as it takes); the runs now done."""
        if self.gone:
            return []
        self.flush()
        if not self.ready and self.started is not None:
            left = self.started + START_TIMEOUT - time.monotonic()
            timeout = left if timeout is None else min(timeout, left)
            if left <= 0:
                return self.lose("the zygote did not start")
        writing = [self.socket] if self.outgoing else []
        readable, _, _ = select.select([self.socket], writing, [], timeout)
        if not readable:
            return []
        data = frames.read_available(self.socket.fileno())
        if data is None:
            return self.lose(how_it_ended(self.process.wait(), "the zygote"))
        done = []
        for message in self.incoming.feed(data):
            kind, number = HEAD.unpack_from(message)
            if kind == FromZygote.READY:
                self.ready = True
            elif kind == FromZygote.STARTED:
                self.runs[number].started = True
            elif kind == FromZygote.SANDBOX:
                self.isolation = json.loads(memoryview(message)[HEAD.size :].tobytes())
                if "error" in self.isolation:
                    why = f"the sandbox could not be set up: {self.isolation['error']}"
                    return [*done, *self.lose(why, blame=False)]
            elif kind == FromZygote.RESULT:
                result = protocol_data(memoryview(message)[HEAD.size :])
                self.runs[number].results.append(result)
            else:
                ending = ENDING.unpack_from(message, HEAD.size)
                code, timed_out, seconds, amount = ending
                run = self.runs.pop(number)
                run.end(lost(code, timed_out, amount, self.limits), seconds)
                done.append(run)
        return done

    def wait(self, run: SessionRun) -> list[SessionRun]:
        """Read until ``run`` is done; every run done meanwhile."""
        done = []
        while not run.done:
            done += self.poll(None)
        return done

    def flush(self) -> None:
        try:
            while self.outgoing:
                del self.outgoing[: self.socket.send(self.outgoing)]
        except BlockingIOError:
            pass
        except OSError:
            self.outgoing.clear()  # the zygote has gone; poll says how

    def lose(self, why: str, blame: bool = True) -> list[SessionRun]:
        """The zygote cannot run sessions: every unfinished one is lost. With
        ``blame``, a block that was running is named as the one it was
        running (a block can kill its parent where it is not sandboxed)."""
        self.gone = why
        runs = list(self.runs.values())
        self.runs.clear()
        for run in runs:
            if run.started and blame:
                run.end(WorkerLost(f"{why} while this block ran"))
            else:
                run.started = False
                run.end(WorkerLost(why))
        if self.process.poll() is None:  # it never started: no workers yet
            self.process.kill()
        self.process.wait()
        return runs

    def close(self) -> None:
        """Stop the zygote (and any worker still running) and clean up."""
        self.outgoing += frames.frame(pickle.dumps(Stop(), protocol=5))
        try:
            self.socket.setblocking(True)
            self.socket.sendall(self.outgoing)
        except OSError:
            pass
        self.socket.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


def protocol_data(payload) -> BlockResult | Highlighted | WorkerLost:
    """A block's result as its worker pickled it, through an unpickler that
    refuses every class and function but the protocol's: a block owns its
    worker, so what it sends is untrusted, and a crafted pickle must not run
    in the builder. (Its shape is checked where it is used.)"""
    try:
        return RestrictedUnpickler(io.BytesIO(payload), protocol.ALLOWED).load()
    except Exception as error:  # noqa: BLE001 - any malformed pickle
        return WorkerLost(f"the worker sent a result that is not plain data: {error}")


def lost(code: int, timed_out: float, amount: int = 0, limits=None) -> WorkerLost:
    """What stopped a session whose worker ended before its last block
    (``timed_out``: the timeout it was killed at, or NaN; ``amount``: for a
    session killed over a limit of ``limits``, the bytes it held, or the
    length of the result it was sending)."""
    if not math.isnan(timed_out):
        return Timeout(f"timed out after {timed_out:g} s; its worker was killed")
    limits = limits or Limits()
    if code == WorkerExit.MEMORY:
        # (rounded up: a session over 512 MiB by less than half a MiB was
        # said to hold 512 MiB, "more than the 512 MiB" it may)
        held = math.ceil(amount / (1 << 20))
        return OverMemory(
            f"the session held {held:,} MiB of memory, more than "
            f"the {size(limits.memory)} a session may (EXEC_MEMORY: its processes, "
            "its /tmp and /dev/shm, its System V objects, its sockets, pipes and "
            "epoll watches), "
            "and was killed"
        )
    if code == WorkerExit.RESULTS:
        return OverResults(
            f"its result of {amount / (1 << 20):,.1f} MiB would have taken what "
            "the build's blocks send back (their output, figures and animations) "
            f"past {size(limits.results)} (EXEC_RESULTS_MAX); its worker was killed"
        )
    if code in (WorkerExit.OVERRUN, WorkerExit.LINGERED):
        return Overrun(how_it_ended(code))
    return WorkerLost(how_it_ended(code))
