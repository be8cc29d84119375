"""A warm process that forks one fresh worker per session.

Starting an interpreter and importing numpy or matplotlib costs far more than
a small block; forking a process that already did costs a few milliseconds.
The zygote imports the modules the posts use, then keeps a few children
forked ahead of need, each waiting to accept one connection of the builder
on the zygote's socket: a session starts without waiting for a fork, and the
zygote forks the next child while the session runs. Each child serves
exactly one session and exits, so sessions and posts never share state.
The zygote reports how each child ended, so a crash can be told from a
clean exit.

Runs as ``python -c "from executable_posts.zygote import main; main()"``,
with the control socket's file descriptor and a JSON description of its job.
"""

import gc
import importlib
import json
import os
import select
import selectors
import signal
import socket
import struct
import sys
import tempfile
from contextlib import suppress
from multiprocessing.connection import Connection


def preload(modules: list[str]) -> None:
    for name in modules:
        with suppress(Exception):  # the block that needs it reports the failure
            importlib.import_module(name)


def serve_child(listener: socket.socket, taken: int, alive: int, job: dict) -> None:
    """In a forked child: wait for one session, tell the zygote it was taken
    (so it forks the next), serve it, then exit. A child still waiting when
    the zygote is gone (``alive`` reads end of file) just exits."""
    from . import worker

    code = 0
    try:
        os.setsid()  # its own process group, so a kill takes its children too
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        sock = accept_one(listener, alive)
        if sock is None:
            return
        for fd in (listener.detach(), alive):
            os.close(fd)
        os.write(taken, struct.pack("i", os.getpid()))
        os.close(taken)
        worker.serve(Connection(sock.detach()), job["code_dirs"])
    except BaseException:  # noqa: BLE001 - nothing may escape into the zygote
        code = 70
    finally:
        os._exit(code)


def accept_one(listener: socket.socket, alive: int) -> socket.socket | None:
    """The next connection, or None once the zygote has gone. The listener
    is non-blocking: every waiting child is woken, one gets the connection."""
    while True:
        readable, _, _ = select.select([listener, alive], [], [])
        if alive in readable:
            return None
        try:
            sock, _ = listener.accept()
        except BlockingIOError:
            continue  # another child took it
        sock.setblocking(True)
        return sock


class ChildPool:
    """The zygote's socket, its children, and the pipes that tell it when a
    child took a session or ended."""

    def __init__(self, control: Connection, job: dict):
        self.control, self.job = control, job
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(job["socket"])
        self.listener.listen(128)
        self.listener.setblocking(False)  # shared by the waiting children
        self.ended_read, ended_write = os.pipe()  # SIGCHLD wakes the loop
        os.set_blocking(ended_write, False)
        signal.set_wakeup_fd(ended_write, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        self.taken_read, self.taken_write = os.pipe()  # a child: "I took one"
        self.alive_read, self.alive_write = os.pipe()  # EOF in children: gone
        self.own_fds = [self.ended_read, ended_write, self.taken_read]
        self.own_fds += [self.alive_write, control.fileno()]
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.taken_read, selectors.EVENT_READ, "taken")
        self.selector.register(self.ended_read, selectors.EVENT_READ, "ended")
        self.selector.register(control.fileno(), selectors.EVENT_READ, "control")
        self.children: set[int] = set()
        self.waiting: set[int] = set()

    def serve(self) -> None:
        """Keep ``ahead`` children waiting for sessions, forking another when
        one takes a session or dies waiting, until the builder says stop or
        goes away."""
        while True:
            while len(self.waiting) < self.job["ahead"]:
                self.fork_child()
            for key, _ in self.selector.select():
                if key.data == "taken":
                    data = os.read(self.taken_read, 4096)
                    for (pid,) in struct.iter_unpack("i", data):
                        self.waiting.discard(pid)
                elif key.data == "ended":
                    os.read(self.ended_read, 4096)
                    self.reap()
                else:
                    with suppress(EOFError):
                        self.control.recv()
                    return

    def fork_child(self) -> None:
        pid = os.fork()
        if pid == 0:
            self.selector.close()
            signal.set_wakeup_fd(-1)
            for fd in self.own_fds:
                os.close(fd)
            serve_child(self.listener, self.taken_write, self.alive_read, self.job)
        self.children.add(pid)
        self.waiting.add(pid)

    def reap(self) -> None:
        """Report how every child that ended did."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            self.waiting.discard(pid)
            self.control.send(("exit", pid, os.waitstatus_to_exitcode(status)))

    def kill_children(self) -> None:
        for pid in self.children:
            for kill in (os.killpg, os.kill):  # a child not yet in its own group
                with suppress(OSError):
                    kill(pid, signal.SIGKILL)


def main() -> None:
    control = Connection(int(sys.argv[1]))
    job = json.loads(sys.argv[2])
    preload(job["preload"])
    from . import worker  # imported once here, not in every child

    if "matplotlib.pyplot" in sys.modules:
        from . import figures  # noqa: F401
    tempfile.gettempdir()  # found once here, not probed again in every child
    worker.mark_preloaded()
    gc.freeze()  # children's collections leave the zygote's objects (and pages) alone

    zygote = ChildPool(control, job)
    control.send(("ready", os.getpid()))
    try:
        zygote.serve()
    finally:
        # Stopped by the builder, or interrupted (Ctrl-C): no worker outlives
        # the zygote, so no builder thread waits on a block that still runs.
        zygote.kill_children()
        os._exit(0)
