"""The plugin as another Pelican site gets it: its wheel, built from
``packages/``, installed into a new virtual environment with each Pelican
version it supports, and added to a quickstart-style site's ``PLUGINS``.

Needs ``uv`` (which runs the suite) and PyPI or uv's cache for Pelican and
the plugin's other dependencies."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpers import eventually

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTIONS = (
    "null-disquisition-signed-pickle",
    "null-disquisition-cloudcached",
    "pelican-executable-posts",
)
# The versions the plugin is tested with (wiring.TESTED_PELICAN), newest
# release of each.
PELICAN_VERSIONS = ("4.10.2", "4.11.0.post0", "4.12.0")

POST = """\
Title: Lists
Date: 2026-11-27 10:00
Category: Python

Slicing keeps the first two:

```python exec="on"
a = [1, 2, 3, 4]
print(a[:2])
```

```output
{claim}
```
"""
CLAIM_LINE = POST.splitlines().index("```output") + 1

# What pelican-quickstart writes, answered for a local site without
# pagination questions or a publish configuration.
PELICANCONF = """\
AUTHOR = "Someone"
SITENAME = "A quickstart site"
SITEURL = ""

PATH = "content"

TIMEZONE = "Europe/Paris"

DEFAULT_LANG = "en"

# Feed generation is usually not desired when developing
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

DEFAULT_PAGINATION = False

PLUGINS = ["executable_posts"]
"""


def uv(*args: str, **kwargs) -> subprocess.CompletedProcess:
    uv_binary = shutil.which("uv")
    if uv_binary is None:
        pytest.skip("uv is not on PATH")
    return subprocess.run(
        [uv_binary, *args], capture_output=True, text=True, timeout=900, **kwargs
    )


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> Path:
    """The plugin's wheel and those of the project's libraries it needs."""
    folder = tmp_path_factory.mktemp("wheels")
    for name in DISTRIBUTIONS:
        built = uv("build", "--wheel", "--package", name, "--out-dir", str(folder))
        assert built.returncode == 0, built.stderr
    return folder


@pytest.fixture(scope="module", params=PELICAN_VERSIONS)
def environment(request, wheels, tmp_path_factory) -> Path:
    """A new virtual environment with one Pelican version and the wheel."""
    venv = tmp_path_factory.mktemp(f"venv-{request.param}") / "venv"
    made = uv("venv", "--quiet", "--python", sys.executable, str(venv))
    assert made.returncode == 0, made.stderr
    python = str(venv / "bin" / "python")
    # Pelican first, from the index; then the wheels alone (--no-index), so
    # no project of the same name on PyPI can stand in for ours.
    pelican = uv(
        "pip",
        "install",
        "--python",
        python,
        f"pelican=={request.param}",
        "markdown>=3.5",
        "cryptography>=42",
    )
    assert pelican.returncode == 0, pelican.stderr
    plugin = uv(
        "pip",
        "install",
        "--python",
        python,
        "--no-index",
        "--find-links",
        str(wheels),
        "pelican-executable-posts",
    )
    assert plugin.returncode == 0, plugin.stderr
    return venv


@pytest.fixture
def site(tmp_path) -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / "pelicanconf.py").write_text(PELICANCONF)
    return tmp_path


def write_post(site: Path, claim: str) -> Path:
    post = site / "content" / "lists.md"
    post.write_text(POST.format(claim=claim))
    return post


def authors_environment(venv: Path, site: Path) -> dict:
    """The environment of the site's author: the plugin's settings at their
    defaults (no EXEC_* of the test run's own), the new environment's
    ``bin`` first on the path."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("EXEC_") or name == "EXEC_SANDBOX"
    }
    env["EXEC_REPORT"] = str(site / "report.json")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return env


def pelican(venv: Path, site: Path) -> subprocess.CompletedProcess:
    """``pelican content`` as the site's author runs it."""
    return subprocess.run(
        [str(venv / "bin" / "pelican"), "content", "-s", "pelicanconf.py"],
        cwd=site,
        env=authors_environment(venv, site),
        capture_output=True,
        text=True,
        timeout=600,
    )


def children(pid: int) -> list[int]:
    """The processes ``pid`` started that still run."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(n) for n in (task / "children").read_text().split()]
    return found


def blocks_of(site: Path) -> list[dict]:
    return json.loads((site / "report.json").read_text())["blocks"]


def test_the_wheel_holds_the_engine_and_the_namespace_plugin(wheels):
    import zipfile

    (wheel,) = wheels.glob("pelican_executable_posts-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pelican/plugins/executable_posts/__init__.py" in names
    assert "executable_blocks/engine.py" in names
    assert "pelican/__init__.py" not in names  # Pelican's, never ours
    assert "pelican/plugins/__init__.py" not in names  # a namespace package


def test_a_post_block_runs_in_a_quickstart_site(environment, site):
    write_post(site, "[1, 2]")
    result = pelican(environment, site)
    assert result.returncode == 0, result.stdout + result.stderr
    page = (site / "output" / "lists.html").read_text()
    assert "[1, 2]" in page
    assert "Checked at build time" in page
    (block,) = blocks_of(site)
    assert block["status"] == "ran" and block["cache"] == "miss"


def test_a_wrong_claim_fails_the_build_at_its_line(environment, site):
    write_post(site, "[1, 2, 3]")
    result = pelican(environment, site)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert (
        f"content/lists.md:{CLAIM_LINE}: the output differs from what the post claims"
        in log
    )
    assert "Build failed (errors above); nothing was written." in log
    assert not (site / "output" / "lists.html").exists()


def test_a_warm_build_takes_the_block_from_the_cache(environment, site):
    write_post(site, "[1, 2]")
    assert pelican(environment, site).returncode == 0
    assert (site / ".cache" / "execution").is_dir()  # beside content/
    warm = pelican(environment, site)
    assert warm.returncode == 0, warm.stdout + warm.stderr
    (block,) = blocks_of(site)
    assert block["status"] == "cached" and block["cache"] == "hit"
    assert "[1, 2]" in (site / "output" / "lists.html").read_text()


def edit_until(post: Path, text: str, done, log: Path) -> None:
    """Write ``text`` to ``post`` once a second until ``done()``: Pelican's
    autoreload watches for changes only between runs, with a watcher it
    makes anew each time, so a change made before it is ready goes unseen."""
    deadline = time.monotonic() + 120
    while not done():
        assert time.monotonic() < deadline, log.read_text()
        post.write_text(text)
        for _ in range(20):
            if done():
                return
            time.sleep(0.05)


def test_autoreload_builds_each_change_and_waits_out_a_failed_build(environment, site):
    """``pelican -r``, as an author writes: Pelican runs one instance again
    at every change. A second run had no sessions to run its blocks in, and
    a failed build ended the loop."""
    post = write_post(site, "[1, 2]")
    # Pelican 4.10's autoreload searches each IGNORE_FILES pattern anywhere
    # in a file's name, so its default, ".*", ignores every name with a dot
    # in it (4.11 matches whole names).
    with (site / "pelicanconf.py").open("a") as settings:
        settings.write('IGNORE_FILES = [".#*"]\n')
    page, log = site / "output" / "lists.html", site / "autoreload.log"
    with log.open("w") as written:
        author = subprocess.Popen(
            [str(environment / "bin" / "pelican"), "content", "-s", "pelicanconf.py"]
            + ["--autoreload"],
            cwd=site,
            env=authors_environment(environment, site),
            stdout=written,
            stderr=subprocess.STDOUT,
        )
    try:
        built = lambda: page.exists() and "<code>[1, 2]\n" in page.read_text()  # noqa: E731
        eventually(built, 120, what=log.read_text())
        eventually(
            lambda: not children(author.pid),
            30,
            what="a process of the build outlived its run",
        )

        waiting = (
            "Build failed (errors above); nothing was written. Waiting for a change."
        )
        edit_until(
            post,
            POST.format(claim="[1, 2, 3]"),
            lambda: waiting in log.read_text(),
            log,
        )
        assert author.poll() is None, log.read_text()
        assert f"content/lists.md:{CLAIM_LINE}: the output differs" in log.read_text()
        assert built()  # the last good page, kept

        fixed = POST.format(claim="[1, 2, 3]").replace("a[:2]", "a[:3]")
        edit_until(post, fixed, lambda: "<code>[1, 2, 3]\n" in page.read_text(), log)
        eventually(
            lambda: not children(author.pid),
            30,
            what="a process of the build outlived its run",
        )
        assert author.poll() is None, log.read_text()
    finally:
        author.terminate()
        author.wait(timeout=30)
