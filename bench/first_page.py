"""Benchmark of the README's first command on a fresh machine: the time from
running it in a new clone, with an empty uv cache, to the first page served
at http://localhost:8000/. It downloads and installs every package the
command syncs, then builds the blog, running every post (a new clone has no
execution cache), and serves it.

Compared with the commit before the dependencies were split (``BASELINE``),
whose first command also installed the test tools (Playwright, ruff, ...)
and all of moto's server dependencies, in the same run, alternating. The
target: half the baseline's time. ``pip install uv`` is left out of both
(uv is here already); ports 8000 and 8765 must be free.

    uv run --locked --group bench python bench/first_page.py [--repeat N]
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from statistics import median

from _results import command_line, machine_lines, write_section

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Time to first page (issue 15)"
BASELINE = "21c8e70"  # main before the engine became a package of its own
PAGE = "http://localhost:8000/"
BUILD_STARTS = "executable_posts: sandbox"  # the engine's first line
TARGET = 0.5  # of the baseline's time
TIMEOUT = 1200  # seconds


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def first_command(readme: str) -> str:
    """The first line of the README's first ``sh`` block, without the
    ``pip install uv &&`` prefix and its comment."""
    block = re.search(r"```sh\n(.+?)\n", readme)
    command = block[1].split("  #", 1)[0].strip()
    return re.sub(r"^pip install uv && ", "", command)


def page_is_served() -> bool:
    try:
        with urllib.request.urlopen(PAGE, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def clean_environment(cache: Path) -> dict[str, str]:
    """The shell of a fresh machine: no project environment, an empty cache."""
    venv_bin = str(Path(sys.executable).parent)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p != venv_bin]
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("EXEC_", "UV_", "VIRTUAL_ENV", "PYTHON"))
    }
    return {**env, "PATH": os.pathsep.join(path), "UV_CACHE_DIR": str(cache)}


def watch_lines(stream, output, started: float, seen: dict) -> None:
    """Copy the command's output to ``output``, noting when the build began
    (the engine's first line: everything before it is installing)."""
    for line in stream:
        output.write(line)
        if BUILD_STARTS in line and "build" not in seen:
            seen["build"] = time.perf_counter() - started


def serve_and_wait(
    command: str, clone: Path, scratch: Path, output
) -> tuple[float, float]:
    """Run ``command`` in ``clone``; the seconds until the build started and
    until it serves a page."""
    started = time.perf_counter()
    demo = subprocess.Popen(
        command,
        shell=True,
        cwd=clone,
        env=clean_environment(scratch / "uv-cache"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    seen: dict[str, float] = {}
    copier = threading.Thread(
        target=watch_lines, args=(demo.stdout, output, started, seen), daemon=True
    )
    copier.start()
    try:
        while not page_is_served():
            if demo.poll() is not None:
                copier.join(5)
                output.flush()
                tail = (scratch / "demo.log").read_text()[-2000:]
                raise SystemExit(f"{command} exited {demo.returncode}:\n{tail}")
            if time.perf_counter() - started > TIMEOUT:
                raise SystemExit(f"{command}: no page after {TIMEOUT} s")
            time.sleep(0.2)
        served = time.perf_counter() - started
        return seen.get("build", float("nan")), served
    finally:
        group = os.getpgid(demo.pid)
        os.killpg(group, signal.SIGINT)
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            demo.wait()


def time_to_first_page(commit: str) -> tuple[float, float, int, str]:
    """Seconds to the build's start and to the first page, packages
    installed, and the command."""
    with tempfile.TemporaryDirectory(prefix="first-page-") as scratch:
        clone = Path(scratch) / "site"
        subprocess.run(
            ["git", "clone", "--quiet", "--no-checkout", str(ROOT), str(clone)],
            check=True,
        )
        subprocess.run(
            ["git", "-C", str(clone), "checkout", "--quiet", commit], check=True
        )
        command = first_command((clone / "README.md").read_text())
        if page_is_served():
            raise SystemExit(f"something already serves {PAGE}: stop it first")
        with open(Path(scratch) / "demo.log", "w") as output:
            installed, seconds = serve_and_wait(command, clone, Path(scratch), output)
        listed = subprocess.run(
            [shutil.which("uv"), "pip", "list", "--python", str(clone / ".venv")],
            capture_output=True,
            text=True,
            cwd=clone,
        )
        packages = max(0, len(listed.stdout.splitlines()) - 2)
        return installed, seconds, packages, command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    runs = {args.baseline: [], head: []}
    installs = {args.baseline: [], head: []}
    described = {}
    for round_ in range(args.repeat):
        order = [args.baseline, head] if round_ % 2 == 0 else [head, args.baseline]
        for commit in order:
            installed, seconds, packages, command = time_to_first_page(commit)
            log(
                f"{commit}: build began at {installed:.1f} s, first page at "
                f"{seconds:.1f} s, {packages} packages ({command})"
            )
            runs[commit].append(seconds)
            installs[commit].append(installed)
            described[commit] = (packages, command)
    before, after = median(runs[args.baseline]), median(runs[head])
    ratio = after / before
    met = ratio <= TARGET
    rows = [
        "| commit | command | packages installed | seconds to first page (each run) "
        "| median | of which installing (median) |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for commit, label in ((args.baseline, "before"), (head, "now")):
        packages, command = described[commit]
        each = ", ".join(f"{s:.2f}" for s in runs[commit])
        rows.append(
            f"| {commit} ({label}) | `{command}` | {packages} | {each} "
            f"| {median(runs[commit]):.2f} | {median(installs[commit]):.2f} |"
        )
    text = "\n".join(
        [
            SECTION,
            "",
            f"`{command_line(parser, args)}`: "
            "the README's first command in a new clone, with an empty uv cache "
            "(`UV_CACHE_DIR` a new directory), from start to the first page "
            "served: downloading and installing what the command syncs, "
            "building the blog (every post run: no execution cache yet) and "
            "serving it. `pip install uv` is left out of both. "
            f"{args.repeat} runs of each, the two commits' in turn (in ABBA "
            "order: each goes first in every other round); "
            'downloads go to PyPI, so the network counts too. "Installing" '
            "is the time until the engine's first line (uv's sync, Pelican's "
            "start and the sandbox's probe); the rest is the build, which runs "
            "every post, and the server's start. The command runs without this "
            "machine's PYTHON* and UV_* variables (PYTHONDONTWRITEBYTECODE "
            "among them), as on a fresh machine: what the machine lines below "
            "say of it holds for the benchmark's own process only.",
            "",
            *machine_lines(("pelican",)),
            "",
            *rows,
            "",
            f"Now / before: **{ratio:.2f}** (target ≤ {TARGET:.2f}): "
            + ("**met**." if met else "**not met**."),
            "",
        ]
    )
    write_section(args.results, SECTION, text)
    print(text)


if __name__ == "__main__":
    main()
