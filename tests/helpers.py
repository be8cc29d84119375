"""What the tests share that is not a fixture: the repository, its invoke tasks
run as a user runs them, sites built with them and read back, and builds
shared by every pytest worker of a run."""

import asyncio
import fcntl
import functools
import json
import os
import runpy
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from lxml import etree, html

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"
# The tasks that build the site (of CONTENT unless given --content).
BUILDING = {"build", "rebuild", "regenerate", "reserve", "livereload", "demo"}
BUILDING |= {"preview", "publish", "screenshots"}
# A file each build of the whole blog adds a line to (conftest sets it).
BUILDS_LOG = "WHOLE_BLOG_BUILDS_LOG"

PRODUCTION = "https://blog.example.org"  # the SITEURL of production builds
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def invoke_command(*args: str) -> list[str]:
    """The command line of ``invoke *args``; a build of the whole blog is counted."""
    content = Path(args[args.index("--content") + 1]) if "--content" in args else None
    if args and args[0] in BUILDING and whole_blog(content or CONTENT):
        with open(os.environ[BUILDS_LOG], "a") as log:
            test = os.environ.get("PYTEST_CURRENT_TEST", "?")
            log.write(f"{test}: invoke {shlex.join(args)}\n")
    return [sys.executable, "-m", "invoke", "--search-root", str(ROOT), *args]


def whole_blog(content: Path) -> bool:
    """Whether ``content`` has every post of the blog (it, or a copy)."""
    posts = {path.name for path in (CONTENT / "posts").glob("*.md")}
    return posts <= {path.name for path in (content / "posts").glob("*.md")}


def invoke(*args: str, cwd: Path = ROOT, env: dict | None = None):
    """Run one of the project's invoke tasks as a user would, capturing output."""
    return subprocess.run(
        invoke_command(*args),
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
    built: subprocess.CompletedProcess | None = None  # the build, if kept

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
    task: str = "build",
) -> subprocess.CompletedProcess:
    """``invoke build`` (or ``task``: ``rebuild``) of ``content`` into
    ``output``, with its own execution cache (a new one next to ``output``
    unless given) and report, and ``env`` added to the environment."""
    env = {
        "EXEC_CACHE": str(cache or output.parent / f"{output.name}-cache"),
        "EXEC_REPORT": str(output.parent / f"{output.name}-report.json"),
        **(env or {}),
    }
    return invoke(
        task, "--content", str(content), "--output", str(output), *options, env=env
    )


def report_of(output: Path) -> dict:
    """The JSON execution report of the build into ``output``."""
    return json.loads((output.parent / f"{output.name}-report.json").read_text())


def eventually(
    condition, seconds: float = 10, poll: float = 0.05, what: str = ""
) -> None:
    """Wait until ``condition()`` is true; fail if it is not within ``seconds``,
    with ``what`` as the message if given."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what or 'not'} (within {seconds:g} s)")
        time.sleep(poll)


def processes_named(marker: str) -> list[int]:
    """The pids of the processes whose command line holds ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if marker in command.decode("utf-8", "replace"):
                found.append(int(entry.name))
    return found


def block_waiting_for(path: Path) -> str:
    """A block's code that ends only once ``path`` exists: a session kept
    open until the test lets it go, with no sleep to race."""
    return (
        f"import os, time\nwhile not os.path.exists({str(path)!r}):\n"
        "    time.sleep(0.01)\n"
    )


async def eventually_async(condition, seconds: float = 10, poll: float = 0.02):
    """``eventually`` in an event loop, which runs while it waits."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not within {seconds:g} s"
        await asyncio.sleep(poll)


def shared_temp(factory) -> Path:
    """The temporary directory of the run, which its xdist workers share."""
    base = factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(factory, name: str, build) -> tuple[Path, subprocess.CompletedProcess]:
    """``build(directory)`` once a run: the first worker to ask runs it in the
    shared ``name`` directory, the others wait; all get it and its result."""
    directory = shared_temp(factory) / name
    kept = directory / "build.json"
    with open(f"{directory}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
        if not kept.exists():
            directory.mkdir()
            done = build(directory)
            fields = ("args", "returncode", "stdout", "stderr")
            kept.write_text(json.dumps({f: getattr(done, f) for f in fields}))
    return directory, subprocess.CompletedProcess(**json.loads(kept.read_text()))


# Small sites of a test's own: posts dated July 2009, in one category.
HEADER = "Title: {title}\nDate: 2009-07-18\nCategory: Test\nTags: t\n\n"


def write_site(root: Path, posts: dict[str, str], code: dict[str, str] = ()) -> Path:
    """A content directory with ``posts`` (name -> body) and ``code`` files."""
    content = root / "content"
    (content / "posts").mkdir(parents=True, exist_ok=True)
    (content / "code").mkdir(exist_ok=True)
    for name, body in posts.items():
        text = HEADER.format(title=name.replace("-", " ").title()) + body
        (content / "posts" / f"{name}.md").write_text(text)
    for name, text in dict(code).items():
        (content / "code" / name).write_text(text)
    return content


# A site as pelican-quickstart makes it (answered for a local site), with
# the plugin: Pelican's own theme, settings and URLs.
QUICKSTART = """\
AUTHOR = "Someone"
SITENAME = "A quickstart site"
SITEURL = ""
PATH = "content"
TIMEZONE = "UTC"
DEFAULT_LANG = "en"
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
DEFAULT_PAGINATION = False
PLUGINS = ["executable_posts"]
"""


def quickstart_build(
    site: Path,
    files: dict[str, str],
    *options: str,
    settings: str = "",
    env: dict | None = None,
) -> subprocess.CompletedProcess:
    """``python -m pelican`` of a quickstart-style site in ``site``: its
    ``files`` (path in the site -> text) and pelicanconf (``settings``
    added), built into ``site/output`` with ``options``, and ``env`` added
    to the environment."""
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    (site / "pelicanconf.py").write_text(QUICKSTART + settings)
    return subprocess.run(
        [sys.executable, "-m", "pelican", "-s", "pelicanconf.py", "-o", "output"]
        + list(options),
        cwd=site,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=300,
    )


# A plugin of a test's: what other plugins see of each article before the
# pages are written (its content and summary), in the file PROBE_FILE names.
PROBE = """\
import json
from pelican import signals


def record(generator):
    seen = {a.slug: {"content": a.content, "summary": a.summary}
            for a in generator.articles}
    with open(generator.settings["PROBE_FILE"], "w") as file:
        json.dump(seen, file)


def register():
    signals.article_generator_finalized.connect(record)
"""


def build_with_plugin(
    tmp_path: Path, content: Path, name: str, source: str, *settings: str, first=False
) -> subprocess.CompletedProcess:
    """``build_site`` of ``content`` into ``tmp_path / "output"`` with the
    site's plugins and one of the test's, ``name`` (its ``__init__.py`` is
    ``source``), listed after them (or ``first``); ``settings`` for ``-e``."""
    plugins = tmp_path / "test_plugins"
    (plugins / name).mkdir(parents=True)
    (plugins / name / "__init__.py").write_text(source)
    site = runpy.run_path(str(ROOT / "pelicanconf.py"))["PLUGINS"]
    listed = [name, *site] if first else [*site, name]
    return build_site(
        content,
        tmp_path / "output",
        tmp_path / "cache",
        "--",
        "-e",
        f"PLUGINS={json.dumps(listed)}",
        f"PLUGIN_PATHS={json.dumps([str(plugins), str(ROOT / 'plugins')])}",
        *settings,
    )


def page(output: Path, slug: str) -> html.HtmlElement:
    return html.parse(str(output / "2009" / "07" / slug / "index.html")).getroot()


@functools.cache
def strict_sandbox_missing() -> dict[str, str]:
    """What the kernel here cannot give the strict sandbox (part -> why)."""
    from executable_blocks import sandbox

    return sandbox.probe("strict")["missing"]


def require_strict_sandbox() -> None:
    """Skip a test of the strict sandbox where the kernel cannot give it
    (Linux before 6.14, no user namespaces, no Landlock), naming what is
    missing, unless the run must have it: REQUIRE_STRICT=1, or every build
    strict (EXEC_SANDBOX=strict), as in .ci/run."""
    missing = strict_sandbox_missing()
    if not missing:
        return
    from executable_blocks import sandbox

    why = "the strict sandbox is not available here: " + "; ".join(
        f"{sandbox.PARTS[part]} ({reason})" for part, reason in missing.items()
    )
    required = os.environ.get("REQUIRE_STRICT") == "1"
    if required or os.environ.get("EXEC_SANDBOX") == "strict":
        raise RuntimeError(why)
    pytest.skip(why)
