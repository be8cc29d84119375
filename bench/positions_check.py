"""Benchmark of the positions check beside LinkChecker, in one run.

Builds a 1,000-post synthetic site once (plain Pelican, document-relative
URLs so that LinkChecker can crawl it from the file system), seeds it with
known breakage (broken links and missing images on some article pages),
then times:

- ours: ``positions_check.SiteCheck`` over every page (pages per second;
  target at least 1,000 pages/s on this 2-core machine);
- LinkChecker (``linkchecker``, internal links only, local files), crawling
  the same output from its index page.

Both must report exactly the seeded broken links; ours must be at least 10x
faster. The figures replace the "## Positions check" section of
``bench/RESULTS.md``.

    uv run --group bench python bench/positions_check.py [--rounds N]
"""

import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

from _results import machine_lines, write_section

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from positions_check import SiteCheck  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Positions check"
POSTS = 1000
BROKEN_PAGES = 10


def write_posts(content: Path) -> None:
    posts = content / "posts"
    posts.mkdir(parents=True)
    for n in range(POSTS):
        (posts / f"post-{n:04d}.md").write_text(
            f"Title: Post {n}\nDate: 2020-01-01 {n // 60 % 24:02d}:{n % 60:02d}\n"
            f"Tags: tag{n % 20}, tag{n % 7}\n\n"
            f"Paragraph {n} with [a link to the first post]"
            "({filename}post-0000.md).\n"
        )


def build(content: Path, output: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pelican",
        str(content),
        "-s",
        str(ROOT / "pelicanconf.py"),
        "-o",
        str(output),
        "-e",
        'PLUGINS=["executable_posts", "pygments_stylesheet"]',
        "RELATIVE_URLS=true",
        "FEED_ALL_ATOM=null",
        "FEED_ALL_RSS=null",
        "CATEGORY_FEED_ATOM=null",
        "TAG_FEED_ATOM=null",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"the synthetic site did not build:\n{result.stderr}")


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


def ours(output: Path) -> tuple[float, int, set[str]]:
    pages = sorted(output.rglob("*.html"))
    checker = SiteCheck(output, [], [], [])
    started = time.perf_counter()
    problems = checker.run(pages, {}, str)
    seconds = time.perf_counter() - started
    found = set()
    for problem in problems:
        url = problem.message.split('="', 1)[1].split('"', 1)[0]
        page = Path(problem.path).parent
        found.add(os.path.relpath(os.path.normpath(page / url), output))
    return seconds, len(pages), found


def linkchecker(output: Path) -> tuple[float, set[str]]:
    command = [
        sys.executable,
        "-m",
        "linkcheck",
        "--no-status",
        "--no-warnings",
        "-o",
        "csv",
        (output / "index.html").as_uri(),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    rows = [line for line in result.stdout.splitlines() if not line.startswith("#")]
    found = set()
    for row in csv.DictReader(io.StringIO("\n".join(rows)), delimiter=";"):
        if row.get("valid", "").lower() == "false" and row.get("urlname"):
            parent = Path(unquote(urlsplit(row["parentname"]).path)).parent
            target = unquote(urlsplit(row["urlname"]).path)
            path = Path(target) if target.startswith("/") else parent / target
            found.add(os.path.relpath(os.path.normpath(path), output))
    return seconds, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-positions-") as work:
        work = Path(work)
        write_posts(work / "content")
        build(work / "content", work / "output")
        expected = seed_breakage(work / "output")
        os.chmod(work, 0o755)  # LinkChecker drops root privileges to nobody
        our_times, their_times = [], []
        for _ in range(args.rounds):
            seconds, pages, our_found = ours(work / "output")
            our_times.append(seconds)
            seconds, their_found = linkchecker(work / "output")
            their_times.append(seconds)
    ours_s, theirs_s = statistics.median(our_times), statistics.median(their_times)
    rate = pages / ours_s
    same = our_found == expected == their_found
    lines = [
        SECTION,
        "",
        *machine_lines(("pelican", "linkchecker")),
        "",
        f"`uv run --group bench python bench/positions_check.py`: a {POSTS:,}-post "
        f"synthetic site ({pages:,} HTML pages, document-relative URLs), with "
        f"{len(expected)} seeded broken references ({BROKEN_PAGES} broken links and "
        f"{BROKEN_PAGES} missing images) on {BROKEN_PAGES} article pages; median of "
        f"{args.rounds} rounds, both tools checking internal links only, from local "
        "files (LinkChecker crawls from `index.html`; ours reads every page).",
        "",
        "| | seconds | pages/s | broken references found |",
        "| --- | ---: | ---: | ---: |",
        f"| positions check | {ours_s:.2f} | {rate:,.0f} | {len(our_found)} |",
        f"| LinkChecker | {theirs_s:.2f} | {pages / theirs_s:,.0f} "
        f"| {len(their_found)} |",
        "",
        f"Speed-up: {theirs_s / ours_s:.1f}x (target >= 10x: "
        f"{'**met**' if theirs_s / ours_s >= 10 else '**not met**'}). "
        f"Pages per second: {rate:,.0f} (target >= 1,000: "
        f"{'**met**' if rate >= 1000 else '**not met**'}). "
        "Both found exactly the seeded breakage: "
        + (
            "**yes**."
            if same
            else f"**no** (ours: {sorted(our_found ^ expected)}, "
            f"LinkChecker: {sorted(their_found ^ expected)} differ from the seeded "
            "set)."
        ),
        "",
    ]
    text = "\n".join(lines)
    write_section(RESULTS, SECTION, text)
    print(text)
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
