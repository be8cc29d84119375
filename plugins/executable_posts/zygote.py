"""A warm process that forks one fresh worker per session.

Starting an interpreter and importing numpy or matplotlib costs far more than
a small block; forking a process that already did costs a few milliseconds.
The zygote imports the modules the posts use, then forks a child for every
connection the builder makes to its socket. Each child serves exactly one
session and exits, so sessions and posts never share state. The zygote
reports how each child ended, so a crash can be told from a clean exit.

Runs as ``python -c "from executable_posts.zygote import main; main()"``,
with the control socket's file descriptor and a JSON description of its job.
"""

import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import tempfile
from contextlib import suppress
from multiprocessing.connection import Connection


def preload(modules: list[str]) -> None:
    for name in modules:
        with suppress(Exception):  # the block that needs it reports the failure
            importlib.import_module(name)


def serve_child(sock: socket.socket, job: dict) -> None:
    """In the forked child: become one session's worker, then exit."""
    from . import worker

    os.setsid()  # its own process group, so a kill takes its children too
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    code = 0
    try:
        worker.serve(Connection(sock.detach()), job["code_dirs"])
    except BaseException:  # noqa: BLE001 - nothing may escape into the zygote
        code = 70
    finally:
        os._exit(code)


def reap(control: Connection, children: set) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        children.discard(pid)
        control.send(("exit", pid, os.waitstatus_to_exitcode(status)))


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

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(job["socket"])
    listener.listen(128)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "connect")
    selector.register(control.fileno(), selectors.EVENT_READ, "control")
    selector.register(wake_read, selectors.EVENT_READ, "child")
    control.send(("ready", os.getpid()))
    children: set[int] = set()
    try:
        serve(selector, listener, control, (wake_read, wake_write), children, job)
    finally:
        # Stopped by the builder, or interrupted (Ctrl-C): no worker outlives
        # the zygote, so no builder thread waits on a block that still runs.
        for pid in children:
            with suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        os._exit(0)


def serve(selector, listener, control, wake, children: set, job: dict) -> None:
    """Fork a worker per connection until the builder says stop or goes away."""
    wake_read, wake_write = wake
    while True:
        for key, _ in selector.select():
            if key.data == "connect":
                sock, _ = listener.accept()
                pid = os.fork()
                if pid == 0:
                    selector.close()
                    listener.close()
                    signal.set_wakeup_fd(-1)
                    for fd in (wake_read, wake_write, control.fileno()):
                        os.close(fd)
                    serve_child(sock, job)
                sock.close()
                children.add(pid)
            elif key.data == "child":
                os.read(wake_read, 4096)
                reap(control, children)
            else:
                with suppress(EOFError):
                    control.recv()
                return
