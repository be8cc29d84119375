"""The worker processes, for real: a zygote forks one worker per session."""

import math
import os
import time
from pathlib import Path

import pytest

from block_results import block_request
from executable_blocks import zygote_client
from executable_blocks.errors import NotRun, WorkerLost
from executable_blocks.protocol import BlockResult, WorkerExit
from executable_blocks.zygote import preload, preloadable
from executable_blocks.zygote_client import OverResults, Timeout, ZygoteClient
from helpers import block_waiting_for, eventually


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("code")
    (directory / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    return directory


@pytest.fixture(scope="module", params=["pidfd", "signal"])
def zygote(request, code_dir):
    """A zygote that learns of its workers' ends from pidfds, and one that
    learns of them from SIGCHLD (systems without pidfds)."""
    zygote = ZygoteClient(
        ["matplotlib.pyplot", "matplotlib.animation"],
        [str(code_dir)],
        exits=request.param,
    )
    yield zygote
    zygote.close()


def session(zygote, *codes: str, timeout: float = 30, **options) -> list:
    """The result of each block of a session: a ``BlockResult``, or the
    ``WorkerLost`` that stopped it."""
    run = zygote.submit(
        [block_request(c, **options) for c in codes], [timeout] * len(codes)
    )
    zygote.wait(run)
    assert run.done and len(run.results) == len(codes)
    return run.results


def run(zygote, code: str, timeout: float = 30, **options):
    (result,) = session(zygote, code, timeout=timeout, **options)
    return result


def test_stdout_and_stderr_are_captured_at_the_file_descriptor(zygote):
    code = (
        "import os, sys\nprint('out')\nprint('err', file=sys.stderr)\n"
        "os.system('echo shell')\n"
    )
    result = run(zygote, code)
    assert result.stdout == "out\nshell\n"
    assert result.stderr == "err\n"
    assert result.exception is None


def test_blocks_of_a_session_share_state(zygote):
    first, second = session(zygote, "total = 40\n", "print(total + 2)\n")
    assert second.stdout == "42\n"


def test_sessions_do_not_share_state(zygote):
    run(zygote, "leftover = 1\n")
    result = run(zygote, "print(leftover)\n")
    assert result.exception.type == "NameError"


def test_traceback_line_numbers_point_into_the_post(zygote):
    code = "def f():\n    return 1 / 0\n\nf()\n"
    result = run(zygote, code, first_line=20)
    error = result.exception
    assert error.type == "ZeroDivisionError"
    assert error.line == 21
    assert 'File "content/posts/post.md", line 21, in f' in error.traceback
    assert "return 1 / 0" in error.traceback
    assert "worker.py" not in error.traceback


def test_a_traceback_shows_the_lines_of_every_block_of_the_post_it_passes(zygote):
    """A function of an earlier block of the session, failing when a later
    one calls it: its frame showed no line of code."""
    blocks = [
        block_request("def f(x):\n    return 1 / x\n", first_line=5),
        block_request("print(f(0))\n", first_line=12),
    ]
    run = zygote.submit(blocks, [30, 30])
    zygote.wait(run)
    traceback = run.results[1].exception.traceback
    assert 'File "content/posts/post.md", line 12, in <module>' in traceback
    assert "print(f(0))" in traceback
    assert 'File "content/posts/post.md", line 6, in f' in traceback
    assert "return 1 / x" in traceback


def test_syntax_error_points_at_its_line(zygote):
    error = run(zygote, "x = 1\nx +* 2\n", first_line=5).exception
    assert (error.type, error.line) == ("SyntaxError", 6)


def test_sys_exit_is_the_blocks_exception_not_the_workers_end(zygote):
    error = run(zygote, "import sys\nsys.exit(3)\n").exception
    assert error.type == "SystemExit" and error.message == "3"


def test_os_exit_is_reported_with_its_exit_code(zygote):
    exited, after = session(zygote, "import os\nos._exit(7)\n", "print(1)\n")
    assert isinstance(exited, WorkerLost) and not isinstance(exited, NotRun)
    assert str(exited) == "the worker process exited with code 7"
    assert isinstance(after, NotRun)
    assert str(after) == "not run: the worker process exited with code 7"


def test_exit_code_zero_before_the_last_block_is_still_a_loss(zygote):
    exited, _ = session(zygote, "import os\nos._exit(0)\n", "print(1)\n")
    assert str(exited) == "the worker process exited with code 0"


def test_segfault_is_reported_with_its_signal(zygote):
    result = run(zygote, "import ctypes\nctypes.string_at(0)\n")
    assert str(result) == "the worker process was killed by SIGSEGV"


def test_infinite_loop_is_killed_after_the_timeout(zygote):
    started = time.monotonic()
    result = run(zygote, "while True:\n    pass\n", timeout=1)
    assert isinstance(result, Timeout)
    assert str(result) == "timed out after 1 s; its worker was killed"
    assert 1 <= result.seconds < 10 and time.monotonic() - started < 10
    assert run(zygote, "print('still working')\n").stdout == "still working\n"


def test_each_block_has_its_own_timeout(zygote):
    """A slow block after quick ones gets its own time, not what is left of
    the session's."""
    fast, slow = session(
        zygote,
        "import time\ntime.sleep(0.6)\n",
        "import time\ntime.sleep(0.6)\n",
        timeout=1,
    )
    assert fast.exception is None and slow.exception is None


def test_a_timeout_kills_the_blocks_own_processes_too(zygote, tmp_path):
    marker = tmp_path / "child.pid"
    code = (
        "import subprocess, sys\n"
        "sleep = 'import time; time.sleep(60)'\n"
        "child = subprocess.Popen([sys.executable, '-c', sleep])\n"
        f"open({str(marker)!r}, 'w').write(str(child.pid))\n"
        "child.wait()\n"
    )
    assert isinstance(run(zygote, code, timeout=1), Timeout)
    pid = int(marker.read_text())
    eventually(lambda: not alive(pid), what="the block's subprocess outlived it")


def test_block_runs_in_its_own_temporary_directory(zygote):
    result = run(
        zygote, "import os\nopen('litter.txt', 'w').close()\nprint(os.getcwd())\n"
    )
    assert "session-" in result.stdout


def test_every_session_starts_in_an_empty_directory(zygote):
    """A directory a session left files in is not given to another one."""
    litter = "import os\nopen('litter.txt', 'w').close()\nprint(os.listdir())\n"
    for _ in range(4):
        assert run(zygote, litter).stdout == "['litter.txt']\n"
    for _ in range(4):
        assert run(zygote, "import os\nprint(os.listdir())\n").stdout == "[]\n"


def test_hash_order_is_the_same_in_every_build(code_dir, zygote):
    code = "print(list({'alpha', 'beta', 'gamma', 'delta'}))\n"
    other = ZygoteClient([], [str(code_dir)])
    try:
        assert run(zygote, code).stdout == run(other, code).stdout
    finally:
        other.close()


def test_code_directory_modules_are_importable_and_reported(code_dir, zygote):
    result = run(zygote, "from helper import double\nprint(double(21))\n")
    assert result.stdout == "42\n"
    assert result.modules == (str((code_dir / "helper.py").resolve()),)


LINE_PLOT = "import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, 1, 4])\n"


def test_line_figures_are_saved_as_reproducible_svg(zygote):
    first, second = run(zygote, LINE_PLOT), run(zygote, LINE_PLOT)
    (figure,) = first.figures
    assert figure.format == "svg" and figure.data.startswith(b"<?xml")
    assert (figure.width, figure.height) == (640, 480)
    assert figure.data == second.figures[0].data


def test_svg_figures_carry_a_png_of_themselves_for_sharing(zygote):
    (figure,) = run(zygote, LINE_PLOT).figures
    raster = figure.raster
    assert raster.format == "png" and raster.data.startswith(b"\x89PNG")
    assert (raster.width, raster.height) == (figure.width, figure.height)
    (again,) = run(zygote, LINE_PLOT).figures
    assert again.raster.data == raster.data  # reproducible too


def test_image_figures_are_saved_as_png(zygote):
    code = "import matplotlib.pyplot as plt\nplt.imshow([[0, 1], [1, 0]])\n"
    (figure,) = run(zygote, code).figures
    assert figure.format == "png" and figure.data.startswith(b"\x89PNG")
    assert figure.raster is None  # already one


def test_figure_format_can_be_chosen(zygote):
    (figure,) = run(zygote, LINE_PLOT, figure="png").figures
    assert figure.format == "png"


def test_figures_are_closed_after_each_block(zygote):
    plotted, printed = session(zygote, LINE_PLOT, "print(1)\n")
    assert len(plotted.figures) == 1
    assert printed.figures == ()


def test_animation_is_saved_as_gif(zygote):
    code = (
        "import matplotlib.pyplot as plt\n"
        "from matplotlib.animation import FuncAnimation\n"
        "fig, ax = plt.subplots(figsize=(2, 2))\n"
        "(line,) = ax.plot([], [])\n"
        "def frame(i):\n"
        "    line.set_data([0, i], [0, i])\n"
        "    return (line,)\n"
        "anim = FuncAnimation(fig, frame, frames=3, interval=100)\n"
    )
    result = run(zygote, code, animation="gif")
    (gif,) = result.animations
    assert gif.format == "gif" and gif.data.startswith(b"GIF8")
    assert result.figures == ()  # the animated figure is not also a still


def test_pytest_block_prints_a_summary_of_outcomes(zygote):
    code = (
        "import pytest\n\n@pytest.mark.parametrize('x', [1, 2])\n"
        "def test_even(x):\n    assert x % 2 == 0\n"
    )
    result = run(zygote, code, mode="pytest")
    assert result.stdout.splitlines() == [
        "FAILED test_even[1] - assert (1 % 2) == 0",
        "PASSED test_even[2]",
        "1 failed, 1 passed",
    ]
    assert result.tests[0].line == 5  # the failing assert


def test_a_worker_starts_without_the_builders_modules(zygote):
    """Workers fork from a zygote that imported what the posts use, and not
    Pelican, Markdown or the engine's builder side: posts cannot see them,
    and every fork stays small."""
    builders = (
        "pelican",
        "markdown",
        "jinja2",
        "rich",
        "executable_blocks.engine",
        "executable_blocks.zygote_client",
        "pelican.plugins.executable_posts.wiring",
    )
    code = f"import sys\nprint([m for m in {builders!r} if m in sys.modules])\n"
    assert run(zygote, code).stdout == "[]\n"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in status_of(pid)


def status_of(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0]
    except (OSError, IndexError):
        return "Z"


def test_many_sessions_at_once_each_get_their_own_results(code_dir):
    """Workers end while others start, reusing pipe and pidfd numbers: every
    result still reaches its own session."""
    zygote = ZygoteClient([], [str(code_dir)], workers=3)
    try:
        runs = [
            zygote.submit(
                [block_request(f"print({n})"), block_request(f"print({n} * 2)")],
                [30, 30],
            )
            for n in range(300)
        ]
        for each in runs:
            zygote.wait(each)
        printed = [[r.stdout for r in each.results] for each in runs]
        assert printed == [[f"{n}\n", f"{n * 2}\n"] for n in range(300)]
    finally:
        zygote.close()


@pytest.mark.parametrize("workers", [1, 2])
def test_sessions_run_at_most_workers_at_once(code_dir, workers):
    zygote = ZygoteClient([], [str(code_dir)], workers=workers)
    code = (
        "import time\nstart = time.time()\ntime.sleep(0.3)\nprint(start, time.time())\n"
    )
    try:
        runs = [zygote.submit([block_request(code)], [30]) for _ in range(4)]
        for each in runs:
            zygote.wait(each)
        spans = sorted(tuple(map(float, r.results[0].stdout.split())) for r in runs)
        # most blocks running at one moment: at some block's start (a block
        # overlapping two that do not overlap each other is not three at once)
        overlapping = max(
            sum(start_ <= start < end_ for start_, end_ in spans) for start, _ in spans
        )
        assert overlapping == workers
    finally:
        zygote.close()


def test_results_come_without_the_builder_waiting(code_dir):
    """``poll(0)`` returns at once; the sessions run meanwhile. The session
    cannot end before the test lets it go, after ``poll(0)`` has returned
    (one that waited would get the session's timeout after 30 s)."""
    go = code_dir / "go"
    waits = block_waiting_for(go) + "print('let go')"
    zygote = ZygoteClient([], [str(code_dir)])
    try:
        each = zygote.submit([block_request(waits)], [30])
        assert zygote.poll(0) == [] and not each.done
        go.touch()
        eventually(lambda: zygote.poll(0.1) == [each] or each.done)
        assert each.results[0].stdout == "let go\n"
    finally:
        zygote.close()


def test_workers_are_killed_when_the_builder_goes(code_dir):
    zygote = ZygoteClient([], [str(code_dir)])
    each = zygote.submit(
        [
            block_request("import os\nprint(os.getpid())"),
            block_request("import time\ntime.sleep(60)"),
        ],
        [60, 60],
    )
    # the first block has run, and the second runs on: nothing is done yet
    eventually(lambda: zygote.poll(0.1) == [] and len(each.results) == 1)
    pid = int(each.results[0].stdout)
    assert alive(pid)
    zygote.socket.close()  # as when the builder's process ends
    try:
        eventually(lambda: not alive(pid), what="the worker outlived its builder")
        assert zygote.process.wait(timeout=10) == 0
    finally:
        zygote.close()


def test_sessions_are_lost_with_the_zygote(code_dir):
    """The block that was running is named (it may be what killed the
    zygote); the sessions still waiting did not run."""
    zygote = ZygoteClient([], [str(code_dir)], workers=1)
    try:
        each = zygote.submit([block_request("import time\ntime.sleep(60)")], [60])
        queued = zygote.submit([block_request("print(1)")], [60])
        # its worker is forked, and nothing is done yet
        eventually(lambda: zygote.poll(0.1) == [] and each.started)
        zygote.process.kill()
        zygote.wait(each)
        lost = "the zygote was killed by SIGKILL"
        assert str(each.results[0]) == f"{lost} while this block ran"
        assert isinstance(queued.results[0], NotRun)
        assert str(queued.results[0]) == f"not run: {lost}"
        later = zygote.submit([block_request("print(1)")], [60])
        assert later.done and str(later.results[0]) == f"not run: {lost}"
    finally:
        zygote.close()


def test_a_zygote_that_does_not_start_fails_its_sessions(monkeypatch):
    """(No zygote is ready within no time at all: the client gives up.)"""
    monkeypatch.setattr(zygote_client, "START_TIMEOUT", 0)
    zygote = ZygoteClient([], [])
    try:
        each = zygote.submit([block_request("print(1)")], [60])
        zygote.wait(each)
        assert str(each.results[0]) == "not run: the zygote did not start"
    finally:
        zygote.close()


def test_modules_preloaded_later_reach_only_the_sessions_after(code_dir):
    zygote = ZygoteClient([], [str(code_dir)])
    probe = "import sys\nprint('colorsys' in sys.modules)\n"
    try:
        assert run(zygote, probe).stdout == "False\n"
        zygote.preload(["colorsys"])
        assert run(zygote, probe).stdout == "True\n"
    finally:
        zygote.close()


def test_imports_for_later_sessions_wait_behind_the_sessions_already_waiting(
    code_dir,
):
    """A session waiting for a worker needs none of what is preloaded after
    it: the build's longest session, submitted first, used to wait for the
    imports of every other post's (0.9 s of the blog's cold build)."""
    zygote = ZygoteClient([], [str(code_dir)], workers=1)
    probe = "import sys\nprint('colorsys' in sys.modules)\n"
    try:
        busy = zygote.submit([block_request("import time; time.sleep(1)")], [30])
        waiting = zygote.submit([block_request(probe)], [30])
        zygote.preload(["colorsys"])
        after = zygote.submit([block_request(probe)], [30])
        for each in (busy, waiting, after):
            zygote.wait(each)
        assert waiting.results[0].stdout == "False\n"
        assert after.results[0].stdout == "True\n"
    finally:
        zygote.close()


def test_an_urgent_session_runs_before_those_already_waiting(code_dir):
    zygote = ZygoteClient([], [str(code_dir)], workers=1)
    stamp = "import time\nprint(time.monotonic())\n"
    try:
        first = zygote.submit([block_request("import time\ntime.sleep(0.5)")], [30])
        waiting = [zygote.submit([block_request(stamp)], [30]) for _ in range(2)]
        urgent = zygote.submit([block_request(stamp)], [30], urgent=True)
        for each in (first, *waiting, urgent):
            zygote.wait(each)
        started = [float(r.results[0].stdout) for r in (urgent, *waiting)]
        assert started == sorted(started)
    finally:
        zygote.close()


def test_a_result_over_the_frame_limit_kills_its_worker(zygote):
    code = (
        "import struct, sys, os\n"
        "out = sys._getframe(2).f_locals['out']\n"
        "os.write(out, struct.pack('!I', 1 << 30) + b'x' * 1024)\n"
        "import time\ntime.sleep(30)\n"
    )
    result = run(zygote, code)
    assert str(result) == (
        "the worker process sent a result over 256 MiB and was killed"
    )


PRINTS_900_KB = "print('x' * 900_000)"


def test_what_the_sessions_of_a_build_send_back_is_bounded_in_all():
    """The builder holds every result until the pages are written: posts of
    many blocks of huge output (a block may send 256 MiB) could fill its
    memory, however little each session holds. The zygote stops the session
    whose result would pass the build's budget, and only it."""
    zygote = ZygoteClient([], [], workers=1, sandbox={"results": 3 << 20})
    try:
        results = [run(zygote, PRINTS_900_KB) for _ in range(4)]
        after = run(zygote, "print('small')")
    finally:
        zygote.close()
    assert [len(r.stdout) for r in results[:3]] == [900_001] * 3
    assert isinstance(results[3], OverResults)
    assert str(results[3]) == (
        "its result of 0.9 MiB would have taken what the build's blocks send "
        "back (their output, figures and animations) past 3 MiB "
        "(EXEC_RESULTS_MAX); its worker was killed"
    )
    assert after.stdout == "small\n"  # (what was left of the budget)


def test_the_budget_counts_every_block_of_a_session():
    zygote = ZygoteClient([], [], sandbox={"results": 2 << 20})
    try:
        results = session(zygote, PRINTS_900_KB, PRINTS_900_KB, PRINTS_900_KB)
    finally:
        zygote.close()
    assert [len(r.stdout) for r in results[:2]] == [900_001] * 2
    assert isinstance(results[2], OverResults)
    assert str(results[2]).startswith("its result of 0.9 MiB would have taken")


def test_a_result_longer_than_the_budget_left_is_refused_by_its_length():
    """(Before it is read whole: the zygote does not hold it either.)"""
    code = (
        "import struct, sys, os\n"
        "out = sys._getframe(2).f_locals['out']\n"
        "os.write(out, struct.pack('!I', 100 << 20) + b'x' * 1024)\n"
        "import time\ntime.sleep(30)\n"
    )
    zygote = ZygoteClient([], [], sandbox={"results": 64 << 20})
    try:
        started = time.monotonic()
        result = run(zygote, code)
    finally:
        zygote.close()
    assert str(result).startswith("its result of 100.0 MiB would have taken"), result
    assert time.monotonic() - started < 20  # killed, not timed out


FORGE = (
    "import pickle, sys, os\n"
    "from executable_blocks import frames\n"
    "from executable_blocks.protocol import BlockResult\n"
    "out = sys._getframe(2).f_locals['out']\n"
    "forged = BlockResult('forged\\n', '', None, (), (), (), 0.0, ())\n"
    "os.write(out, frames.frame(pickle.dumps(forged)))\n"
)


def test_a_worker_that_runs_on_after_its_last_result_is_killed(zygote):
    """A block owns its worker: it can send its result itself and then run on
    for ever, where each result used to restart the timeout of the next
    block and the last one stopped it."""
    started = time.monotonic()
    result = run(zygote, FORGE + "import time\ntime.sleep(3600)\n", timeout=2)
    assert str(result) == (
        "the worker process ran on after its session's last result "
        "(a block kept it running) and was killed"
    )
    assert time.monotonic() - started < 30


def test_a_worker_that_sends_more_results_than_blocks_is_killed(zygote):
    results = session(zygote, "print('first')", FORGE + "print('second')")
    assert results[0].stdout == "first\n"
    assert str(results[1]) == (
        "the worker process sent more results than its session has blocks "
        "(a block wrote them) and was killed"
    )


def test_a_huge_exception_message_is_shortened_before_the_log(zygote):
    """An exception's message and traceback go to the build's log: one of
    20 MB made a 40 MB log and kept ``invoke build`` busy for minutes."""
    result = run(zygote, "raise ValueError('x' * 20_000_000)")
    assert isinstance(result, BlockResult), result
    message, traceback = result.exception.message, result.exception.traceback
    assert message == "x" * 10_000 + "\n[... 19990000 more characters]"
    assert len(traceback) < 20_100
    assert "more characters]" in traceback
    assert traceback.startswith("Traceback (most recent call last):")
    assert traceback.rstrip().endswith("x" * 100)


def test_a_module_that_runs_a_program_is_left_to_its_block(code_dir):
    """A post can name a program's module (``venv.__main__`` runs venv with
    the zygote's arguments): the zygote, outside the sandbox's Landlock and
    filter, does not import it, and lives; the block's worker does."""
    zygote = ZygoteClient([], [str(code_dir)])
    try:
        zygote.preload(["venv.__main__", "antigravity", "colorsys"])
        names = {"venv.__main__", "antigravity", "colorsys"}
        probe = f"import sys\nprint(sorted(set(sys.modules) & {names!r}))\n"
        assert run(zygote, probe).stdout == "['colorsys']\n"
        result = run(zygote, "import venv.__main__")
        assert isinstance(result, BlockResult), result
        assert result.exception.type == "SystemExit"
    finally:
        zygote.close()


def test_a_module_that_exits_or_prints_as_it_is_preloaded_changes_nothing(
    tmp_path, monkeypatch, capfd
):
    (tmp_path / "noisy_exit.py").write_text(
        "print('hello from an import')\nraise SystemExit(3)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    preload(["noisy_exit"])  # returns, and says nothing
    assert capfd.readouterr() == ("", "")


def test_what_a_preloaded_module_writes_to_the_descriptors_is_dropped_too(
    tmp_path, monkeypatch, capfd
):
    """The zygote's descriptors 1 and 2 are the build's: what a module's C
    code or a program it starts wrote there reached the build's terminal,
    past the filter of its control characters."""
    (tmp_path / "noisy_c.py").write_text(
        "import os, subprocess\n"
        "os.write(1, b'\\x1b[2Jcleared')\n"
        "os.write(2, b'to stderr')\n"
        "subprocess.run(['echo', 'from a program'])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    preload(["noisy_c"])
    print("the zygote's own")
    assert capfd.readouterr() == ("the zygote's own\n", "")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("numpy", True),
        ("matplotlib.pyplot", True),
        ("venv.__main__", False),
        ("__hello__", False),
        ("antigravity", False),
        ("this", False),
        ("idlelib.idle", False),
        ("idlelib.pyshell", False),
        ("turtledemo.clock", False),
        ("thisisnot", True),
        ("test.autotest", False),  # (CPython's test suite, run as imported)
        ("test.support", False),
        ("numpy.tests.test_public_api", False),
        ("scipy.special.tests", False),
        ("pytest", True),
        ("unittest", True),
        ("contest", True),
    ],
)
def test_what_the_zygote_preloads(name, expected):
    assert preloadable(name) is expected


def test_a_session_just_over_its_memory_is_said_to_hold_more_than_it_may():
    """(512 MiB and a little were shown as "held 512 MiB of memory, more
    than the 512 MiB a session may".)"""
    limits = zygote_client.Limits(memory=512 << 20)
    ended = zygote_client.lost(WorkerExit.MEMORY, math.nan, (512 << 20) + 1, limits)
    assert str(ended).startswith(
        "the session held 513 MiB of memory, more than the 512 MiB a session may"
    )
