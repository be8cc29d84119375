"""What the tests share that is not a fixture: the repository, its invoke tasks
run as a user runs them, sites built with them and read back."""

import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from lxml import etree, html

ROOT = Path(__file__).resolve().parent.parent

S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def invoke(*args: str, cwd: Path = ROOT, env: dict | None = None):
    """Run one of the project's invoke tasks as a user would, capturing output."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", "--search-root", str(ROOT), *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=600,
    )


@dataclass
class BuiltSite:
    """A site built into ``output`` by ``invoke build``, with helpers to read it."""

    output: Path

    def html_pages(self) -> list[Path]:
        return sorted(self.output.rglob("*.html"))

    def page(self, relative: str) -> html.HtmlElement:
        """Parse the page at a site URL path such as ``tag/python/``."""
        path = self.output / relative.lstrip("/")
        if relative.endswith("/") or not relative:
            path = path / "index.html"
        return html.parse(str(path)).getroot()

    def xml(self, relative: str) -> etree._Element:
        return etree.parse(str(self.output / relative)).getroot()


def build_site(
    content: Path,
    output: Path,
    cache: Path | str | None = None,
    *options: str,
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    """``invoke build`` of ``content`` into ``output``, with its own execution
    cache (a new one next to ``output`` unless given) and report, and ``env``
    added to the environment."""
    env = {
        "EXEC_CACHE": str(cache or output.parent / f"{output.name}-cache"),
        "EXEC_REPORT": str(output.parent / f"{output.name}-report.json"),
        **(env or {}),
    }
    return invoke(
        "build", "--content", str(content), "--output", str(output), *options, env=env
    )


def report_of(output: Path) -> dict:
    """The JSON execution report of the build into ``output``."""
    return json.loads((output.parent / f"{output.name}-report.json").read_text())


def eventually(condition, seconds: float = 10, poll: float = 0.05) -> None:
    """Wait until ``condition()`` is true; fail if it is not within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s"
        time.sleep(poll)


async def eventually_async(condition, seconds: float = 10, poll: float = 0.02):
    """``eventually`` in an event loop, which runs while it waits."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s"
        await asyncio.sleep(poll)
