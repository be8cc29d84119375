"""What every benchmark writes into bench/RESULTS.md: the machine it ran on,
and its own section, replaced on each run and the others kept."""

import os
import platform
import re
from datetime import datetime
from importlib import metadata
from pathlib import Path


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
