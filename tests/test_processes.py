"""The worker processes, for real: a zygote forks one worker per session."""

import os
import signal
import time
from pathlib import Path

import pytest
from executable_posts.errors import WorkerLost
from executable_posts.processes import Timeout, Zygote


@pytest.fixture(scope="module")
def code_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("code")
    (directory / "helper.py").write_text("def double(x):\n    return 2 * x\n")
    return directory


@pytest.fixture(scope="module")
def zygote(code_dir):
    zygote = Zygote(["matplotlib.pyplot", "matplotlib.animation"], [str(code_dir)])
    yield zygote
    zygote.close()


def request(code: str, first_line: int = 1, mode: str = "on", **options) -> dict:
    return {
        "code": code,
        "filename": "content/posts/post.md",
        "first_line": first_line,
        "mode": mode,
        "figure": options.get("figure", "auto"),
        "animation": options.get("animation"),
    }


def run(zygote, code: str, timeout: float = 30, **options) -> dict:
    worker = zygote.worker()
    try:
        return worker.run(request(code, **options), timeout)
    finally:
        worker.close()


def test_stdout_and_stderr_are_captured_at_the_file_descriptor(zygote):
    code = (
        "import os, sys\nprint('out')\nprint('err', file=sys.stderr)\n"
        "os.system('echo shell')\n"
    )
    result = run(zygote, code)
    assert result["stdout"] == "out\nshell\n"
    assert result["stderr"] == "err\n"
    assert result["exception"] is None


def session(zygote, *codes: str, timeout: float = 30) -> list[dict]:
    worker = zygote.worker()
    try:
        worker.start([request(code) for code in codes])
        return [worker.result(timeout) for _ in codes]
    finally:
        worker.close()


def test_blocks_of_a_session_share_state(zygote):
    first, second = session(zygote, "total = 40\n", "print(total + 2)\n")
    assert second["stdout"] == "42\n"


def test_sessions_do_not_share_state(zygote):
    run(zygote, "leftover = 1\n")
    result = run(zygote, "print(leftover)\n")
    assert result["exception"]["type"] == "NameError"


def test_traceback_line_numbers_point_into_the_post(zygote):
    code = "def f():\n    return 1 / 0\n\nf()\n"
    result = run(zygote, code, first_line=20)
    error = result["exception"]
    assert error["type"] == "ZeroDivisionError"
    assert error["line"] == 21
    assert 'File "content/posts/post.md", line 21, in f' in error["traceback"]
    assert "return 1 / 0" in error["traceback"]
    assert "worker.py" not in error["traceback"]


def test_syntax_error_points_at_its_line(zygote):
    error = run(zygote, "x = 1\nx +* 2\n", first_line=5)["exception"]
    assert (error["type"], error["line"]) == ("SyntaxError", 6)


def test_sys_exit_is_the_blocks_exception_not_the_workers_end(zygote):
    error = run(zygote, "import sys\nsys.exit(3)\n")["exception"]
    assert error["type"] == "SystemExit" and error["message"] == "3"


def test_os_exit_is_reported_with_its_exit_code(zygote):
    with pytest.raises(WorkerLost, match="exited with code 7"):
        run(zygote, "import os\nos._exit(7)\n")


def test_segfault_is_reported_with_its_signal(zygote):
    with pytest.raises(WorkerLost, match="killed by SIGSEGV"):
        run(zygote, "import ctypes\nctypes.string_at(0)\n")


def test_infinite_loop_is_killed_after_the_timeout(zygote):
    with pytest.raises(Timeout, match="timed out after 1 s"):
        run(zygote, "while True:\n    pass\n", timeout=1)
    assert run(zygote, "print('still working')\n")["stdout"] == "still working\n"


def test_block_runs_in_its_own_temporary_directory(zygote):
    result = run(
        zygote, "import os\nopen('litter.txt', 'w').close()\nprint(os.getcwd())\n"
    )
    assert "session-" in result["stdout"]


def test_hash_order_is_the_same_in_every_build(code_dir, zygote):
    code = "print(list({'alpha', 'beta', 'gamma', 'delta'}))\n"
    other = Zygote([], [str(code_dir)])
    try:
        assert run(zygote, code)["stdout"] == run(other, code)["stdout"]
    finally:
        other.close()


def test_code_directory_modules_are_importable_and_reported(code_dir, zygote):
    result = run(zygote, "from helper import double\nprint(double(21))\n")
    assert result["stdout"] == "42\n"
    assert result["modules"] == [str((code_dir / "helper.py").resolve())]


LINE_PLOT = "import matplotlib.pyplot as plt\nplt.plot([0, 1, 2], [0, 1, 4])\n"


def test_line_figures_are_saved_as_reproducible_svg(zygote):
    first, second = run(zygote, LINE_PLOT), run(zygote, LINE_PLOT)
    (figure,) = first["figures"]
    assert figure["format"] == "svg" and figure["data"].startswith(b"<?xml")
    assert (figure["width"], figure["height"]) == (640, 480)
    assert figure["data"] == second["figures"][0]["data"]


def test_image_figures_are_saved_as_png(zygote):
    code = "import matplotlib.pyplot as plt\nplt.imshow([[0, 1], [1, 0]])\n"
    (figure,) = run(zygote, code)["figures"]
    assert figure["format"] == "png" and figure["data"].startswith(b"\x89PNG")


def test_figure_format_can_be_chosen(zygote):
    (figure,) = run(zygote, LINE_PLOT, figure="png")["figures"]
    assert figure["format"] == "png"


def test_figures_are_closed_after_each_block(zygote):
    plotted, printed = session(zygote, LINE_PLOT, "print(1)\n")
    assert len(plotted["figures"]) == 1
    assert printed["figures"] == []


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
    (gif,) = result["animations"]
    assert gif["format"] == "gif" and gif["data"].startswith(b"GIF8")
    assert result["figures"] == []  # the animated figure is not also a still


def test_pytest_block_prints_a_summary_of_outcomes(zygote):
    code = (
        "import pytest\n\n@pytest.mark.parametrize('x', [1, 2])\n"
        "def test_even(x):\n    assert x % 2 == 0\n"
    )
    result = run(zygote, code, mode="pytest")
    assert result["stdout"].splitlines() == [
        "FAILED test_even[1] - assert (1 % 2) == 0",
        "PASSED test_even[2]",
        "1 failed, 1 passed",
    ]
    assert result["tests"][0]["line"] == 5  # the failing assert


def test_a_worker_starts_without_the_builders_modules(zygote):
    """Workers fork from a zygote that imported what the posts use, and not
    Pelican, Markdown or the engine's builder side: posts cannot see them,
    and every fork stays small."""
    builders = (
        "pelican",
        "markdown",
        "jinja2",
        "rich",
        "executable_posts.engine",
        "executable_posts.plugin",
    )
    code = f"import sys\nprint([m for m in {builders!r} if m in sys.modules])\n"
    assert run(zygote, code)["stdout"] == "[]\n"


def children_of(pid: int) -> set[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in path.read_text().split()} if path.exists() else set()


def wait_until(condition, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_workers_are_forked_ahead_and_each_serves_one_session(code_dir):
    zygote = Zygote([], [str(code_dir)], ahead=3)
    try:
        assert wait_until(lambda: len(children_of(zygote.process.pid)) == 3)
        waiting = children_of(zygote.process.pid)
        pids = [
            int(run(zygote, "import os; print(os.getpid())")["stdout"])
            for _ in range(3)
        ]
        assert len(set(pids)) == 3  # a fresh process every session
        assert pids[0] in waiting  # the first session took a waiting child
    finally:
        zygote.close()


def test_a_waiting_worker_that_dies_is_replaced(code_dir):
    zygote = Zygote([], [str(code_dir)])
    try:
        assert wait_until(lambda: len(children_of(zygote.process.pid)) == 2)
        for pid in children_of(zygote.process.pid):
            os.kill(pid, signal.SIGKILL)
        assert run(zygote, "print('still served')")["stdout"] == "still served\n"
    finally:
        zygote.close()


def test_waiting_workers_exit_when_the_zygote_is_killed(code_dir):
    zygote = Zygote([], [str(code_dir)])
    assert wait_until(lambda: len(children_of(zygote.process.pid)) == 2)
    waiting = children_of(zygote.process.pid)
    zygote.process.kill()
    try:
        assert wait_until(
            lambda: not any(Path(f"/proc/{pid}").exists() for pid in waiting)
        ), f"orphaned workers: {waiting}"
    finally:
        zygote.close()
