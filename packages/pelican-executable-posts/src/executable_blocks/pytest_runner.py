"""Run a block as a pytest test module inside its session's worker.

The block becomes a module padded so that pytest's line numbers are the
post's. pytest's own terminal output is dropped; the block prints instead a
short report in the form of pytest's ``-rA`` summary, without timings, so
that a post can claim it and the claim stays true from one build to the next.
"""

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

from .protocol import MESSAGE_LIMIT, BlockRequest, PytestOutcome, shortened

ORDER = ("failed", "passed", "skipped", "error")


class Collector:
    """A pytest plugin that records each test's outcome and failure message."""

    def __init__(self, module: str):
        self.module = module
        self.tests: dict[str, dict] = {}

    def record(self, nodeid: str, outcome: str, report) -> None:
        name = nodeid.split("::", 1)[-1]
        message = ""
        crash = getattr(report.longrepr, "reprcrash", None)
        if outcome != "passed" and report.longrepr is not None:
            message = crash.message if crash else str(report.longrepr).splitlines()[-1]
            message = (
                shortened(message.splitlines()[0], MESSAGE_LIMIT) if message else ""
            )
        test = self.tests.setdefault(name, {"id": name, "outcome": outcome})
        if test["outcome"] == "passed" or outcome in ("failed", "error"):
            test.update(outcome=outcome, message=message)
        if crash and crash.path == self.module:
            test["line"] = crash.lineno  # where it failed, in the post's lines
        elif report.location and report.location[1] is not None:
            test.setdefault("line", report.location[1] + 1)

    def pytest_runtest_logreport(self, report):
        if report.when == "call":
            self.record(report.nodeid, report.outcome, report)
        elif report.outcome == "failed":
            self.record(report.nodeid, "error", report)
        elif report.outcome == "skipped" and report.when == "setup":
            self.record(report.nodeid, "skipped", report)

    def pytest_collectreport(self, report):
        if report.outcome == "failed":
            self.record(report.nodeid or "collection", "error", report)


def run(request: BlockRequest, directory: str) -> tuple[PytestOutcome, ...]:
    import pytest

    folder = Path(directory) / f"pytest-{request.first_line}"
    folder.mkdir(exist_ok=True)
    module = folder / f"test_block_{request.first_line}.py"
    module.write_text("\n" * (request.first_line - 1) + request.code)
    (folder / "pytest.ini").write_text("[pytest]\n")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    collector = Collector(str(module))
    args = [
        str(module),
        "-c",
        str(folder / "pytest.ini"),
        "--rootdir",
        str(folder),
        "--import-mode=importlib",
        "-p",
        "no:cacheprovider",
        "-q",
    ]
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
        pytest.main(args, plugins=[collector])
    return tuple(PytestOutcome(**test) for test in collector.tests.values())


def report_lines(tests: tuple[PytestOutcome, ...]) -> list[str]:
    lines = []
    for test in tests:
        line = f"{test.outcome.upper()} {test.id}"
        if test.message:
            line += f" - {test.message}"
        lines.append(line)
    counts = {kind: sum(t.outcome == kind for t in tests) for kind in ORDER}
    summary = ", ".join(f"{n} {kind}" for kind, n in counts.items() if n)
    lines.append(summary or "no tests ran")
    return lines


def print_report(tests: tuple[PytestOutcome, ...]) -> None:
    print("\n".join(report_lines(tests)))
