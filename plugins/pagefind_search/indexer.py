"""Run Pagefind's binary over a written site, into a fresh bundle directory.

The binary is run rather than the ``pagefind`` Python API: that API talks to
the same binary through a pipe and waits forever if it dies; a subprocess
has an exit status, its own output for the error message, and a timeout.
Pagefind never deletes what an earlier run wrote, so each run writes into a
new directory that then replaces the old bundle: no stale fragments pile up.
"""

import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BUNDLE = "pagefind"


class IndexFailed(Exception):
    """Pagefind could not index the site; the message says why."""


@dataclass
class PagefindRun:
    pages: int
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
    new = Path(tempfile.mkdtemp(prefix=f".{BUNDLE}-new-", dir=site))
    command = [str(binary), "--site", str(site), "--output-path", str(new)]
    for selector in exclude_selectors:
        command += ["--exclude-selectors", selector]
    started = time.perf_counter()
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
    bundle = site / BUNDLE
    if bundle.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{BUNDLE}-old-", dir=site))
        bundle.rename(old / BUNDLE)
        new.rename(bundle)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(bundle)
    return PagefindRun(
        pages=count(r"Indexed (\d+) pages?", result.stdout),
        words=count(r"Indexed (\d+) words?", result.stdout),
        seconds=time.perf_counter() - started,
        bundle=bundle,
    )
