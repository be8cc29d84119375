"""Benchmark of the execution engine (``packages/pelican-executable-posts``).

Generates 1,000 synthetic posts, each with one trivial executable block, in a
temporary directory and times, in one run:

- plain Pelican: the same posts, theme and settings with the engine left out
  of ``PLUGINS``;
- a cold build: a fresh, empty execution cache every time;
- a warm build: the cache filled by an earlier build of the same posts;
- the per-block overhead inside one session: one post with 200 trivial
  blocks minus the same post with one block, both cold, divided by 199;
- each of these three with the sandbox (``EXEC_SANDBOX=strict``, the mode of
  CI) and without it (``EXEC_SANDBOX=off``), for the sandbox's cost;
- the peer: MkDocs with markdown-exec against plain MkDocs on the same pages
  (with MkDocs' default navigation, and with one of the home page only).

Each is measured ``--repeat`` times (5 by default), round-robin after a
warm-up round; the report gives median and minimum. Every build runs in its
own process from the repository root, as ``invoke build`` runs it, with its
temporary files, execution cache and report under a temporary directory, and
is checked: a non-zero exit, a missing article page or a block that did not
run (or was not cached), or whose output is not on its page, aborts the
benchmark with the build's stderr; so does a MkDocs page without its block's
output (with markdown-exec) or with it (without). The
figures replace the "## Execution engine" section of ``bench/RESULTS.md``.

    uv run --locked --group bench python bench/exec_engine.py [--repeat N] [--keep]
"""

import argparse
import hashlib
import itertools
import json
import os
import re
import resource
import runpy
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial
from pathlib import Path

from _results import command_line, machine, write_section

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = ROOT / "pelicanconf.py"
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Execution engine"
ENGINE = "executable_posts"
ENGINE_CODE = "packages/pelican-executable-posts/src"
POSTS = 1000
MANY_BLOCKS = 200
FIRST_DATE = date(2008, 1, 1)

# Targets of the engine in its sandbox, and the peer's own published ratio.
TARGET_COLD = 1.25
TARGET_WARM = 1.08
TARGET_BLOCK_MS = 2.0
PEER_QUOTED = (
    1.23  # the peer's ratio as this project was told it; no public source found
)

MKDOCS = """\
site_name: Benchmark
theme:
  name: mkdocs
"""
# markdown-exec's documented set-up: a SuperFences custom fence.
MKDOCS_EXEC = """\
markdown_extensions:
  - pymdownx.superfences:
      custom_fences:
        - name: python
          class: python
          validator: !!python/name:markdown_exec.validator
          format: !!python/name:markdown_exec.formatter
"""
MKDOCS_PLAIN = """\
markdown_extensions:
  - pymdownx.superfences
"""
# MkDocs' default navigation lists every page on every page, which costs
# time in proportion to the pages squared; this one lists the home page only.
MKDOCS_SHORT_NAV = """\
nav:
  - index.md
"""


class BenchmarkFailed(Exception):
    """A build failed or built the wrong thing; the benchmark stops."""


# -- the synthetic posts ---------------------------------------------------


def slug(number: int) -> str:
    return f"synthetic-post-{number:04d}"


def post(number: int, blocks: int = 1) -> str:
    """A post with Pelican's metadata header, a paragraph and ``blocks`` blocks."""
    day = FIRST_DATE + timedelta(days=number)
    code = "".join(
        f'```python exec="on"\nprint({number + k} * 2)\n```\n\n' for k in range(blocks)
    )
    return (
        f"Title: Synthetic post {number:04d}\n"
        f"Date: {day.isoformat()}\n"
        f"Tags: benchmark, group-{number % 10}\n"
        "\n"
        f"Post {number} of the execution benchmark: a paragraph of ordinary prose, "
        "about as long as the opening of a real post, so that the Markdown reader "
        "has some text to go through besides the block below.\n"
        "\n"
        f"{code}"
    )


def article_path(output: Path, number: int) -> Path:
    day = FIRST_DATE + timedelta(days=number)
    return output / f"{day:%Y}" / f"{day:%m}" / slug(number) / "index.html"


def write_posts(content: Path, numbers: range, blocks: int = 1) -> None:
    posts = content / "posts"
    posts.mkdir(parents=True)
    for number in numbers:
        (posts / f"{slug(number)}.md").write_text(
            post(number, blocks), encoding="utf-8"
        )


def write_mkdocs(project: Path, posts: int) -> dict[str, Path]:
    """The posts as MkDocs pages under ``project/docs``, and one settings file
    per variant: with or without markdown-exec, default or short navigation."""
    docs = project / "docs"
    (docs / "posts").mkdir(parents=True)
    (docs / "index.md").write_text("# Benchmark\n\nSynthetic posts.\n", "utf-8")
    for number in range(posts):
        page = docs / "posts" / f"{slug(number)}.md"
        page.write_text(post(number), encoding="utf-8")
    variants = {
        "mkdocs": (MKDOCS_PLAIN,),
        "mkdocs_exec": (MKDOCS_EXEC,),
        "mkdocs_short": (MKDOCS_PLAIN, MKDOCS_SHORT_NAV),
        "mkdocs_exec_short": (MKDOCS_EXEC, MKDOCS_SHORT_NAV),
    }
    settings = {}
    for name, parts in variants.items():
        settings[name] = project / f"{name}.yml"
        settings[name].write_text(MKDOCS + "".join(parts), encoding="utf-8")
    return settings


# -- running and checking builds -------------------------------------------


def fresh(directory: Path) -> Path:
    """A new, empty directory named after ``directory``. Nothing is deleted
    while the benchmark runs: on a disk file system (ext4), creating files
    soon after many were deleted is slower, which would charge each build
    for the clean-up of the one before it."""
    for number in itertools.count(1):
        candidate = directory.with_name(f"{directory.name}-{number}")
        with suppress(FileExistsError):
            candidate.mkdir(parents=True)
            return candidate
    raise AssertionError("unreachable")


def build_env(work: Path, **extra: str) -> dict[str, str]:
    """The environment of a build: no EXEC_* of the caller's, and temporary
    files under ``work`` (the engine's workers each make a directory there)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXEC_")}
    env.update(TMPDIR=str(fresh(work / "tmp")), COLUMNS="240", **extra)
    return env


def run(command: list[str], env: dict[str, str]) -> float:
    """Run ``command`` from the repository root; its wall time in seconds.

    The file system's dirty pages are written out first: the build before
    wrote thousands of files, and the kernel writing them back while this
    one runs would charge it for that build's output."""
    os.sync()
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise BenchmarkFailed(
            f"exit {result.returncode}: {' '.join(command)}\n"
            f"--- stderr ---\n{result.stderr}\n--- stdout (end) ---\n"
            f"{result.stdout[-4000:]}"
        )
    return seconds


@dataclass
class Pelican:
    """Builds of one content directory, the way ``invoke build`` runs them."""

    content: Path
    work: Path
    posts: int
    plugins: list[str] | None = None  # None: pelicanconf.py's own PLUGINS
    sandbox: str = "strict"
    blocks: int = 1  # each post's

    def build(self, cache: Path | None = None, expect: str | None = None) -> float:
        """Build into a fresh output directory and check what was built.

        ``expect`` is the status every block must have in the report: "ran"
        (cold) or "cached" (warm); None for a build without the engine.
        """
        output = fresh(self.work / "output")
        report = self.work / "execution.json"
        report.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "pelican",
            str(self.content),
            "--settings",
            str(SETTINGS),
            "--output",
            str(output),
        ]
        if self.plugins is not None:
            command += ["-e", f"PLUGINS={json.dumps(self.plugins)}"]
        env = build_env(
            self.work,
            EXEC_CACHE=str(cache or self.work / "unused-cache"),
            EXEC_REPORT=str(report),
            EXEC_SANDBOX=self.sandbox,
        )
        seconds = run(command, env)
        self.check(output, report, expect)
        return seconds

    def check(self, output: Path, report: Path, expect: str | None) -> None:
        pages = list(output.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html"))
        if len(pages) != self.posts:
            raise BenchmarkFailed(
                f"{output}: {len(pages)} article pages, expected {self.posts}"
            )
        if expect is None:
            if report.exists():
                raise BenchmarkFailed("the engine ran in a build without it")
            return
        try:
            counts = json.loads(report.read_text(encoding="utf-8"))["counts"]
        except (OSError, ValueError, KeyError) as error:
            raise BenchmarkFailed(f"no execution report at {report}: {error}") from None
        blocks = self.posts * self.blocks
        if counts.get(expect) != sum(counts.values()) or counts[expect] != blocks:
            raise BenchmarkFailed(f"expected {blocks} blocks {expect!r}, got {counts}")
        for path in (self.content / "posts").glob("*.md"):
            number = int(path.stem.rsplit("-", 1)[1])
            page = article_path(output, number).read_text(encoding="utf-8")
            # (code_regions gives the output's <pre> a role and a label)
            shown = re.findall(r'class="exec-stdout"[^>]*><code>(\d+)\n', page)
            printed = [str((number + k) * 2) for k in range(self.blocks)]
            if shown != printed:
                raise BenchmarkFailed(
                    f"{path.name}: its page does not show what it printed"
                )


def mkdocs_build(settings: Path, posts: int, executed: bool) -> float:
    site = fresh(settings.parent / "site")
    command = [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(settings)]
    seconds = run([*command, "-d", str(site)], build_env(settings.parent))
    pages = list((site / "posts").glob("*/index.html"))
    if len(pages) != posts:
        raise BenchmarkFailed(f"{site}: {len(pages)} pages, expected {posts}")
    for number in range(posts):
        page = (site / "posts" / slug(number) / "index.html").read_text("utf-8")
        # markdown-exec renders what the block printed as Markdown: a paragraph
        if (f"<p>{number * 2}</p>" in page) != executed:
            state = "did not run" if executed else "ran"
            raise BenchmarkFailed(f"{settings.name}: {slug(number)}: block {state}")
    return seconds


# -- the measurements ------------------------------------------------------


@dataclass
class Timing:
    label: str
    seconds: list[float] = field(default_factory=list)  # wall time
    cpu: list[float] = field(default_factory=list)  # user + system, all processes

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min(self) -> float:
        return min(self.seconds)


def children_cpu() -> float:
    """CPU seconds of the finished child processes so far, each with the
    descendants it waited for (Pelican waits for the zygote, which waits for
    every worker)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def engine_digest() -> str:
    """A digest of the engine's code, to tell whether it changed during a run."""
    files = sorted((ROOT / ENGINE_CODE).rglob("*.py"))
    return hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()


def measure(work: Path, repeat: int, posts: int, log) -> dict[str, Timing]:
    plugins = runpy.run_path(str(SETTINGS))["PLUGINS"]
    if ENGINE not in plugins:
        raise BenchmarkFailed(f"{ENGINE} is not in pelicanconf.py's PLUGINS: {plugins}")

    content = work / "content"
    write_posts(content, range(posts))
    many, one = work / "content-many", work / "content-one"
    write_posts(many, range(7, 8), MANY_BLOCKS)
    write_posts(one, range(7, 8), 1)
    site = Pelican(content, work / "site", posts)
    plain = Pelican(content, work / "site", posts, [p for p in plugins if p != ENGINE])
    many_site = Pelican(many, work / "site", 1, blocks=MANY_BLOCKS)
    one_site = Pelican(one, work / "site", 1)
    unboxed = Pelican(content, work / "site", posts, sandbox="off")
    many_unboxed = Pelican(many, work / "site", 1, sandbox="off", blocks=MANY_BLOCKS)
    one_unboxed = Pelican(one, work / "site", 1, sandbox="off")
    mkdocs = write_mkdocs(work / "mkdocs", posts)
    cache = work / "cache"

    timings = {
        key: Timing(label)
        for key, label in (
            ("plain", f"Pelican, engine off, {posts:,} posts"),
            ("cold", f"Pelican, cold build, {posts:,} posts"),
            ("warm", f"Pelican, warm build, {posts:,} posts"),
            ("many", f"Pelican, 1 post of {MANY_BLOCKS} blocks, cold"),
            ("one", "Pelican, 1 post of 1 block, cold"),
            ("cold_off", f"Pelican, cold build, {posts:,} posts, sandbox off"),
            ("warm_off", f"Pelican, warm build, {posts:,} posts, sandbox off"),
            ("many_off", f"Pelican, 1 post of {MANY_BLOCKS} blocks, cold, sandbox off"),
            ("one_off", "Pelican, 1 post of 1 block, cold, sandbox off"),
            ("mkdocs", f"MkDocs, {posts:,} pages"),
            ("mkdocs_exec", f"MkDocs + markdown-exec, {posts:,} pages"),
            ("mkdocs_short", f"MkDocs, {posts:,} pages, short navigation"),
            (
                "mkdocs_exec_short",
                f"MkDocs + markdown-exec, {posts:,} pages, short navigation",
            ),
        )
    }
    caches: list[Path] = []
    unboxed_caches: list[Path] = []

    def cold_build() -> float:
        caches.append(fresh(cache))
        return site.build(caches[-1], "ran")

    def cold_unboxed() -> float:
        unboxed_caches.append(fresh(cache))
        return unboxed.build(unboxed_caches[-1], "ran")

    builds = {
        "plain": lambda: plain.build(),
        # The cold build fills a fresh cache; the warm build right after uses
        # it (so that an edit of the engine between rounds cannot turn the
        # warm build cold).
        "cold": cold_build,
        "warm": lambda: site.build(caches[-1], "cached"),
        "many": lambda: many_site.build(fresh(work / "cache-blocks"), "ran"),
        "one": lambda: one_site.build(fresh(work / "cache-blocks"), "ran"),
        "cold_off": cold_unboxed,
        "warm_off": lambda: unboxed.build(unboxed_caches[-1], "cached"),
        "many_off": lambda: many_unboxed.build(fresh(work / "cache-blocks"), "ran"),
        "one_off": lambda: one_unboxed.build(fresh(work / "cache-blocks"), "ran"),
        **{
            key: partial(mkdocs_build, settings, posts, "exec" in key)
            for key, settings in mkdocs.items()
        },
    }
    # Round 0 warms the disk cache and is not counted; then round-robin, so
    # that a slow spell of the machine hits every measurement alike.
    for round_number in range(repeat + 1):
        for key, build in builds.items():
            before = children_cpu()
            seconds = build()
            cpu = children_cpu() - before
            if round_number:
                timings[key].seconds.append(seconds)
                timings[key].cpu.append(cpu)
            log(
                f"round {round_number}/{repeat}: {timings[key].label}: "
                f"{seconds:.2f} s (CPU {cpu:.2f} s)"
            )
    return timings


# -- the report ------------------------------------------------------------


def machine_info(work: Path) -> dict[str, str]:
    packages = ("pelican", "markdown", "mkdocs", "markdown-exec", "pymdown-extensions")
    return {
        **machine(packages),
        "engine": engine_version(),
        "files": f"posts, outputs, caches and the zygote's directory on "
        f"{filesystem_of(work)} ({work.parent}); in strict builds each session "
        "works in a tmpfs of its own",
    }


def filesystem_of(path: Path) -> str:
    """The type of the file system ``path`` is on: creating and deleting
    thousands of files costs very different time on tmpfs and on a disk."""
    best, kind = "", "unknown"
    with suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            mount, fstype = line.split()[1:3]
            inside = str(path).startswith(mount.rstrip("/") + "/")
            if (inside or str(path) == mount) and len(mount) > len(best):
                best, kind = mount, fstype
    return kind


def engine_version() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout.strip() if result.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD") or "unknown commit"
    dirty = git("status", "--porcelain", "--", ENGINE_CODE)
    return f"{commit}" + (
        f" with uncommitted changes to {ENGINE_CODE}" if dirty else ""
    )


def verdict(value: float, target: float) -> str:
    return "**met**" if value <= target else "**not met**"


def section(
    timings: dict[str, Timing],
    repeat: int,
    posts: int,
    engine_changed: bool,
    work: Path,
    command: str,
) -> str:
    t = timings

    def ratios(over: str, under: str) -> tuple[float, float]:
        return t[over].median / t[under].median, t[over].min / t[under].min

    def per_block(stat: str, suffix: str = "") -> float:
        many, one = getattr(t["many" + suffix], stat), getattr(t["one" + suffix], stat)
        return (many - one) / (MANY_BLOCKS - 1) * 1000

    def cpu_ratio(over: str, under: str) -> float:
        return statistics.median(t[over].cpu) / statistics.median(t[under].cpu)

    cold, cold_min = ratios("cold", "plain")
    warm, warm_min = ratios("warm", "plain")
    block, block_min = per_block("median"), per_block("min")
    cold_off, cold_off_min = ratios("cold_off", "plain")
    warm_off, warm_off_min = ratios("warm_off", "plain")
    block_off, block_off_min = per_block("median", "_off"), per_block("min", "_off")
    peer, peer_min = ratios("mkdocs_exec", "mkdocs")
    short, short_min = ratios("mkdocs_exec_short", "mkdocs_short")

    lines = [SECTION, ""]
    lines += [f"- {key}: {value}" for key, value in machine_info(work).items()]
    lines += [
        "",
        f"`{command}`: "
        f"{posts:,} synthetic posts (metadata "
        "header, a paragraph, one `print(i * 2)` block each), each build in its own "
        f"process from the repository root; {repeat} runs of each, round-robin "
        "after an uncounted warm-up round; wall time, interpreter start-up "
        "included, each build started after `sync` (the build before it wrote "
        "thousands of files). Cold builds start from an empty execution cache, "
        "warm builds from the cache the cold build before them filled. Every "
        "Pelican build was checked: exit 0 and every article page written; "
        "with the engine, also the report holding every block, each of which "
        "ran (cold) or came from the cache (warm), and every block's output on "
        "its page. Every MkDocs build was checked: exit 0, every page written, "
        "and on every page the block's output (what it printed, as a "
        "paragraph) present with markdown-exec and absent without it. The "
        "engine's "
        "builds run their blocks in the full sandbox (`EXEC_SANDBOX=strict`); the "
        "rows marked *sandbox off* are the same builds with `EXEC_SANDBOX=off`, "
        "measured in the same rounds, for the sandbox's cost. MkDocs builds "
        "the same files with its default theme; markdown-exec is configured as a "
        "SuperFences custom fence, as its documentation says, and plain MkDocs "
        "has SuperFences without it. MkDocs' default navigation lists all pages "
        "on every page (time grows with the pages squared), so it is also "
        "measured with a navigation of the home page only.",
        "",
        "| measurement | median (s) | min (s) | CPU, median (s) |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {x.label} | {x.median:.2f} | {x.min:.2f} | {statistics.median(x.cpu):.2f} |"
        for x in t.values()
    ]
    lines += [
        "",
        "| ratio | from medians | from minima | CPU, medians | target | |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
        f"| cold / plain | {cold:.2f} | {cold_min:.2f} "
        f"| {cpu_ratio('cold', 'plain'):.2f} | <= {TARGET_COLD} "
        f"| {verdict(cold, TARGET_COLD)} |",
        f"| warm / plain | {warm:.2f} | {warm_min:.2f} "
        f"| {cpu_ratio('warm', 'plain'):.2f} | <= {TARGET_WARM} "
        f"| {verdict(warm, TARGET_WARM)} |",
        f"| per-block overhead, ms: (200 blocks - 1 block) / 199 | {block:.1f} "
        f"| {block_min:.1f} | | <= {TARGET_BLOCK_MS:g} "
        f"| {verdict(block, TARGET_BLOCK_MS)} |",
        f"| cold / plain, sandbox off | {cold_off:.2f} | {cold_off_min:.2f} "
        f"| {cpu_ratio('cold_off', 'plain'):.2f} | | reference |",
        f"| warm / plain, sandbox off | {warm_off:.2f} | {warm_off_min:.2f} "
        f"| {cpu_ratio('warm_off', 'plain'):.2f} | | reference |",
        f"| per-block overhead, ms, sandbox off | {block_off:.1f} "
        f"| {block_off_min:.1f} | | | reference |",
        f"| the sandbox's cost: cold / cold with it off | "
        f"{t['cold'].median / t['cold_off'].median:.2f} "
        f"| {t['cold'].min / t['cold_off'].min:.2f} "
        f"| {cpu_ratio('cold', 'cold_off'):.2f} | | |",
        f"| markdown-exec / plain MkDocs (the peer) | {peer:.2f} | {peer_min:.2f} "
        f"| {cpu_ratio('mkdocs_exec', 'mkdocs'):.2f} "
        f"| quoted: about {PEER_QUOTED} (no public source found) | reference |",
        f"| the same, short navigation | {short:.2f} | {short_min:.2f} "
        f"| {cpu_ratio('mkdocs_exec_short', 'mkdocs_short'):.2f} | | reference |",
        "",
        "Targets are judged on the ratios of the median wall times. The CPU "
        "column (user + system time of the build and every process it started) "
        "is less sensitive to other load on the machine.",
        "",
    ]
    names = {
        f"cold/plain <= {TARGET_COLD}": cold <= TARGET_COLD,
        f"warm/plain <= {TARGET_WARM}": warm <= TARGET_WARM,
        f"per-block <= {TARGET_BLOCK_MS:g} ms": block <= TARGET_BLOCK_MS,
    }
    kept = [name for name, ok in names.items() if ok] or ["none"]
    missed = [name for name, ok in names.items() if not ok] or ["none"]
    lines += [
        f"Targets met: {', '.join(kept)}. Targets not met: {', '.join(missed)}.",
        f"In its sandbox, the engine's cold build costs {cold:.2f}x plain Pelican "
        f"and its warm build {warm:.2f}x ({cold_off:.2f}x and {warm_off:.2f}x "
        f"with the sandbox off); markdown-exec costs {peer:.2f}x plain MkDocs here "
        f"({short:.2f}x with the short navigation; the figure this project was "
        f"given for it, about {PEER_QUOTED}, has no public source we could find).",
    ]
    if engine_changed:
        lines += [
            "",
            f"**Caution:** the code of {ENGINE_CODE} changed while the "
            "benchmark ran; these figures mix versions of the engine.",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs of each (>= 3)")
    parser.add_argument("--posts", type=int, default=POSTS, help=argparse.SUPPRESS)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--keep", action="store_true", help="keep the temporary files")
    args = parser.parse_args()
    if args.repeat < 3:
        parser.error("--repeat must be at least 3")

    def log(message: str) -> None:
        print(f"[exec_engine] {message}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-exec-"))
    engine = engine_digest()
    try:
        timings = measure(work, args.repeat, args.posts, log)
    except BenchmarkFailed as failure:
        log(f"benchmark aborted: {failure}")
        return 1
    finally:
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    engine_changed = engine_digest() != engine
    if engine_changed:
        log(f"warning: {ENGINE_CODE} changed during the run")
    text = section(
        timings,
        args.repeat,
        args.posts,
        engine_changed,
        work,
        command_line(parser, args),
    )
    write_section(args.results, SECTION, text)
    print(text)
    log(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
