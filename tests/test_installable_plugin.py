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
from pathlib import Path

import pytest

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


def pelican(venv: Path, site: Path) -> subprocess.CompletedProcess:
    """``pelican content`` as the site's author runs it, with the plugin's
    settings at their defaults (no EXEC_* of the test run's own)."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("EXEC_") or name == "EXEC_SANDBOX"
    }
    env["EXEC_REPORT"] = str(site / "report.json")
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    return subprocess.run(
        [str(venv / "bin" / "pelican"), "content", "-s", "pelicanconf.py"],
        cwd=site,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


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
