"""The engine's wiring into Pelican: start the sessions when a run starts,
read Markdown with the extension, and report and write out at the end.
Pelican's autoreload (``pelican -r``, ``--listen --autoreload``) runs one
instance again at every change: what a site's settings make (the cache and
its keys, the sandbox's policy) is made once, and each run is a build of its
own (``begin`` to ``end``).

Pelican reads posts one at a time in one thread; the sessions run meanwhile
in worker processes. A post whose sessions have not finished when Pelican
reads it does not wait for them: each of its blocks becomes a placeholder
(an HTML comment), filled in once every post is read, before anything is
written (``all_generators_finalized``). Until then, the post's ``content``
(what templates and plugins read) waits for its own sessions and comes
filled in; only ``_content``, Pelican's raw copy, holds the placeholders.
"""

import logging
import os
import re
import secrets
import time
from functools import partial
from pathlib import Path

from markdown import Markdown
from rich.console import Console

from executable_blocks import sandbox
from executable_blocks.blocks import check_timeout, find_blocks, source_lines
from executable_blocks.cache import ResultStore
from executable_blocks.engine import Engine, Outcome, display_only
from executable_blocks.errors import BlockError, CacheKeyError
from executable_blocks.extension import ExecutableCodeExtension, log_error, outcome_html
from executable_blocks.paths import shown
from executable_blocks.protocol import Picture, Status
from executable_blocks.render import BLOCK_START
from executable_blocks.report import BlockProgress, print_summary, write_report
from executable_blocks.signing_keys import SIGNING_ENVIRONMENT, keys_for

from . import content_links
from .settings import (
    configured,
    figures_folder,
    network_allowed,
    sandbox_settings,
    switched_on,
    timeout_max,
)
from .summaries import leave_blocks_chrome_out

logger = logging.getLogger(__name__)
MARKDOWN_EXTENSIONS = ("md", "markdown", "mkd", "mdown")
# A Python code directive of reStructuredText, whose posts' code never runs.
RST_PYTHON_CODE = re.compile(
    r"^\s*\.\.\s+(?:code-block|code|sourcecode)::\s*(?:python3?|py|pycon)\s*$",
    re.IGNORECASE,
)


# What the builds of this process have said of their sandbox: each line once.
said: set[str] = set()

# EXEC_CACHE_SIGNING_KEY's value, taken out of the environment by the first
# build of this process, kept for its later ones.
signing_secret: str | None = None


def take_signing_secret() -> str | None:
    """The builder's secret key from the environment, taken out of it (no
    process the build starts inherits it) and kept for the process's later
    builds: Pelican's autoreload makes a second instance at once, and a new
    one whenever the settings file changes."""
    global signing_secret
    value = os.environ.pop(SIGNING_ENVIRONMENT, None)
    if value is not None:
        signing_secret = value
    return signing_secret


def warn_about_keys(store: ResultStore, secret: str | None) -> None:
    """What a read-only build should know of its keys."""
    if not store.read_only:
        return
    if (secret or "").strip():
        logger.warning(
            f"execution cache: {SIGNING_ENVIRONMENT} is set in a read-only build; "
            "it is not used, and a build of untrusted changes should not hold it"
        )
    if not store.trusted:
        logger.warning(
            "execution cache: a read-only build that trusts no key "
            "(EXEC_CACHE_TRUSTED_KEYS is empty, and %s has no cache-signing.pub) "
            "refuses every entry",
            store.state_dir,
        )
    elif store.key_file is not None:
        logger.warning(
            "execution cache: this read-only build trusts %s, as it is given "
            "no EXEC_CACHE_TRUSTED_KEYS; give a build of untrusted changes the "
            "trusted keys (a pull request can put a key of its own in a state "
            "directory that lies in its checkout)",
            store.key_file,
        )


class Build:
    """A site's execution settings, cache and sandbox, and from ``begin``
    to ``end`` the state of one Pelican run."""

    def __init__(self, settings: dict, quiet: bool = False):
        """``quiet``: say nothing but warnings and errors (``pelican -q``)."""
        self.settings = settings
        content = Path(settings["PATH"])
        self.code_dir = Path(settings.get("EXEC_CODE_DIR") or content / "code")
        extra = [Path(d) for d in settings.get("EXEC_INCLUDE_DIRS", [])]
        self.code_dirs = [self.code_dir, *extra]
        self.readable = [content, *self.code_dirs]  # where depends= files lie
        self.figures_folder = figures_folder(settings)
        self.figures_url = f"{settings['SITEURL']}/{self.figures_folder}/"
        # a figure's URL in a post (named by content: engine.published_name)
        self.figure_link = re.compile(
            re.escape(self.figures_url) + r"(?=[0-9a-f]{20}\.\w+\b)"
        )
        self.network = network_allowed(settings)
        self.report_path = configured(settings, "EXEC_REPORT")
        self.console = Console(stderr=True, quiet=quiet)
        state_dir = Path(
            configured(settings, "EXEC_STATE_DIR", content.parent / ".cache")
        )
        self.refuse_readable(state_dir)
        location = configured(settings, "EXEC_CACHE", state_dir / "execution")
        read_only = switched_on(settings, "EXEC_CACHE_READONLY")
        # (the process that writes the cache gets the secret through a pipe)
        secret = take_signing_secret()
        try:
            keys = keys_for(state_dir, read_only, secret)
            self.store = ResultStore(location, state_dir, read_only, keys=keys)
        except (CacheKeyError, ValueError, OSError) as error:
            # A misconfigured cache is the builder's to fix: say so, plainly.
            raise SystemExit(f"execution cache {location}: {error}") from None
        warn_about_keys(self.store, secret)
        self.max_timeout = timeout_max(settings)
        timeout = str(settings.get("EXEC_TIMEOUT", 60))
        try:
            self.timeout = check_timeout(timeout, self.max_timeout, "pelicanconf", 0)
        except BlockError:
            raise SystemExit(
                f"EXEC_TIMEOUT={timeout!r}: expected seconds above 0 and at most "
                f"EXEC_TIMEOUT_MAX ({self.max_timeout:g})"
            ) from None
        self.policy, self.passed = sandbox_settings(settings)
        self.policy["visible"] = [str(p) for p in self.readable]  # (depends=)
        self.isolation = sandbox.probe(self.policy["mode"])
        self.say_isolation(self.policy)
        self.engine: Engine | None = None  # while a run goes on

    def begin(self) -> None:
        """A run starts: check the content's links and make its engine
        (``discover`` then starts the sessions of the files Pelican will
        read, so that they run while it reads)."""
        self.check_links(self.policy["mode"])
        self.progress = BlockProgress(self.console)
        self.engine = Engine(
            self.store,
            self.code_dirs,
            lockfile=self.settings.get("EXEC_LOCKFILE"),
            workers=self.settings.get("EXEC_WORKERS"),
            timeout=self.timeout,
            fresh=switched_on(self.settings, "EXEC_FRESH"),
            progress=self.progress,
            sandbox=self.policy,
            pass_env=self.passed,
        )
        self.found: dict[str, tuple[list[str], list[str], list]] = {}
        self.rst_warned: set[str] = set()  # reStructuredText posts looked at
        self.markdown_extension: ExecutableCodeExtension | None = None
        self.started = time.perf_counter()
        # placeholders of pending blocks: (post, its blocks, which one)
        self.marker = f"<!--executable-posts {secrets.token_hex(8)} "
        self.placeholder = re.compile(re.escape(self.marker) + r"(\d+)-->")
        self.pending: list[tuple[str, list, int]] = []
        self.filled: dict[int, str] = {}
        self.unfilled: list = []  # content objects that hold placeholders

    def end(self) -> None:
        """A run is over, however it ended (a failed one stops before
        ``finish``): nothing of it goes on running, the cache's writer
        included (Pelican's autoreload would keep it as a zombie)."""
        if self.engine is not None:
            self.engine.stop()
            self.engine.writeback.wait()
            self.progress.stop()
            self.engine = None

    def refuse_readable(self, state_dir: Path) -> None:
        """The state folder holds the builder's secret key: never where the
        posts' blocks may read (a ``depends=`` file of the content folder, a
        module of a code folder), whatever the sandbox."""
        state = state_dir.resolve()
        for folder in self.readable:
            if state.is_relative_to(folder.resolve()):
                raise SystemExit(
                    f"EXEC_STATE_DIR {shown(state_dir)} lies in {shown(folder)}, "
                    "which the posts' blocks may read: they could read the "
                    "cache's secret key there; set EXEC_STATE_DIR to a folder "
                    "outside the content and code folders"
                )

    def say_isolation(self, policy: dict) -> None:
        """Say what the sandbox is; ``strict`` without all of it stops here."""
        line = f"executable_posts: {sandbox.describe(self.isolation, policy)}"
        if not self.network:
            line += '; network="on" refused (EXEC_NETWORK=never)'
        if policy["mode"] == "strict" and self.isolation["missing"]:
            raise SystemExit(f"{line}\nEXEC_SANDBOX=strict: refusing to build")
        if line in said:  # (autoreload makes a second instance at once)
            return
        said.add(line)
        if self.isolation["missing"] or policy["mode"] == "off":
            logger.warning(line)
        else:
            self.console.print(line, markup=False, highlight=False)

    def check_links(self, mode: str) -> None:
        """Links in the content that lead out of the site, where Pelican
        reads of itself (``content_links.walked_out``): refused by
        ``strict`` (the mode of builds of untrusted changes), said by
        ``best``. For the others, ``link_roots`` are where a path a post
        names in a ``{static}`` or ``{attach}`` link must lead, links
        resolved, for ``content_paths`` to refuse or say it does not (None
        with the sandbox off)."""
        self.link_roots: list[Path] | None = None
        self.refuse_links = mode == "strict"
        if mode == "off":
            return
        self.link_roots = content_links.real_roots(self.readable)
        content = Path(self.settings["PATH"])
        said = [
            f"{shown(folder)}: leads to {target} through a link (the content "
            "and code directories must be folders, not links: blocks may read "
            "what they lead to)"
            for folder, target in content_links.linked(self.readable, content.parent)
        ]
        output = self.settings.get("OUTPUT_PATH")
        skip = [Path(output)] if output else []
        walked = content_links.walked_out(content, self.settings, self.readable, skip)
        said += [
            f"{shown(link)}: a link to {target}, outside the content and code "
            "directories (Pelican would read, and publish, what it leads to)"
            for link, target in walked
        ]
        if said and mode == "strict":
            raise SystemExit(
                "\n".join([*said, "EXEC_SANDBOX=strict: refusing to build"])
            )
        for line in said:
            logger.warning(line)

    def discover(self, paths) -> None:
        """Find the blocks of the Markdown files among ``paths`` (those
        Pelican will read as posts or pages) and hand their sessions to the
        engine."""
        normalize = Markdown().preprocessors["normalize_whitespace"]
        suffixes = tuple(f".{extension}" for extension in MARKDOWN_EXTENSIONS)
        paths = sorted(map(Path, paths))
        files = [
            path
            for path in paths
            if path.suffix in suffixes and not path.is_relative_to(self.code_dir)
        ]
        if self.settings.get("EXEC_REQUIRE", True):
            for path in paths:
                if path.suffix == ".rst":
                    self.warn_of_rst_code(path)
        for path in files:
            where = shown(path)
            if where in self.found:  # (a generator of a subclass finds it again)
                continue
            try:
                text = path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError):
                continue  # the reader reports it
            # (as the extension reads it: normalized, the code as written)
            source = source_lines(text)
            lines = normalize.run(source)
            found = self.find_blocks(lines, where, self.code_dirs, source)
            self.found[where] = (lines, source, found)
            blocks = [
                b for _, _, b in found if not isinstance(b, BlockError) and b.runs
            ]
            if blocks:
                self.engine.submit(where, blocks)

    def warn_of_rst_code(self, path: Path) -> None:
        """A reStructuredText post's Python code is shown, never run: said at
        its first such block, where every python block must say whether it
        runs (``EXEC_REQUIRE``), since an author may expect it to."""
        if shown(path) in self.rst_warned:  # (read once a build)
            return
        self.rst_warned.add(shown(path))
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            return  # (the reader reports it)
        found = [n for n, line in enumerate(lines, 1) if RST_PYTHON_CODE.match(line)]
        if found:
            many = f"{len(found)} python code blocks" if found[1:] else "python code"
            logger.warning(
                "%s:%d: %s in a reStructuredText post: shown, never run "
                "(blocks run in Markdown posts only)",
                shown(path),
                found[0],
                many,
            )

    def extension(self, source_path: str) -> ExecutableCodeExtension:
        """The extension, set for the post about to be read (posts are read
        one at a time, so one extension serves them all)."""
        path = shown(source_path)
        if self.markdown_extension is None:  # the first post read: every
            # generator has found its files, and their sessions are planned
            self.engine.highlight()
            self.markdown_extension = ExecutableCodeExtension(
                code_dirs=[str(d) for d in self.code_dirs],
                picture_url=self.picture_url,
                require_exec=self.settings.get("EXEC_REQUIRE", True),
                find=self.find,
            )
        self.markdown_extension.setConfigs(
            {"source_path": path, "run": partial(self.outcomes, path)}
        )
        return self.markdown_extension

    def outcomes(self, path: str, blocks: list) -> list:
        """The blocks' outcomes, or placeholders while their sessions run."""
        outcomes = self.engine.outcomes(path, blocks, wait=False)
        if outcomes is not None:
            return outcomes
        pending = []
        for index, block in enumerate(blocks):
            if block.runs:
                number = len(self.pending)
                self.pending.append((path, blocks, index))
                placeholder = f"{self.marker}{number}-->"
                outcome = Outcome(block, Status.PENDING, "", placeholder=placeholder)
                pending.append(outcome)
            else:
                pending.append(display_only(block))
        return pending

    def fill(self, html: str) -> str:
        """``html`` with its placeholders replaced (waiting for their blocks)."""
        return self.placeholder.sub(lambda m: self.filled_in(int(m[1])), html)

    def filled_in(self, number: int) -> str:
        """A pending block's HTML; its problems are reported the first time."""
        if number not in self.filled:
            path, blocks, index = self.pending[number]
            outcome = self.engine.outcomes(path, blocks)[index]
            self.filled[number] = outcome_html(outcome, self.picture_url, log_error)
        return self.filled[number]

    def track(self, content) -> None:
        """Make ``content`` filled in whenever it is read before the end of
        reading, and remember it to fill in its raw copy then; give its
        figures the site's URL of the page that shows it."""
        raw = getattr(content, "_content", None)
        if not isinstance(raw, str):
            return
        if self.marker in raw:
            self.unfilled.append(content)
            content._get_content = partial(self.fill_content, content)
        relative = self.settings.get("RELATIVE_URLS")
        if relative and (self.marker in raw or self.figures_url in raw):
            content._update_content = partial(
                self.site_relative, content._update_content
            )
        if self.marker in raw or BLOCK_START in raw:
            leave_blocks_chrome_out(content)
            forget_what_pelican_made_of(content)

    def site_relative(self, update, html: str, siteurl: str) -> str:
        """Pelican's ``_update_content``, which makes a post's links relative
        to the page (or feed) it goes into under ``RELATIVE_URLS``, for the
        figures' URLs too (joined as Pelican joins its own there)."""
        folder = os.path.join(siteurl, self.figures_folder) + "/"
        return update(self.figure_link.sub(lambda _: folder, html), siteurl)

    def fill_content(self, content) -> str:
        return self.fill(content._content)

    def fill_all(self) -> None:
        """Every block's outcome judged and reported, every page filled in."""
        for number in range(len(self.pending)):
            self.filled_in(number)
        for content in self.unfilled:
            content._content = self.fill(content._content)
            del content._get_content
        self.unfilled.clear()

    def find(self, lines: list[str], path: str, code_dirs: list[Path], source=None):
        """The blocks of a post, as found at start-up if it has not changed."""
        known = self.found.pop(path, None)
        if known and known[0] == lines and known[1] == source:
            return known[2]
        return self.find_blocks(lines, path, code_dirs, source)

    def find_blocks(self, lines: list[str], path: str, code_dirs: list[Path], source):
        return find_blocks(
            lines,
            path,
            code_dirs,
            self.max_timeout,
            self.readable,
            self.network,
            source=source,
        )

    def picture_url(self, item: Picture) -> str:
        return f"{self.figures_url}{self.engine.publish(item)}"

    def raster_url(self, url: str) -> str | None:
        """URL of a PNG of the SVG figure at ``url`` (a figure of this build),
        published with the other figures; None if it has none."""
        name = self.engine.publish_raster(url.rsplit("/", 1)[-1])
        return f"{self.figures_url}{name}" if name else None

    def finish(self) -> None:
        self.fill_all()
        outcomes = self.engine.close()
        self.progress.stop()
        seconds = time.perf_counter() - self.started
        if outcomes:
            print_summary(self.progress.console, outcomes, seconds)
        if self.report_path:
            write_report(Path(self.report_path), outcomes, seconds)

    def write_files(self, output_path: str) -> None:
        folder = Path(output_path) / self.figures_folder
        for name, data in sorted(self.engine.files.items()):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)


def forget_what_pelican_made_of(content) -> None:
    """Drop the HTML and summary Pelican memoised for ``content`` before it
    was tracked: a plugin listed before this one that reads ``content`` on
    ``content_object_init`` (a word count, a reading time) made Pelican keep
    the post with its placeholders, and that copy, never filled in, was the
    page written (a cold build's block missing, exit 0)."""
    siteurls = {content.get_siteurl(), content.settings.get("SITEURL", "")}
    for method in (type(content).get_content, type(content).get_summary):
        memo = getattr(method, "cache", None)  # (Pelican's ``memoized``)
        if memo:  # (one dict for every post, kept across autoreload's runs:
            for siteurl in siteurls:  # its keys are popped, never scanned)
                memo.pop((content, siteurl), None)
