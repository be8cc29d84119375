"""What every benchmark writes into bench/RESULTS.md: the machine it ran on,
and its own section, replaced on each run and the others kept."""

import argparse
import os
import platform
import re
import shlex
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine(packages: tuple[str, ...]) -> dict[str, str]:
    cpu = memory = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
        cpu = found[1].strip() if found else cpu
        meminfo = Path("/proc/meminfo").read_text()
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
        memory = f"{int(found[1]) / 1024**2:.1f} GiB" if found else memory
    except OSError:
        pass
    cores = str(os.cpu_count())
    if hasattr(os, "sched_getaffinity") and len(os.sched_getaffinity(0)) != (
        os.cpu_count()
    ):
        cores += f" ({len(os.sched_getaffinity(0))} usable)"
    python = f"{platform.python_version()} ({platform.python_implementation()})"
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        python += (
            "; PYTHONDONTWRITEBYTECODE is set: no .pyc is written, so the "
            "project's code and the packages of its environment are compiled "
            "from source in every process (the standard library's are "
            "precompiled)"
        )
    return {
        "CPU": cpu,
        "cores": cores,
        "RAM": memory,
        "Python": python,
        "OS": f"{platform.system()} {platform.release()}",
        "packages": ", ".join(f"{name} {metadata.version(name)}" for name in packages),
        "date": datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
    }


def command_line(parser: argparse.ArgumentParser, args: argparse.Namespace) -> str:
    """The command that runs this benchmark as it ran: ``uv run`` in the
    project's environment with the bench group (what ``invoke bench`` runs
    in), the script, and every option that shapes the figures at the value
    it had, defaults included (an output path only when not the default)."""
    words = ["uv", "run", "--locked", "--group", "bench", "python"]
    words.append(os.path.relpath(os.path.abspath(sys.argv[0]), ROOT))
    for action in parser._actions:  # (argparse has no public list of them)
        if not action.option_strings or action.dest == "help":
            continue
        value = getattr(args, action.dest, None)
        if value is None or value is False:
            continue
        if isinstance(action.default, Path) and value == action.default:
            continue
        words.append(action.option_strings[-1])
        if value is not True:
            words.append(f"{value:g}" if isinstance(value, float) else str(value))
    return shlex.join(words)


def machine_lines(packages: tuple[str, ...]) -> list[str]:
    return [f"- {name}: {value}" for name, value in machine(packages).items()]


def replace_section(document: str, heading: str, text: str) -> str:
    """``document`` with its ``heading`` section replaced by ``text`` (or added)."""
    lines = document.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        body = document.rstrip("\n")
        return (body + "\n\n" if body else "# Benchmarks\n\n") + text
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
        len(lines),
    )
    after = "".join(lines[end:])
    return "".join(lines[:start]) + text + ("\n" + after if after else "")


def write_section(path: Path, heading: str, text: str) -> None:
    previous = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(replace_section(previous, heading, text), encoding="utf-8")
