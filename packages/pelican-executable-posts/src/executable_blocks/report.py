"""What the author sees of execution: progress while it runs, a summary table
at the end, and a JSON report of every block for machines. Paths and reasons
reach the terminal as ``render.visible`` shows text: a post's file name can
hold an escape sequence too."""

import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from .engine import published_name
from .protocol import BlockResult, Picture, Status
from .render import visible

SLOWEST = 5


class BlockProgress:
    """A progress bar over blocks on a terminal. Elsewhere (a CI log), a
    line now and then naming the posts whose blocks have all run since the
    last line, each post once: when ``every`` seconds have passed, and when
    the last block is done."""

    def __init__(self, console: Console | None = None, every: float = 1.0):
        self.console = console or Console(stderr=True)
        self.every, self.said = every, time.monotonic()
        self.total = self.done = 0
        self.left: dict[str, int] = {}  # blocks still to come, by post
        self.ran: set[str] = set()  # posts some of whose blocks ran
        self.finished: list[str] = []  # posts done since the last line
        self.bar = None
        if self.console.is_terminal:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
            )

            self.bar = Progress(
                TextColumn("Executing posts"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self.task = self.bar.add_task("", total=0)
            self.bar.start()

    def add(self, blocks: int, path: str = "") -> None:
        """``path`` has ``blocks`` more blocks to run or look up."""
        self.total += blocks
        self.left[path] = self.left.get(path, 0) + blocks
        if self.bar:
            self.bar.update(self.task, total=self.total)

    def advance(self, blocks: int, path: str, ran: bool = True) -> None:
        """``blocks`` of ``path`` are done (``ran``: not from the cache)."""
        self.done += blocks
        if self.bar:
            self.bar.update(self.task, advance=blocks, description=visible(path))
            return
        if ran:
            self.ran.add(path)
        self.left[path] = self.left.get(path, blocks) - blocks
        if self.left[path] <= 0 and path in self.ran:
            self.finished.append(path)
        now = time.monotonic()
        last = self.done == self.total
        if self.finished and (now - self.said >= self.every or last):
            self.said = now
            if not self.console.quiet:
                print(
                    f"ran {visible(', '.join(self.finished))} "
                    f"({self.done}/{self.total} blocks done)",
                    file=sys.stderr,
                )
            self.finished = []

    def stop(self) -> None:
        if self.bar:
            self.bar.stop()


def report_entries(outcomes) -> list[dict]:
    return [
        {
            "post": o.block.path,
            "line": o.block.line,
            "session": o.block.session,
            "status": o.status.value,
            "seconds": round(o.seconds, 4),
            "cache": "hit" if o.reason == "cache hit" else "miss",
            "reason": o.reason,
            "errors": [str(e) for e in o.errors],
            "figures": pictures_of(o.result),
        }
        for o in outcomes
    ]


def pictures_of(result: BlockResult | None) -> list[dict]:
    """The files of a block's animations and figures, as its page shows
    them, each with its size and its smallest text's (in pixels at its
    natural size), and its narrow variant's."""
    if not result:
        return []
    return [
        described(item, narrow=described(item.narrow) if item.narrow else None)
        for item in result.animations + result.figures
    ]


def described(item: Picture, **more) -> dict:
    entry = {
        "file": published_name(item),
        "width": item.width,
        "height": item.height,
        "smallest_text_px": item.smallest_text_px,
    }
    return {**entry, **{name: value for name, value in more.items() if value}}


def write_report(path: Path, outcomes, seconds: float) -> None:
    entries = report_entries(outcomes)
    counts = {}
    for entry in entries:
        counts[entry["status"]] = counts.get(entry["status"], 0) + 1
    document = {
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "seconds": round(seconds, 3),
        "counts": counts,
        "blocks": entries,
    }
    # one block a line: readable, and written by json's fast (C) encoder
    head = json.dumps({**document, "blocks": []}, indent=2)[: -len("[]\n}")]
    lines = ",\n".join(f"    {json.dumps(entry)}" for entry in entries)
    blocks = f"[\n{lines}\n  ]" if entries else "[]"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{head}{blocks}\n}}\n", encoding="utf-8")


# The summary's columns, by status, in the words the pages use.
COLUMNS = {
    Status.RAN: "ran",
    Status.CACHED: "cached",
    Status.FAILED: "failed",
    Status.NOT_RUN: "did not run",
    Status.DISPLAY_ONLY: "shown, not run",
}


def summary_table(outcomes, seconds: float) -> Table:
    counts = dict.fromkeys(COLUMNS, 0)
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    table = Table(title=f"Blocks, in {seconds:.2f} s", title_justify="left")
    for status in counts:
        table.add_column(COLUMNS.get(status, status.value), justify="right")
    table.add_row(*(str(n) for n in counts.values()))
    return table


def slowest_table(outcomes) -> Table | None:
    ran = sorted(
        (o for o in outcomes if o.status in (Status.RAN, Status.FAILED)),
        key=lambda o: o.seconds,
        reverse=True,
    )[:SLOWEST]
    if not ran:
        return None
    table = Table(title="Slowest blocks", title_justify="left")
    table.add_column("block")
    table.add_column("seconds", justify="right")
    table.add_column("why it ran")
    for outcome in ran:
        where, reason = visible(outcome.block.where), visible(outcome.reason)
        table.add_row(where, f"{outcome.seconds:.3f}", reason)
    return table


def reasons_table(outcomes) -> Table | None:
    reasons: dict[str, int] = {}
    for outcome in outcomes:
        if outcome.status in (Status.RAN, Status.FAILED, Status.NOT_RUN):
            reasons[outcome.reason] = reasons.get(outcome.reason, 0) + 1
    if not reasons:
        return None
    table = Table(title="Why blocks ran", title_justify="left")
    table.add_column("reason")
    table.add_column("blocks", justify="right")
    for reason, count in sorted(reasons.items(), key=lambda item: -item[1]):
        table.add_row(visible(reason), str(count))
    return table


def print_summary(console: Console, outcomes, seconds: float) -> None:
    console.print(summary_table(outcomes, seconds))
    for table in (reasons_table(outcomes), slowest_table(outcomes)):
        if table:
            console.print(table)
