"""Run a session's blocks, one after another, inside a worker process.

This module runs only in the worker (a child forked by the zygote), never in
the builder. It captures everything a block leaves behind (stdout and stderr
at the file-descriptor level, the exception, matplotlib figures and
animations) and sends it back as plain data: nothing the builder receives
needs the block's own classes to be unpickled.
"""

import io
import linecache
import os
import shutil
import sys
import tempfile
import time
import traceback
from contextlib import contextmanager, suppress

from . import pytest_runner

TEXT_LIMIT = 1_000_000  # characters of stdout/stderr kept per block
PRELOADED: frozenset = frozenset()  # sys.modules as the zygote forks (see mark)


def mark_preloaded() -> None:
    """Remember, in the zygote, the modules every worker starts with."""
    global PRELOADED
    PRELOADED = frozenset(sys.modules)


@contextmanager
def captured():
    """Collect fd 1 and 2 (and ``sys.stdout``/``sys.stderr``) into two strings."""
    streams = {}
    sys.stdout.flush()
    sys.stderr.flush()
    with scratch_file("stdout") as out, scratch_file("stderr") as err:
        yield from redirected({1: out, 2: err}, streams)


def scratch_file(name: str):
    """An anonymous file in memory where the system has them, else on disk."""
    if hasattr(os, "memfd_create"):
        return open(os.memfd_create(name), "w+b")
    return tempfile.TemporaryFile()


def redirected(files: dict, streams: dict):
    saved = {fd: os.dup(fd) for fd in files}
    saved_streams = sys.stdout, sys.stderr
    for fd, file in files.items():
        os.dup2(file.fileno(), fd)
    sys.stdout, sys.stderr = (
        io.TextIOWrapper(
            io.FileIO(fd, "w", closefd=False),
            encoding="utf-8",
            errors="backslashreplace",
            write_through=True,
        )
        for fd in files
    )
    try:
        yield streams
    finally:
        for stream in (sys.stdout, sys.stderr):
            with suppress(ValueError):  # the block closed it
                stream.flush()
        sys.stdout, sys.stderr = saved_streams
        for fd, file in files.items():
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
            file.seek(0)
            text = file.read().decode("utf-8", errors="replace")
            if len(text) > TEXT_LIMIT:
                text = text[:TEXT_LIMIT] + f"\n[... {len(text) - TEXT_LIMIT} more]"
            streams["stdout" if fd == 1 else "stderr"] = text


def describe_exception(error: BaseException, filename: str) -> dict:
    """Plain data about ``error``: its types, message and a traceback that
    starts in the block, with the block's own deepest line."""
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next  # drop the worker's own frames
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == filename:
            line = lineno
    if isinstance(error, SyntaxError) and error.filename == filename:
        line = error.lineno
    text = "".join(traceback.format_exception(type(error), error, tb))
    return {
        "type": type(error).__name__,
        "types": [
            f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__
        ],
        "message": str(error),
        "traceback": text,
        "line": line,
    }


def compiled(request: dict):
    """The block's code compiled so that tracebacks point into its source file
    (padded to its first line there, and known to ``linecache``)."""
    filename = request["filename"]
    source = "\n" * (request["first_line"] - 1) + request["code"]
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return compile(source, filename, "exec")


def run_block(request: dict, namespace: dict, state: dict) -> dict:
    result = {"exception": None, "figures": [], "animations": [], "tests": []}
    started = time.perf_counter()
    with captured() as streams:
        try:
            if request["mode"] == "pytest":
                result["tests"] = pytest_runner.run(request, state["directory"])
                pytest_runner.print_report(result["tests"])
            else:
                exec(compiled(request), namespace)
        except BaseException as error:  # noqa: BLE001 - the block's, reported
            result["exception"] = describe_exception(error, request["filename"])
        try:
            if request["mode"] != "pytest":
                result["animations"] = save_animations(request, namespace, state)
                result["figures"] = save_figures(request)
        except Exception as error:
            result["exception"] = result["exception"] or {
                **describe_exception(error, request["filename"]),
                "message": f"saving the block's figures failed: {error}",
            }
    result["seconds"] = time.perf_counter() - started
    result.update(streams)
    result["modules"] = code_modules(state["code_dirs"])
    return result


def code_modules(code_dirs: list[str]) -> list[str]:
    """Files of the code directories that are imported now: the block's
    dependencies beyond its own source. Only modules imported since the
    zygote started can be such files."""
    if len(sys.modules) == len(PRELOADED):
        return []
    roots = tuple(os.path.join(os.path.realpath(d), "") for d in code_dirs)
    found = set()
    for name in sys.modules.keys() - PRELOADED:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and os.path.realpath(file).startswith(roots):
            found.add(os.path.realpath(file))
    return sorted(found)


def save_figures(request: dict) -> list[dict]:
    if "matplotlib.pyplot" not in sys.modules:
        return []
    from . import figures

    return figures.save_open_figures(request.get("figure", "auto"))


def save_animations(request: dict, namespace: dict, state: dict) -> list[dict]:
    if not request.get("animation") or "matplotlib.animation" not in sys.modules:
        return []
    from . import figures

    return figures.save_new_animations(
        namespace, request["animation"], state.setdefault("saved", set())
    )


def serve(conn, code_dirs: list[str]) -> None:
    """Run one session: the blocks the builder sends, in order, each result
    sent back as soon as it is known."""
    try:
        requests = conn.recv()
    except EOFError:
        return
    conn.send(("ready", os.getpid()))
    directory = tempfile.mkdtemp(prefix="session-")
    os.chdir(directory)
    state = {
        "code_dirs": code_dirs,
        "directory": directory,
    }
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    sys.argv = ["post"]
    try:
        for request in requests:
            conn.send(run_block(request, namespace, state))
    finally:
        os.chdir("/")
        shutil.rmtree(directory, ignore_errors=True)
