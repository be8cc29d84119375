"""How much memory each running session holds, for a limit per session.

An rlimit bounds one process, but a session may start many, and hold memory
no process maps: files in its ``/tmp`` and ``/dev/shm`` (tmpfs; an empty
file too, by the kernel's memory its inode and name hold), memory
files (``memfd_create``, where its output is captured) and System V
shared-memory segments no process has attached. The zygote sees
every process of the sandbox in its ``/proc``, so it can add these up for
each session, without privilege and on any kernel, where a cgroup would
need one delegated to the builder's user.

A process belongs to the session whose worker it descends from. A session
cannot leave that line: an orphan is adopted by its session's worker (the
first process of its PID namespace, or, without PID namespaces, a
subreaper), and a nested PID namespace is still seen whole from the
zygote's.

A process counts its proportional set size (a page shared by ``n``
processes counts ``1/n`` in each), so the zygote's pages, which every worker
shares until it writes to them, are not counted once per process.
"""

import os

from . import namespaces

PAGE = os.sysconf("SC_PAGE_SIZE")
# What a file of a tmpfs holds of the kernel's memory, empty or not (its
# inode and its name, which the kernel keeps while the file is there):
# 200,000 empty files took 200 MB of unreclaimable slab here.
INODE_BYTES = 1024
PROPORTIONAL = (b"Pss:", b"SwapPss:")  # lines of smaps_rollup, in kB


def parents() -> dict[int, int]:
    """Every process of this ``/proc``, and its parent."""
    parent: dict[int, int] = {}
    with os.scandir("/proc") as entries:
        for entry in entries:
            if not entry.name.isdigit():
                continue
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as file:
                    # after the name (which may hold anything): state, ppid
                    parent[int(entry.name)] = int(
                        file.read().rpartition(b")")[2].split()[1]
                    )
            except OSError:  # it has just ended
                continue
    return parent


def owners(workers) -> dict[int, int]:
    """Every process of this ``/proc`` that belongs to a session: pid ->
    the pid of its session's worker (``workers``, a set of pids)."""
    parent = parents()
    owner = {worker: worker for worker in workers if worker in parent}
    for pid in parent:
        line, ancestor = [], pid
        while ancestor not in owner:
            line.append(ancestor)
            ancestor = parent.get(ancestor, 0)
            if ancestor == 0 or len(line) > len(parent):  # the top; (a loop)
                break
        for member in line:
            owner[member] = owner.get(ancestor, 0)
    return {pid: worker for pid, worker in owner.items() if worker}


def process_memory(pid: int, memory_files: set) -> int:
    """Bytes ``pid`` holds: its proportional set size and swap, and the
    memory files it has open (each file once in ``memory_files``)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as file:
            held = sum(
                int(line.split()[1]) * 1024
                for line in file
                if line.startswith(PROPORTIONAL)
            )
    except OSError:  # not ours to read (or ended): its resident set, whole
        try:
            with open(f"/proc/{pid}/statm", "rb") as file:
                held = int(file.read().split()[1]) * PAGE
        except OSError:
            return 0
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return held
    for fd in descriptors:
        path = f"/proc/{pid}/fd/{fd}"
        try:
            if not os.readlink(path).startswith("/memfd:"):
                continue
            info = os.stat(path)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) not in memory_files:
            memory_files.add((info.st_dev, info.st_ino))
            held += info.st_blocks * 512
    return held


def file_systems_used(worker: int, mounts) -> int:
    """Bytes in the worker's own tmpfs mounts, and what their files hold of
    the kernel's memory (``mounts``: their paths as
    the worker sees them), read through its root in ``/proc``. A path that
    is still the zygote's file system (a worker slow to make its mounts, on
    a busy machine) is not the session's: the machine's disk is not."""
    used = 0
    for mount in mounts:
        path = f"/proc/{worker}/root{mount}"
        try:
            if os.stat(path).st_dev == os.stat(mount).st_dev:
                continue
            info = os.statvfs(path)
        except OSError:  # it has just ended
            continue
        used += (info.f_blocks - info.f_bfree) * info.f_frsize
        used += (info.f_files - info.f_ffree) * INODE_BYTES
    return used


def detached_segments(worker: int, home: int) -> int:
    """Bytes in the System V shared-memory segments of the worker's IPC
    namespace that no process has attached (an attached one counts in the
    pages of its processes), read from inside that namespace, then back to
    ``home`` (this process's own, held open)."""
    try:
        session = os.open(f"/proc/{worker}/ns/ipc", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:  # it has just ended
        return 0
    if os.fstat(session).st_ino == os.fstat(home).st_ino:  # (not its own yet)
        os.close(session)
        return 0
    try:
        namespaces.setns(session, namespaces.NEWIPC)
        try:
            with open("/proc/sysvipc/shm") as file:
                header, *segments = [line.split() for line in file]
        finally:
            namespaces.setns(home, namespaces.NEWIPC)
    finally:
        os.close(session)
    column = {name: n for n, name in enumerate(header)}
    return sum(
        int(s[column["rss"]]) + int(s[column["swap"]])
        for s in segments
        if int(s[column["nattch"]]) == 0
    )


def held_by_sessions(
    workers, mounts=(), limit: int | None = None, home_ipc: int | None = None
) -> dict[int, int]:
    """Bytes each session holds, by its worker's pid (``mounts``: its own
    tmpfs mounts; ``home_ipc``: where sessions have IPC namespaces of their
    own, this process's, held open). A session's count stops once past
    ``limit``."""
    workers = set(workers)
    held = {worker: file_systems_used(worker, mounts) for worker in workers}
    if home_ipc is not None:
        for worker in workers:
            held[worker] += detached_segments(worker, home_ipc)
    memory_files: set = set()
    for pid, worker in owners(workers).items():
        if limit is None or held[worker] <= limit:
            held[worker] += process_memory(pid, memory_files)
    return held
