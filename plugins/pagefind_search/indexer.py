"""Run Pagefind's binary over a written site, into a fresh bundle directory.

The binary is run rather than the ``pagefind`` Python API: that API talks to
the same binary through a pipe and waits forever if it dies; a subprocess
has an exit status, its own output for the error message, and a timeout.
Pagefind never deletes what an earlier run wrote, so each run writes into a
new directory that then replaces the old bundle: no stale fragments pile up.

Once any page marks its body with ``data-pagefind-body``, Pagefind indexes
only the pages that do, yet it still reads and parses every other one to
find that out, and on a blog the listings (tags, categories, authors,
pagination) outnumber the posts. So Pagefind is given a ``--glob`` that
matches only the pages whose bytes hold the marker: a search through bytes
costs a fraction of Pagefind's parse, and the index is the same.
"""

import os
import re
import shutil
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BUNDLE = "pagefind"
BODY_MARKER = b"data-pagefind-body"
# Path components written into the glob as they are; a name with any other
# character (a glob metacharacter among them) leaves the whole site to
# Pagefind rather than risk a glob that matches other pages.
PLAIN_PATH = re.compile(r"[\w.~-]+(/[\w.~-]+)*")
# A long glob costs Pagefind time of its own to match (one of 1,200 pages
# cost about as much as parsing every page did); past this many
# alternatives, Pagefind reads the whole site.
MOST_ALTERNATIVES = 64


class IndexFailed(Exception):
    """Pagefind could not index the site; the message says why."""


@dataclass
class PagefindRun:
    read: int  # HTML files Pagefind read
    pages: int  # of them, the pages it indexed
    words: int
    seconds: float
    bundle: Path

    def size(self) -> tuple[int, int]:
        """Bytes on disk and number of files of the bundle."""
        files = [p for p in self.bundle.rglob("*") if p.is_file()]
        return sum(p.stat().st_size for p in files), len(files)


def default_binary() -> Path:
    """The binary the ``pagefind_bin`` package ships."""
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise IndexFailed(
            "the pagefind_bin package is not installed (uv sync installs it)"
        ) from None
    try:
        return get_executable()
    except FileNotFoundError as error:
        raise IndexFailed(f"pagefind_bin has no binary: {error}") from None


def count(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    return int(found[1]) if found else 0


def html_pages(site: Path):
    """(path relative to ``site``, holds the body marker) for every HTML file
    Pagefind would find, leaving out the bundle and this module's working
    directories."""
    top = str(site)
    for root, directories, names in os.walk(top):
        directories[:] = [
            d
            for d in directories
            if not d.startswith(f".{BUNDLE}-") and (root != top or d != BUNDLE)
        ]
        for name in names:
            if name.endswith(".html"):
                path = os.path.join(root, name)
                with open(path, "rb") as page:
                    yield os.path.relpath(path, top), BODY_MARKER in page.read()


def body_glob(site: Path) -> str | None:
    """A glob that matches only the pages whose bytes hold the body marker
    (a superset of those that carry the attribute: Pagefind decides), with
    a directory in which every page is marked written as ``dir/**/*.html``.
    None where Pagefind should read the whole site: no page is marked, every
    page is, a name is not plain, or the glob would be long."""
    marked, unmarked_in = [], set()
    for relative, has_marker in html_pages(site):
        if has_marker:
            marked.append(relative)
        else:
            parts = relative.split("/")
            unmarked_in.update("/".join(parts[:n]) for n in range(len(parts)))
    if not marked or not unmarked_in:
        return None
    alternatives = set()
    for relative in marked:
        if not PLAIN_PATH.fullmatch(relative):
            return None
        parts = relative.split("/")
        directories = ("/".join(parts[:n]) for n in range(1, len(parts)))
        clean = next((d for d in directories if d not in unmarked_in), None)
        alternatives.add(f"{clean}/**/*.html" if clean else relative)
    if len(alternatives) > MOST_ALTERNATIVES:
        return None
    return "{" + ",".join(sorted(alternatives)) + "}"


def index_site(
    site: Path,
    binary: Path | None = None,
    exclude_selectors: list[str] = (),
    timeout: float = 300,
) -> PagefindRun:
    """Index the HTML of ``site`` into ``site/pagefind``; raise IndexFailed
    with Pagefind's own words if it cannot."""
    site = Path(site).resolve()
    binary = Path(binary) if binary else default_binary()
    started = time.perf_counter()
    new = Path(tempfile.mkdtemp(prefix=f".{BUNDLE}-new-", dir=site))
    command = [str(binary), "--site", str(site), "--output-path", str(new)]
    glob = body_glob(site)
    if glob:
        command += ["--glob", glob]
    for selector in exclude_selectors:
        command += ["--exclude-selectors", selector]
    try:
        try:
            # Run from the empty new directory: Pagefind reads a pagefind.yml
            # (or .toml, .json) from its working directory, and none of the
            # builder's should change the index.
            result = subprocess.run(
                command,
                cwd=new,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            raise IndexFailed(f"{binary} did not finish in {timeout:g} s") from None
        except OSError as error:
            raise IndexFailed(f"cannot run {binary}: {error}") from None
        said = (result.stdout + result.stderr).strip()
        if result.returncode != 0:
            errors = [line for line in said.splitlines() if "error" in line.lower()]
            why = "; ".join(dict.fromkeys(errors)) or said[-2000:] or "no output"
            raise IndexFailed(f"{binary} exited with {result.returncode}: {why}")
        if not (new / "pagefind-entry.json").is_file():
            raise IndexFailed(f"{binary} exited with 0 but wrote no index: {said}")
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    # mkdtemp made it the builder's alone (0700): a web server running as
    # another user answered every search with 403. It gets the site's mode
    # (reading the umask would set it, for every thread of the process).
    new.chmod(stat.S_IMODE(site.stat().st_mode))
    bundle = site / BUNDLE
    if bundle.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{BUNDLE}-old-", dir=site))
        bundle.rename(old / BUNDLE)
        new.rename(bundle)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(bundle)
    return PagefindRun(
        read=count(r"Found (\d+) files?", result.stdout),
        pages=count(r"Indexed (\d+) pages?", result.stdout),
        words=count(r"Indexed (\d+) words?", result.stdout),
        seconds=time.perf_counter() - started,
        bundle=bundle,
    )
