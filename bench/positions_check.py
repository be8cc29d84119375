"""Benchmark of the positions check beside LinkChecker, in one run.

Builds a synthetic site of ``--posts`` posts once, with the blog's own
settings and plugins (pelicanconf.py's ``PLUGINS``, less ``positions_check``
itself: in the build it would check the site before the breakage below is
seeded), with document-relative URLs so that LinkChecker can crawl it from
the file system and without feeds; seeds it with known breakage (broken
links and missing images on some article pages); then times each tool two
ways, in ``--rounds`` rounds (the tools' order alternating):

- **checking only**, in this process after the tool's imports: ours,
  ``positions_check.SiteCheck`` over every HTML page, configured from
  pelicanconf.py as the build configures it (the way it runs: inside the
  Pelican build, which has imported it); LinkChecker, its ``check_urls``
  crawling from ``index.html``, set up by its own command line's code from
  the arguments of the command below (but ``-o none``: a logger of ours
  records every URL it checked);
- **a fresh process**, interpreter start-up and imports included: the
  ``linkchecker`` command (``python -m linkcheck``), and for ours a
  ``python -c`` program that imports the check and runs it over every page.

LinkChecker at its best: internal links only (its default; no
``--check-extern``), no status line, no warnings, CSV output of the errors
only, and the number of threads that was fastest in an untimed probe of
0 (checking in its main thread), 1, 2, 4 and 10 (its default) on this
machine. Pages per second are each tool's own count: ours, the HTML pages it
was given; LinkChecker's, the distinct ``text/html`` URLs it checked.

Both must report exactly the seeded broken references; ours must be at
least 10x faster (judged on the smaller of the two speed-ups) and check at
least 1,000 pages/s. The figures replace the "## Positions check" section of
``bench/RESULTS.md``.

    uv run --locked --group bench python bench/positions_check.py [--rounds N]
"""

import argparse
import csv
import io
import json
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from _results import command_line, machine_lines, write_section

ROOT = Path(__file__).resolve().parent.parent
PLUGINS_DIR = ROOT / "plugins"
sys.path.insert(0, str(PLUGINS_DIR))

from positions_check import SiteCheck, check_arguments  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Positions check"
SETTINGS = ROOT / "pelicanconf.py"
MEASURED = "positions_check"  # the plugin this benchmark times on its own
POSTS = 1000
BROKEN_PAGES = 10
THREADS = (0, 1, 2, 4, 10)  # LinkChecker's --threads tried; 10 is its default
TARGET_SPEEDUP = 10
TARGET_RATE = 1000

# Ours in a fresh process: import the check, run it over every page, print
# what it found (argv: the plugins folder, the output, the check's settings).
OURS_FRESH = """\
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from positions_check import SiteCheck
output = Path(sys.argv[2])
pages = sorted(output.rglob("*.html"))
problems = SiteCheck(output, **json.loads(sys.argv[3])).run(pages, {}, str)
print(json.dumps([len(pages), [[p.path, p.message] for p in problems]]))
"""


def write_posts(content: Path, posts: int) -> None:
    folder = content / "posts"
    folder.mkdir(parents=True)
    for n in range(posts):
        (folder / f"post-{n:04d}.md").write_text(
            f"Title: Post {n}\nDate: 2020-01-01 {n // 60 % 24:02d}:{n % 60:02d}\n"
            f"Tags: tag{n % 20}, tag{n % 7}\n\n"
            f"Paragraph {n} with [a link to the first post]"
            "({filename}post-0000.md).\n"
        )


def site_plugins(settings: dict) -> list[str]:
    """The blog's plugins, less the check measured here."""
    return [p for p in settings["PLUGINS"] if p != MEASURED]


def build(content: Path, output: Path, plugins: list[str], work: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pelican",
        str(content),
        "-s",
        str(SETTINGS),
        "-o",
        str(output),
        "-e",
        f"PLUGINS={json.dumps(plugins)}",
        "RELATIVE_URLS=true",
        "FEED_ALL_ATOM=null",
        "FEED_ALL_RSS=null",
        "CATEGORY_FEED_ATOM=null",
        "TAG_FEED_ATOM=null",
    ]
    # The engine's cache and report in the scratch folder, not the project's.
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXEC_")}
    env.update(EXEC_CACHE=str(work / "cache"), EXEC_REPORT=str(work / "exec.json"))
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(
            f"the synthetic site did not build:\n{result.stderr}{result.stdout}"
        )


def seed_breakage(output: Path) -> set[str]:
    """Broken links and missing images on some article pages; the set of the
    missing files' paths (relative to the output)."""
    articles = sorted(output.glob("2020/01/post-*/index.html"))[:BROKEN_PAGES]
    missing = set()
    for number, page in enumerate(articles):
        text = page.read_text()
        extra = (
            f'<a href="missing-{number}.html">gone</a>'
            f'<img src="../../../figures/lost-{number}.png" alt="lost">'
        )
        page.write_text(text.replace("</article>", extra + "</article>", 1))
        folder = page.parent.relative_to(output)
        missing.add(str(folder / f"missing-{number}.html"))
        missing.add(f"figures/lost-{number}.png")
    return missing


def readable_by_all(top: Path) -> None:
    """Every folder under ``top`` open to all: the ``linkchecker`` command,
    run as root, drops to ``nobody``, which could not read the scratch
    folder or Pagefind's bundle (a folder made by ``mkdtemp``, mode 0700)."""
    for folder, _, _ in os.walk(top):
        os.chmod(folder, os.stat(folder).st_mode | 0o055)


def missing_targets(output: Path, problems) -> set[str]:
    """The files our problems ((page, message) pairs) point at, relative to
    the output."""
    found = set()
    for path, message in problems:
        url = message.split('="', 1)[1].split('"', 1)[0]
        page = Path(path).parent
        found.add(os.path.relpath(os.path.normpath(page / url), output))
    return found


def ours(output: Path, arguments: dict) -> tuple[float, int, set[str]]:
    """Checking only, in this process: (seconds, pages, missing files)."""
    pages = sorted(output.rglob("*.html"))
    checker = SiteCheck(output, **arguments)
    started = time.perf_counter()
    problems = checker.run(pages, {}, str)
    seconds = time.perf_counter() - started
    found = missing_targets(output, [(p.path, p.message) for p in problems])
    return seconds, len(pages), found


def ours_fresh(output: Path, arguments: dict) -> tuple[float, set[str]]:
    """A fresh process: (seconds, missing files)."""
    command = [sys.executable, "-c", OURS_FRESH, str(PLUGINS_DIR), str(output)]
    command.append(json.dumps(arguments))
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if result.returncode:
        raise SystemExit(f"ours, in a fresh process, failed:\n{result.stderr}")
    _, problems = json.loads(result.stdout)
    return seconds, missing_targets(output, problems)


def linkchecker_arguments(output: Path, threads: int, log: str = "csv") -> list[str]:
    """LinkChecker's command-line arguments (after ``linkchecker``)."""
    return [
        "--no-status",
        "--no-warnings",
        "--threads",
        str(threads),
        "-o",
        log,
        (output / "index.html").as_uri(),
    ]


def target_of(output: Path, parent_url: str, url: str) -> str:
    """A broken URL LinkChecker reports, as a path relative to the output."""
    parent = Path(unquote(urlsplit(parent_url).path)).parent
    target = unquote(urlsplit(url).path)
    path = Path(target) if target.startswith("/") else parent / target
    return os.path.relpath(os.path.normpath(path), output)


def linkchecker(output: Path, threads: int) -> tuple[float, int, set[str]]:
    """Checking only, in this process, set up as its command line sets itself
    up: (seconds, HTML pages it checked, missing files)."""
    from linkcheck import configuration
    from linkcheck.cmdline import aggregate_url
    from linkcheck.command.arg_parser import ArgParser
    from linkcheck.command.setup_config import setup_config
    from linkcheck.director import check_urls, get_aggregate

    # (its output off: a logger of ours records every URL instead)
    arguments = linkchecker_arguments(output, threads, log="none")
    options = ArgParser().parse_args(arguments)
    config = configuration.Configuration()
    config.read(files=[])
    setup_config(config, options)
    config.sanitize()
    checked = []

    def record(url_data, do_print):  # every URL, not only those it prints
        checked.append(url_data)

    config["logger"].log_filter_url = record
    aggregate = get_aggregate(config)
    for url in options.url:
        aggregate_url(aggregate, url)
    started = time.perf_counter()
    check_urls(aggregate)
    seconds = time.perf_counter() - started
    pages = {
        u.url
        for u in checked
        if u.valid and (u.content_type or "").split(";")[0] == "text/html"
    }
    found = {
        target_of(output, u.parent_url, u.url) for u in checked if not u.valid and u.url
    }
    return seconds, len(pages), found


def linkchecker_fresh(output: Path, threads: int) -> tuple[float, set[str]]:
    """The ``linkchecker`` command: (seconds, missing files)."""
    command = [sys.executable, "-m", "linkcheck"]
    command += linkchecker_arguments(output, threads)
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    rows = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    found = set()
    for row in csv.DictReader(io.StringIO("\n".join(rows)), delimiter=";"):
        if row.get("valid", "").lower() == "false" and row.get("urlname"):
            found.add(target_of(output, row["parentname"], row["urlname"]))
    return seconds, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--posts", type=int, default=POSTS)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    settings = runpy.run_path(str(SETTINGS))
    plugins = site_plugins(settings)
    arguments = check_arguments(settings)
    times: dict[str, list[float]] = {
        "ours": [],
        "ours fresh": [],
        "theirs": [],
        "theirs fresh": [],
    }
    found: dict[str, set[str]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-positions-") as work:
        work = Path(work)
        output = work / "output"
        write_posts(work / "content", args.posts)
        build(work / "content", output, plugins, work)
        expected = seed_breakage(output)
        readable_by_all(work)
        probe = {}
        for threads in THREADS:
            probe[threads], their_pages, _ = linkchecker(output, threads)
            print(f"probe: LinkChecker, {threads} threads: {probe[threads]:.2f} s")
        threads = min(probe, key=probe.get)
        for round_number in range(args.rounds):
            runs = [
                ("ours", lambda: ours(output, arguments)),
                ("ours fresh", lambda: ours_fresh(output, arguments)),
                ("theirs", lambda: linkchecker(output, threads)),
                ("theirs fresh", lambda: linkchecker_fresh(output, threads)),
            ]
            if round_number % 2:
                runs = runs[2:] + runs[:2]
            for key, run in runs:
                result = run()
                times[key].append(result[0])
                found[key] = result[-1]
                if key == "ours":
                    pages = result[1]
                elif key == "theirs":
                    their_pages = result[1]
            print(
                f"round {round_number + 1}/{args.rounds}: "
                + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items()),
                flush=True,
            )
    median = {key: statistics.median(values) for key, values in times.items()}
    rate, their_rate = pages / median["ours"], their_pages / median["theirs"]
    speedups = {
        "checking only": median["theirs"] / median["ours"],
        "fresh process": median["theirs fresh"] / median["ours fresh"],
    }
    judged = min(speedups.values())
    same = all(value == expected for value in found.values())
    differing = {key: sorted(value ^ expected) for key, value in found.items()}
    probed = ", ".join(f"{n}: {s:.2f} s" for n, s in probe.items())

    def met(ok: bool) -> str:
        return "**met**" if ok else "**not met**"

    lines = [
        SECTION,
        "",
        *machine_lines(("pelican", "linkchecker")),
        "",
        f"`{command_line(parser, args)}`: a {args.posts:,}-post synthetic site "
        f"({pages:,} HTML pages; built with pelicanconf.py's plugins less "
        f"`{MEASURED}`: {', '.join(plugins)}; document-relative URLs, no feeds), "
        f"with {len(expected)} seeded broken references ({BROKEN_PAGES} broken "
        f"links and {BROKEN_PAGES} missing images) on {BROKEN_PAGES} article "
        f"pages; median of {args.rounds} rounds, the tools' order alternating. "
        "Both check internal links only, from local files: ours reads every "
        "page (configured from pelicanconf.py as the build configures it); "
        "LinkChecker crawls from `index.html`, with `--no-status "
        f"--no-warnings --threads {threads} -o csv` (no `--check-extern`: "
        f"its default), {threads} threads being its fastest in an untimed "
        f"probe of the checking alone ({probed}; 10 is its default). "
        "*Checking only*: timed in this process after the tool's imports, "
        "ours `SiteCheck.run` (as it runs inside a build, which has imported "
        "it), LinkChecker `check_urls` (set up by its command line's own code "
        "from the same arguments but `-o none`, a logger of ours recording "
        "every URL it checked). *Fresh process*: interpreter start-up, "
        "imports and checking, LinkChecker's `python -m linkcheck` and ours a "
        "`python -c` program that imports `positions_check` (and with it "
        "Pelican) and runs the same check. Pages per second are each tool's "
        "own count: ours, the pages it was given; LinkChecker's, the distinct "
        "`text/html` URLs it checked.",
        "",
        "| | checking only (s) | pages | pages/s, checking only "
        "| fresh process (s) | broken references found |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| positions check | {median['ours']:.2f} | {pages:,} | {rate:,.0f} "
        f"| {median['ours fresh']:.2f} | {len(found['ours'])} |",
        f"| LinkChecker | {median['theirs']:.2f} | {their_pages:,} "
        f"| {their_rate:,.0f} | {median['theirs fresh']:.2f} "
        f"| {len(found['theirs'])} |",
        "",
        f"Speed-up: {speedups['checking only']:.1f}x checking only, "
        f"{speedups['fresh process']:.1f}x as fresh processes (target >= "
        f"{TARGET_SPEEDUP}x, judged on the smaller: {met(judged >= TARGET_SPEEDUP)}). "
        f"Pages per second, checking only: {rate:,.0f} (target >= "
        f"{TARGET_RATE:,}: {met(rate >= TARGET_RATE)}). "
        "Both found exactly the seeded breakage, each way: "
        + (
            "**yes**."
            if same
            else "**no** (differing from the seeded set: "
            + "; ".join(f"{k}: {v}" for k, v in differing.items() if v)
            + ")."
        ),
        "",
    ]
    text = "\n".join(lines)
    write_section(args.results, SECTION, text)
    print(text)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
