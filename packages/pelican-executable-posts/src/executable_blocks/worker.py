"""Run a session's blocks, one after another, inside a worker process.

This module runs only in the worker (a child forked by the zygote), never in
the builder. It captures everything a block leaves behind (stdout and stderr
at the file-descriptor level, the exception, matplotlib figures and
animations) and sends it back as a ``protocol.BlockResult``: nothing the
builder receives needs the block's own classes to be unpickled.

A worker is forked for one session and does little else, so what it touches
is kept small: every page of the zygote's memory it writes to is copied.
"""

import io
import linecache
import os
import pickle
import sys
import time
import traceback
from contextlib import contextmanager, suppress
from dataclasses import replace

from . import frames
from .protocol import (
    MESSAGE_LIMIT,
    TEXT_LIMIT,
    TRACEBACK_LIMIT,
    BlockRequest,
    BlockResult,
    ExceptionInfo,
    Highlighted,
    HighlightRequest,
    Picture,
    shortened,
)

PRELOADED: frozenset = frozenset()  # sys.modules as the zygote forks (see mark)
STREAMS: dict[int, io.TextIOWrapper] = {}  # a block's sys.stdout and sys.stderr
# where executable_blocks is imported from (PYTHONPATH's first entry)
ENGINE_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def mark_preloaded() -> None:
    """In the zygote: remember the modules every worker starts with, and make
    the text streams blocks print to (made once here, not in every worker)."""
    global PRELOADED
    PRELOADED = frozenset(sys.modules)
    for fd in (1, 2):
        block_stream(fd)


def import_from(code_dirs: list[str]) -> None:
    """Let the blocks import the code directories' modules, after the
    engine's own (where ``PYTHONPATH`` would have put them). They are never
    on the zygote's path: a module there named like one the zygote or a
    preloaded library imports (``json.py``) would run outside the sandbox."""
    where = sys.path.index(ENGINE_ROOT) + 1 if ENGINE_ROOT in sys.path else 0
    sys.path[where:where] = code_dirs


def detach_from_build() -> None:
    """Point standard input, output and error at /dev/null. They were the
    build's (its terminal, its log), and a block holding them could write
    there what the build's log filter escapes (terminal escapes), or read
    what is typed; what a block prints is captured from these descriptors
    all the same (``captured``)."""
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)


def block_stream(fd: int) -> io.TextIOWrapper:
    """A UTF-8 stream on ``fd`` that writes through, so Python's prints and
    what subprocesses write to the same descriptor keep their order."""
    stream = STREAMS.get(fd)
    if stream is None or stream.closed:  # a block may close sys.stdout
        stream = STREAMS[fd] = io.TextIOWrapper(
            io.FileIO(fd, "w", closefd=False),
            encoding="utf-8",
            errors="backslashreplace",
            write_through=True,
        )
    return stream


@contextmanager
def captured():
    """Collect fd 1 and 2 (and ``sys.stdout``/``sys.stderr``) into two strings."""
    streams: dict[str, str] = {}
    flush(sys.stdout, sys.stderr)
    scratch = {1: scratch_file("stdout"), 2: scratch_file("stderr")}
    saved = {fd: os.dup(fd) for fd in scratch}
    saved_streams = sys.stdout, sys.stderr
    for fd, file in scratch.items():
        os.dup2(file, fd)
    sys.stdout, sys.stderr = block_stream(1), block_stream(2)
    try:
        yield streams
    finally:
        flush(sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = saved_streams
        for fd, file in scratch.items():
            os.dup2(saved[fd], fd)
            os.close(saved[fd])
            streams["stdout" if fd == 1 else "stderr"] = read_text(file)
            os.close(file)


def flush(*streams) -> None:
    for stream in streams:
        with suppress(ValueError, OSError, AttributeError):  # closed, or replaced
            stream.flush()


_memory_files = hasattr(os, "memfd_create")  # until refused (a session's filter)


def scratch_file(name: str) -> int:
    """An anonymous file: in memory where the system allows it; else (a
    session, whose filter refuses memory files) an unnamed file of the
    temporary directory, in a session its own ``/tmp``, which counts in
    its memory."""
    global _memory_files
    if _memory_files:
        try:
            return os.memfd_create(name)
        except OSError:
            _memory_files = False
    directory = os.environ.get("TMPDIR") or "/tmp"
    try:
        return os.open(directory, os.O_TMPFILE | os.O_RDWR, 0o600)
    except OSError:  # (a file system without unnamed files)
        import tempfile

        fd, path = tempfile.mkstemp(prefix=f"{name}-", dir=directory)
        os.unlink(path)
        return fd


def read_text(fd: int) -> str:
    data = os.pread(fd, os.fstat(fd).st_size, 0)
    return shortened(data.decode("utf-8", errors="replace"), TEXT_LIMIT)


def describe_exception(error: BaseException, filename: str) -> ExceptionInfo:
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
    text = shortened(text, TRACEBACK_LIMIT, keep_end=True)  # (its end: the error)
    message = " ".join(filter(None, (str(error), limit_hint(error))))
    return ExceptionInfo(
        type=type(error).__name__,
        types=tuple(
            f"{cls.__module__}.{cls.__qualname__}" for cls in type(error).__mro__
        ),
        message=shortened(message, MESSAGE_LIMIT),
        traceback=text,
        line=line,
    )


def limit_hint(error: BaseException) -> str:
    """What sandbox limit an error may come from, for the author to see."""
    import errno
    import resource

    if isinstance(error, MemoryError):
        kind, setting, what = resource.RLIMIT_AS, "EXEC_MEMORY", "of memory a process"
    elif isinstance(error, OSError) and error.errno == errno.EFBIG:
        kind, setting, what = resource.RLIMIT_FSIZE, "EXEC_FILE_SIZE", "a file"
    elif isinstance(error, OSError) and error.errno == errno.EAGAIN:
        from . import sandbox

        if sandbox.PROCESSES_BOUND is None:  # (no bound of the sandbox's)
            return ""
        return (
            f"(the sandbox allows {sandbox.PROCESSES_BOUND} processes and threads "
            "a session: EXEC_PROCESSES)"
        )
    else:
        return ""
    limit = resource.getrlimit(kind)[0]
    if limit == resource.RLIM_INFINITY:
        return ""
    from .sandbox import size

    return f"(the sandbox allows {size(limit)} {what}: {setting})"


def compiled(request: BlockRequest):
    """The block's code compiled so that tracebacks point into its source file
    (padded to its first line there, and known to ``linecache`` beside the
    session's earlier blocks of that file, whose functions it may call)."""
    filename = request.filename
    source = "\n" * (request.first_line - 1) + request.code
    lines = source.splitlines(True)
    known = linecache.cache.get(filename)
    if known and known[1] is None:  # (lines of ours, not read from a file)
        earlier, start = known[2], request.first_line - 1
        padding = ["\n"] * (start - len(earlier))
        lines = earlier[:start] + padding + lines[start:] + earlier[len(lines) :]
    linecache.cache[filename] = (len(source), None, lines, filename)
    return compile(source, filename, "exec")


def link_files(files: tuple[tuple[str, str], ...]) -> None:
    """Each ``depends=`` file at the path the post names it by, relative to
    the working directory (the post's folder's place), so that the block
    opens it as written; a name that leads out of the directory is left to
    its absolute path, and one the session has made already is its own."""
    for name, path in files:
        name = os.path.normpath(name)
        leads_out = name == ".." or name.startswith(("../", "/"))
        if leads_out or os.path.lexists(name):
            continue
        with suppress(OSError):  # (a file of the session's where a folder goes)
            os.makedirs(os.path.dirname(name) or ".", exist_ok=True)
            os.symlink(path, name)


def run_block(request: BlockRequest, namespace: dict, state: dict) -> BlockResult:
    exception, figures, animations, tests = None, (), (), ()
    link_files(request.files)
    started = time.perf_counter()
    with captured() as streams:
        try:
            if request.mode == "pytest":
                from . import pytest_runner  # (preloaded for such blocks)

                tests = pytest_runner.run(request, state["directory"])
                pytest_runner.print_report(tests)
            else:
                exec(compiled(request), namespace)
        except BaseException as error:  # noqa: BLE001 - the block's, reported
            exception = describe_exception(error, request.filename)
        try:
            if request.mode != "pytest":
                animations = save_animations(request, namespace, state)
                figures = save_figures(request)
        except Exception as error:
            exception = exception or replace(
                describe_exception(error, request.filename),
                message=f"saving the block's figures failed: {error}",
            )
    return BlockResult(
        stdout=streams["stdout"],
        stderr=streams["stderr"],
        exception=exception,
        figures=figures,
        animations=animations,
        tests=tests,
        seconds=time.perf_counter() - started,
        modules=code_modules(state["code_dirs"]),
    )


def code_modules(code_dirs: list[str]) -> tuple[str, ...]:
    """Files of the code directories that are imported now: the block's
    dependencies beyond its own source. Only modules imported since the
    zygote started can be such files."""
    if len(sys.modules) == len(PRELOADED):
        return ()
    roots = tuple(os.path.join(os.path.realpath(d), "") for d in code_dirs)
    found = set()
    for name in sys.modules.keys() - PRELOADED:
        file = getattr(sys.modules.get(name), "__file__", None)
        if file and os.path.realpath(file).startswith(roots):
            found.add(os.path.realpath(file))
    return tuple(sorted(found))


def save_figures(request: BlockRequest) -> tuple[Picture, ...]:
    if "matplotlib.pyplot" not in sys.modules:
        return ()
    from . import figures

    return figures.save_open_figures(request.figure)


def save_animations(
    request: BlockRequest, namespace: dict, state: dict
) -> tuple[Picture, ...]:
    if not request.animation or "matplotlib.animation" not in sys.modules:
        return ()
    from . import figures

    return figures.save_new_animations(
        namespace, request.animation, state.setdefault("saved", set())
    )


def run_session(
    requests: tuple[BlockRequest | HighlightRequest, ...],
    out: int,
    code_dirs: list[str],
    directory: str,
) -> None:
    """Run one session's requests in order, in ``directory`` (empty, and its
    own while it runs), and write each result to ``out`` as a frame as soon
    as it is known."""
    detach_from_build()
    import_from(code_dirs)
    os.chdir(directory)
    state = {"code_dirs": code_dirs, "directory": directory}
    namespace = {"__name__": "__main__", "__builtins__": __builtins__}
    sys.argv = ["post"]
    for request in requests:
        if isinstance(request, HighlightRequest):
            result = highlighted(request.codes)
        else:
            result = run_block(request, namespace, state)
        frames.write_all(out, frames.frame(pickle.dumps(result, protocol=5)))


def highlighted(codes: tuple[str, ...]) -> Highlighted:
    """The builder's chore, done in a worker to spare Pelican's thread: the
    tokens of each code, which the page is rendered from. Pygments' lexer is
    loaded here, in this worker alone, not in the zygote."""
    from .render import code_tokens

    return Highlighted(tuple(code_tokens(code) for code in codes))
