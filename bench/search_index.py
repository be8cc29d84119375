"""Benchmark of site search (``plugins/pagefind_search``): what indexing with
Pagefind costs a build, and how big the index is.

Builds the execution benchmark's 1,000 synthetic posts (``exec_engine.py``:
a paragraph and one executed block each) with pelicanconf.py's PLUGINS, and
with the same PLUGINS less ``pagefind_search``, ``--repeat`` times each,
round-robin after an uncounted warm-up round that also fills the execution
cache both then read (so the builds differ by the index alone). Every build
runs in its own process from the repository root, as ``invoke build`` runs
it, and is checked: exit 0, every article page written, every block from the
cache; a build with search must have indexed every post, one without must
have no index. Also timed: Pagefind alone on the finished output
(``pagefind_search.index_site``), a direct measure of the same cost.

Reported: medians, the time indexing adds as a share of the build without it
(target: at most 10%, judged on the larger of the two measures), and the
index on disk (bytes and files of ``output/pagefind/``). The figures replace
the "## Search index" section of ``bench/RESULTS.md``.

    uv run python bench/search_index.py [--repeat N]
"""

import argparse
import json
import os
import runpy
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _results import machine_lines, write_section
from exec_engine import (
    SETTINGS,
    BenchmarkFailed,
    article_path,
    build_env,
    children_cpu,
    fresh,
    run,
    write_posts,
)

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "plugins"))

from pagefind_search import index_site  # noqa: E402

RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Search index"
PLUGIN = "pagefind_search"
POSTS = 1000
TARGET = 0.10  # indexing may add at most 10% to a build


def build(content: Path, work: Path, plugins: list[str], cache: Path) -> tuple:
    """One build into a fresh output directory: (seconds, output), checked."""
    output = fresh(work / "output")
    report = work / "execution.json"
    report.unlink(missing_ok=True)
    command = [sys.executable, "-m", "pelican", str(content)]
    command += ["--settings", str(SETTINGS), "--output", str(output)]
    command += ["-e", f"PLUGINS={json.dumps(plugins)}"]
    env = build_env(
        work, EXEC_CACHE=str(cache), EXEC_REPORT=str(report), EXEC_SANDBOX="strict"
    )
    seconds = run(command, env)
    pages = list(output.glob("[0-9][0-9][0-9][0-9]/[0-9][0-9]/*/index.html"))
    if len(pages) != POSTS or not article_path(output, 0).is_file():
        raise BenchmarkFailed(f"{output}: {len(pages)} article pages, not {POSTS}")
    counts = json.loads(report.read_text(encoding="utf-8"))["counts"]
    return seconds, output, counts


def check_cached(counts: dict) -> None:
    if counts.get("cached") != sum(counts.values()):
        raise BenchmarkFailed(f"expected every block from the cache, got {counts}")


def check_index(output: Path, searched: bool) -> None:
    entry = output / "pagefind" / "pagefind-entry.json"
    if not searched:
        if entry.exists():
            raise BenchmarkFailed(f"{output}: an index from a build without search")
        return
    indexed = json.loads(entry.read_text())["languages"]["en"]["page_count"]
    if indexed != POSTS:
        raise BenchmarkFailed(f"{output}: {indexed} pages indexed, not {POSTS}")


def size_of(bundle: Path) -> tuple[int, int]:
    files = [p for p in bundle.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def verdict(share: float) -> str:
    return "**met**" if share <= TARGET else "**not met**"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = runpy.run_path(str(SETTINGS))
    plugins, excluded = settings["PLUGINS"], settings["PAGEFIND_EXCLUDE_SELECTORS"]
    if PLUGIN not in plugins:
        raise SystemExit(f"{PLUGIN} is not in pelicanconf.py's PLUGINS: {plugins}")
    without = [p for p in plugins if p != PLUGIN]
    times: dict[str, list[float]] = {"with": [], "without": [], "pagefind": []}
    cpu: dict[str, list[float]] = {"with": [], "without": [], "pagefind": []}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-search-") as work:
        work = Path(work)
        content = work / "content"
        write_posts(content, range(POSTS))
        cache = work / "cache"
        for round_number in range(args.repeat + 1):
            for key, chosen in (("with", plugins), ("without", without)):
                before = children_cpu()
                seconds, output, counts = build(content, work, chosen, cache)
                if round_number:
                    check_cached(counts)
                    times[key].append(seconds)
                    cpu[key].append(children_cpu() - before)
                check_index(output, key == "with")
                print(
                    f"round {round_number}/{args.repeat}: {key} search: "
                    f"{seconds:.2f} s",
                    flush=True,
                )
                if key == "with":
                    bundle_bytes, bundle_files = size_of(output / "pagefind")
            # Pagefind alone, as the plugin runs it, on the output just built
            # without search.
            started, before = time.perf_counter(), children_cpu()
            index_site(output, exclude_selectors=excluded)
            if round_number:
                times["pagefind"].append(time.perf_counter() - started)
                cpu["pagefind"].append(children_cpu() - before)
    load_after = os.getloadavg()[0]
    with_s = statistics.median(times["with"])
    without_s = statistics.median(times["without"])
    alone_s = statistics.median(times["pagefind"])
    added = (with_s - without_s) / without_s
    alone = alone_s / without_s
    judged = max(added, alone)
    cpu_added = statistics.median(cpu["with"]) / statistics.median(cpu["without"]) - 1
    lines = [
        SECTION,
        "",
        *machine_lines(("pelican", "pagefind", "pagefind-bin")),
        "",
        f"`uv run python bench/search_index.py`: the execution benchmark's "
        f"{POSTS:,} synthetic posts (`bench/exec_engine.py`), built with "
        "pelicanconf.py's PLUGINS and with the same less `pagefind_search`, "
        f"{args.repeat} rounds round-robin after an uncounted warm-up round that "
        "filled the execution cache both read (every block cached, sandbox "
        "strict); wall time of each build in its own process, interpreter "
        "start-up included. Pagefind alone: `index_site` run again on a "
        "finished output, in the same rounds.",
        "",
        "| measurement | median (s) | min (s) | CPU, median (s) |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {statistics.median(times[key]):.2f} "
            f"| {min(times[key]):.2f} | {statistics.median(cpu[key]):.2f} |"
            for key, label in (
                ("without", "build without search"),
                ("with", "build with search"),
                ("pagefind", f"Pagefind alone, {POSTS:,} posts"),
            )
        ),
        "",
        f"The machine's load average (1 min) was {load_before:.1f} when the run "
        f"started and {load_after:.1f} when it ended, on "
        f"{len(os.sched_getaffinity(0))} cores: other work shared them, which "
        "the round-robin spreads over both kinds of build alike. The CPU "
        "column (user + system time of the build and every process it "
        "started) is less sensitive to that load: there indexing adds "
        f"{cpu_added:+.1%}.",
        "",
        f"Time indexing adds to the build: {added:+.1%} from the medians "
        f"(with - without), {alone:.1%} measured alone (Pagefind / build "
        f"without). Target: at most {TARGET:.0%} of the build, judged on the "
        f"larger ({judged:.1%}): {verdict(judged)}.",
        "",
        f"Index: `output/pagefind/` holds {bundle_bytes:,} bytes in "
        f"{bundle_files} files for {POSTS:,} indexed posts (Pagefind's UI and "
        "WebAssembly included; a search fetches only the index chunks and "
        "fragments it needs).",
        "",
    ]
    text = "\n".join(lines)
    write_section(RESULTS, SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
