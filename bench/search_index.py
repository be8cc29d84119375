"""Benchmark of site search (``plugins/pagefind_search``): what indexing with
Pagefind costs a build, and how big the index is.

Builds the execution benchmark's synthetic posts (``--posts``, 1,000;
``exec_engine.py``: a paragraph and one executed block each) with
pelicanconf.py's PLUGINS, and with the same PLUGINS less ``pagefind_search``,
``--repeat`` times each, round-robin after an uncounted warm-up round that
also fills the execution cache both then read (so the builds differ by the
index alone). Every build runs in its own process from the repository root,
as ``invoke build`` runs it, and is checked: exit 0, every article page
written, and (after the warm-up round) every post's block from the cache; a
build with search must have indexed every post, one without must have no
index. Also timed: Pagefind alone on the finished output
(``pagefind_search.index_site``), a direct measure of the same cost.

Reported: medians, and the time indexing adds to the build: the median of
the paired differences (with - without, the two builds of one round, run
back to back), in wall time and in CPU time (user + system of the build and
every process it started), each as a share of the median build without.
The target (at most 10%) is judged on what indexing adds to the build, the
larger of the wall and CPU shares; Pagefind's own time is reported beside
it but not judged (it is what the plugin runs once the site is written).
Also the index on disk (bytes and files of ``output/pagefind/``). The
figures replace the "## Search index" section of ``bench/RESULTS.md``
(``--no-write``: print only; ``--json FILE``: every round's figures).

    uv run --locked --group bench python bench/search_index.py [--repeat N]
        [--no-write] [--json FILE]
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

from _results import command_line, machine_lines, write_section
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


def build(content: Path, work: Path, plugins: list[str], cache: Path, posts: int):
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
    if len(pages) != posts or not all(
        article_path(output, n).is_file() for n in range(posts)
    ):
        raise BenchmarkFailed(f"{output}: {len(pages)} article pages, not {posts}")
    counts = json.loads(report.read_text(encoding="utf-8"))["counts"]
    return seconds, output, counts


def check_cached(counts: dict, posts: int) -> None:
    if counts.get("cached") != sum(counts.values()) or counts["cached"] != posts:
        raise BenchmarkFailed(f"expected every block from the cache, got {counts}")


def check_index(output: Path, searched: bool, posts: int) -> None:
    entry = output / "pagefind" / "pagefind-entry.json"
    if not searched:
        if entry.exists():
            raise BenchmarkFailed(f"{output}: an index from a build without search")
        return
    indexed = json.loads(entry.read_text())["languages"]["en"]["page_count"]
    if indexed != posts:
        raise BenchmarkFailed(f"{output}: {indexed} pages indexed, not {posts}")


def size_of(bundle: Path) -> tuple[int, int]:
    files = [p for p in bundle.rglob("*") if p.is_file()]
    return sum(p.stat().st_size for p in files), len(files)


def verdict(share: float) -> str:
    return "**met**" if share <= TARGET else "**not met**"


def share_line(label: str, added: list[float], base: float) -> str:
    middle = statistics.median(added)
    return (
        f"{label}: {middle:+.2f} s, {middle / base:+.1%} of the build without "
        f"(rounds: {', '.join(f'{a:+.2f}' for a in added)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--posts", type=int, default=POSTS)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument(
        "--no-write", action="store_true", help="print, leave RESULTS.md alone"
    )
    parser.add_argument("--json", type=Path, help="write every round's figures here")
    args = parser.parse_args()
    settings = runpy.run_path(str(SETTINGS))
    plugins, excluded = settings["PLUGINS"], settings["PAGEFIND_EXCLUDE_SELECTORS"]
    if PLUGIN not in plugins:
        raise SystemExit(f"{PLUGIN} is not in pelicanconf.py's PLUGINS: {plugins}")
    without = [p for p in plugins if p != PLUGIN]
    times: dict[str, list[float]] = {"with": [], "without": [], "pagefind": []}
    cpu: dict[str, list[float]] = {"with": [], "without": [], "pagefind": []}
    load_before = os.getloadavg()[0]
    loads = []
    with tempfile.TemporaryDirectory(prefix="bench-search-") as work:
        work = Path(work)
        content = work / "content"
        write_posts(content, range(args.posts))
        cache = work / "cache"
        for round_number in range(args.repeat + 1):
            kinds = [("with", plugins), ("without", without)]
            # Alternate which build goes first, so that neither kind always
            # follows the other (or Pagefind alone).
            if round_number % 2:
                kinds.reverse()
            for key, chosen in kinds:
                before = children_cpu()
                seconds, output, counts = build(
                    content, work, chosen, cache, args.posts
                )
                used = children_cpu() - before
                if round_number:
                    check_cached(counts, args.posts)
                    times[key].append(seconds)
                    cpu[key].append(used)
                check_index(output, key == "with", args.posts)
                print(
                    f"round {round_number}/{args.repeat}: {key} search: "
                    f"{seconds:.2f} s, CPU {used:.2f} s, "
                    f"load {os.getloadavg()[0]:.1f}",
                    flush=True,
                )
                if key == "with":
                    bundle_bytes, bundle_files = size_of(output / "pagefind")
                else:
                    unsearched = output
            # Pagefind alone, its binary over the output just built without
            # search, as the plugin runs it once the site is written:
            # Pagefind's own cost, timed apart from the build.
            started, before = time.perf_counter(), children_cpu()
            index_site(unsearched, exclude_selectors=excluded)
            if round_number:
                times["pagefind"].append(time.perf_counter() - started)
                cpu["pagefind"].append(children_cpu() - before)
                loads.append(os.getloadavg()[0])
    load_after = os.getloadavg()[0]
    without_s = statistics.median(times["without"])
    without_cpu = statistics.median(cpu["without"])
    wall_added = [w - o for w, o in zip(times["with"], times["without"], strict=True)]
    cpu_added = [w - o for w, o in zip(cpu["with"], cpu["without"], strict=True)]
    added = statistics.median(wall_added) / without_s
    added_cpu = statistics.median(cpu_added) / without_cpu
    judged = max(added, added_cpu)
    by_medians = statistics.median(times["with"]) / without_s - 1
    alone = statistics.median(times["pagefind"]) / without_s
    alone_cpu = statistics.median(cpu["pagefind"]) / without_cpu
    cores = len(os.sched_getaffinity(0))
    lines = [
        SECTION,
        "",
        *machine_lines(("pelican", "pagefind", "pagefind-bin")),
        "",
        f"`{command_line(parser, args)}`: the execution benchmark's "
        f"{args.posts:,} synthetic posts (`bench/exec_engine.py`), built with "
        "pelicanconf.py's PLUGINS and with the same less `pagefind_search`, "
        f"{args.repeat} rounds after an uncounted warm-up round that filled "
        "the execution cache both read (every block cached, sandbox strict); "
        "each round builds both, back to back, in alternating order; wall "
        "time of each build in its own process, interpreter start-up "
        "included. Pagefind alone: its binary over the output just built "
        "without search, in the same rounds (as the plugin runs it once the "
        "site is written).",
        "",
        "| measurement | median (s) | min (s) | CPU, median (s) |",
        "| --- | ---: | ---: | ---: |",
        *(
            f"| {label} | {statistics.median(times[key]):.2f} "
            f"| {min(times[key]):.2f} | {statistics.median(cpu[key]):.2f} |"
            for key, label in (
                ("without", "build without search"),
                ("with", "build with search"),
                ("pagefind", f"Pagefind alone, {args.posts:,} posts"),
            )
        ),
        "",
        f"The machine's load average (1 min) was {load_before:.1f} when the run "
        f"started and {load_after:.1f} when it ended (after each round: "
        f"{', '.join(f'{x:.1f}' for x in loads)}), on "
        f"{cores} cores. The CPU figures (user + "
        "system time of the build and every process it started, Pagefind's "
        "included) are less sensitive to other work on the machine than the "
        "wall times.",
        "",
        "What indexing adds to the build, the median of each round's "
        "difference (with - without):",
        "",
        f"- {share_line('wall time', wall_added, without_s)}",
        f"- {share_line('CPU time', cpu_added, without_cpu)}",
        "",
        f"Target: indexing adds at most {TARGET:.0%} to the build, judged on "
        f"the larger of the two ({judged:+.1%}): {verdict(judged)}. For "
        f"comparison: {by_medians:+.1%} from the difference of the medians; "
        f"Pagefind alone takes {alone:.1%} of the build's wall time and "
        f"{alone_cpu:.1%} of its CPU time. The rounds' wall-time differences "
        f"range from {min(wall_added):+.2f} to {max(wall_added):+.2f} s, "
        f"their CPU-time differences from {min(cpu_added):+.2f} to "
        f"{max(cpu_added):+.2f} s.",
        "",
        f"Index: `output/pagefind/` holds {bundle_bytes:,} bytes in "
        f"{bundle_files} files for {args.posts:,} indexed posts (Pagefind's UI and "
        "WebAssembly included; a search fetches only the index chunks and "
        "fragments it needs).",
        "",
    ]
    text = "\n".join(lines)
    if args.json:
        args.json.write_text(
            json.dumps({"times": times, "cpu": cpu, "loads": loads}, indent=1)
        )
    if not args.no_write:
        write_section(args.results, SECTION, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
