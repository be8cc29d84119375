"""How much memory each running session holds, for a limit per session.

An rlimit bounds one process, but a session may start many, and hold memory
no process maps: files in its ``/tmp`` and ``/dev/shm`` (tmpfs; an empty
file too, by the kernel's memory its inode and name hold), memory files
(``memfd_create``, where the seccomp filter does not refuse them), System V
objects (shared-memory segments no process has attached, message queues,
semaphore arrays), its sockets and pipes and what waits in them, held or
in flight, and its epoll watches: the kernel's memory, which one process
filled at up to 8 MiB a socket, with 4,096 descriptors (and a session may
start 300 processes).
The zygote sees every process of the sandbox in its ``/proc``, so it can
add these up for each session, without privilege and on any kernel
(sockets and pipes: Linux 5.6), where a cgroup would need one delegated to
the builder's user.

A process belongs to the session whose worker it descends from. A session
cannot leave that line: an orphan is adopted by its session's worker (the
first process of its PID namespace, or, without PID namespaces, a
subreaper), and a nested PID namespace is still seen whole from the
zygote's.

A process counts its proportional set size (a page shared by ``n``
processes counts ``1/n`` in each), so the zygote's pages, which every worker
shares until it writes to them, are not counted once per process.
"""

import ctypes
import fcntl
import os
import socket
import struct
import termios

from . import namespaces

PAGE = os.sysconf("SC_PAGE_SIZE")
# What a file of a tmpfs holds of the kernel's memory, empty or not (its
# inode and its name, which the kernel keeps while the file is there):
# 200,000 empty files took 200 MB of unreclaimable slab here.
INODE_BYTES = 1024
PROPORTIONAL = (b"Pss:", b"SwapPss:")  # lines of smaps_rollup, in kB
# A socket's own account of the kernel's memory it holds (Linux 4.12):
# rmem_alloc, rcvbuf, wmem_alloc, sndbuf, fwd_alloc, wmem_queued, optmem, ...
SO_MEMINFO, MEMINFO = 55, struct.Struct("9I")
PIDFD_GETFD = 438  # (the same number on every architecture)
# What the kernel keeps for each, empty or not (measured here, 90,000 of
# each in 10 processes): a pipe's inode, buffers' table and two open files,
# about 2.4 KiB of slab, and the page it keeps for the next write; a
# socket's own structures, about 3 KiB; any open descriptor's file, 256 bytes.
PIPE_BYTES = 2560 + PAGE
SOCKET_BYTES = 3072
DESCRIPTOR_BYTES = 256
# What an epoll watch holds of the kernel's memory (an epitem and its wait
# queue entry: 1,000,000 watches took 204 MB of unreclaimable slab here).
# A process with 4,096 descriptors can make 4 million; the kernel stops a
# user at ``fs.epoll.max_user_watches`` (about 4 % of the memory).
EPOLL_WATCH_BYTES = 208
EPOLL = "anon_inode:[eventpoll]"
# What the kernel keeps for System V objects (measured here: 100 arrays of
# 32,000 semaphores took 229 MB; 20,000 queues of two 8 KiB messages, 452 MB
# for 328 MB of text): a semaphore, a message's header (its text is held in
# slabs of a power of two: at most twice its size), an array or a queue.
SEMAPHORE_BYTES, MESSAGE_BYTES, OBJECT_BYTES = 72, 128, 1024
# Tables of a network namespace's sockets in /proc/<pid>/net, besides unix.
INET_TABLES = ("tcp", "tcp6", "udp", "udp6")
F_GETPIPE_SZ = 1032

_libc = ctypes.CDLL(None, use_errno=True)


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


def process_memory(pid: int, seen: set) -> int:
    """Bytes ``pid`` holds: its proportional set size and swap, the memory
    files, sockets and pipes it has open (each once: ``seen`` holds those
    counted so far) and its open descriptors."""
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
    held += page_tables(pid)
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return held
    held += DESCRIPTOR_BYTES * len(descriptors)
    queues = Queues(pid)
    try:
        for fd in descriptors:
            path = f"/proc/{pid}/fd/{fd}"
            try:
                target = os.readlink(path)
                if target.startswith(("socket:[", "pipe:[")):
                    if target not in seen:
                        seen.add(target)
                        held += queues.held(int(fd), target)
                    continue
                if target == EPOLL:  # (one shared by two processes counts twice)
                    held += EPOLL_WATCH_BYTES * epoll_watches(pid, fd)
                    continue
                if not target.startswith("/memfd:"):
                    continue
                info = os.stat(path)
            except OSError:
                continue
            if (info.st_dev, info.st_ino) not in seen:
                seen.add((info.st_dev, info.st_ino))
                held += info.st_blocks * 512
    finally:
        queues.close()
    return held


def epoll_watches(pid: int, fd: str) -> int:
    """How many descriptors the epoll instance at ``fd`` watches: a line of
    its ``fdinfo`` each, read a chunk at a time (millions of lines cost
    0.6 µs each, and would take hundreds of MB whole)."""
    watches, tail = 0, b""
    try:
        with open(f"/proc/{pid}/fdinfo/{fd}", "rb") as file:
            while chunk := file.read(1 << 20):
                chunk = tail + chunk
                watches += chunk.count(b"tfd:")
                tail = chunk[-3:]  # (a "tfd:" cut in two is counted next)
    except OSError:  # (it has just ended, or closed it)
        pass
    return watches


def page_tables(pid: int) -> int:
    """The kernel's memory that maps ``pid``'s pages: a page of page table
    for every 2 MiB it has mapped and touched, whatever it touched (a
    page of a file others map too counts little in its set size): up to
    a 512th of its address space, 4 MiB a process, 1.2 GB a session."""
    try:
        with open(f"/proc/{pid}/status", "rb") as file:
            for line in file:
                if line.startswith(b"VmPTE:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # (it has just ended)
        pass
    return 0


class Queues:
    """What waits in the sockets and pipes of one process: the kernel's
    memory, in no page of the process's. Each is looked at through a copy
    of its descriptor (``pidfd_getfd``, Linux 5.6, as a debugger would take
    it: nothing is opened anew, nothing read): a socket by its own account
    (``SO_MEMINFO``), a pipe by its size when anything waits in it. Where
    the kernel gives no copy, nothing is counted but the descriptor
    (README, "What is not protected")."""

    def __init__(self, pid: int):
        self.pid, self.pidfd = pid, None

    def held(self, fd: int, target: str) -> int:
        copy = self.copy(fd)
        if copy is None:
            return 0
        try:
            inode = int(target[target.index("[") + 1 : -1])
            if os.fstat(copy).st_ino != inode:  # (the number was used again)
                return 0
            return pipe_held(copy) if target[0] == "p" else socket_held(copy)
        except OSError:
            return 0
        finally:
            os.close(copy)

    def copy(self, fd: int) -> int | None:
        try:
            if self.pidfd is None:
                self.pidfd = os.pidfd_open(self.pid)
        except OSError:
            self.pidfd = -1
        if self.pidfd < 0:
            return None
        copy = _libc.syscall(PIDFD_GETFD, self.pidfd, fd, 0)
        return copy if copy >= 0 else None

    def close(self) -> None:
        if self.pidfd is not None and self.pidfd >= 0:
            os.close(self.pidfd)


def socket_held(fd: int) -> int:
    """What a socket holds: itself, what waits to be read in it, and what it
    sent that its peer has not read yet (a Unix socket's stays charged to
    the sender)."""
    info = ctypes.create_string_buffer(MEMINFO.size)
    size = ctypes.c_uint32(MEMINFO.size)
    if _libc.getsockopt(fd, socket.SOL_SOCKET, SO_MEMINFO, info, ctypes.byref(size)):
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))
    rmem_alloc, _, wmem_alloc, _, _, wmem_queued, optmem, *_ = MEMINFO.unpack(info)
    return SOCKET_BYTES + rmem_alloc + max(wmem_alloc, wmem_queued) + optmem


def pipe_held(fd: int) -> int:
    """What a pipe holds: itself and, if anything waits in it, its whole
    size (a byte a buffer: ``O_DIRECT`` writes each fill a page)."""
    unread = struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0" * 4))[0]
    return PIPE_BYTES + (fcntl.fcntl(fd, F_GETPIPE_SZ) if unread else 0)


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


def system_v_memory(worker: int, home: int) -> int:
    """Bytes in the System V objects of the worker's IPC namespace, read
    from inside that namespace, then back to ``home`` (this process's own,
    held open): shared-memory segments no process has attached (an attached
    one counts in the pages of its processes), message queues and
    semaphore arrays, the kernel's memory (a session held 229 MB in 100
    arrays, and could have held 70 GB, and 450 MB in queues, unseen)."""
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
            segments, queues, arrays = map(objects, ("shm", "msg", "sem"))
        finally:
            namespaces.setns(home, namespaces.NEWIPC)
    finally:
        os.close(session)
    held = sum(s["rss"] + s["swap"] for s in segments if s["nattch"] == 0)
    held += sum(
        2 * q["cbytes"] + q["qnum"] * MESSAGE_BYTES + OBJECT_BYTES for q in queues
    )
    held += sum(a["nsems"] * SEMAPHORE_BYTES + OBJECT_BYTES for a in arrays)
    return held


def objects(kind: str) -> list[dict[str, int]]:
    """The rows of ``/proc/sysvipc/<kind>``, by column name."""
    try:
        with open(f"/proc/sysvipc/{kind}") as file:
            header, *rows = [line.split() for line in file]
    except (OSError, ValueError):  # (a kernel without them)
        return []
    return [
        {name: int(value) for name, value in zip(header, row, strict=False)}
        for row in rows
    ]


def held_by_sessions(
    workers,
    mounts=(),
    limit: int | None = None,
    home_ipc: int | None = None,
    unheld: dict[int, set[str]] | None = None,
) -> dict[int, int]:
    """Bytes each session holds, by its worker's pid (``mounts``: its own
    tmpfs mounts; ``home_ipc``: where sessions have IPC namespaces of their
    own, this process's, held open). A session's count stops once past
    ``limit``. ``unheld``, kept from one look to the next, holds the sockets
    of each session's network namespace that no process of it held: one
    counts as in flight only if it was unheld at the look before too (a
    process that ended while the zygote looked left its sockets listed for
    a moment; a socket in flight stays)."""
    workers = set(workers)
    held = {worker: file_systems_used(worker, mounts) for worker in workers}
    if home_ipc is not None:
        for worker in workers:
            held[worker] += system_v_memory(worker, home_ipc)
    # (its sockets listed before its processes are looked at: one made in
    # between is not taken for one in flight)
    unix_most = unix_socket_most()  # (a setting: read once a look)
    sockets = {worker: sockets_of_own_network(worker, unix_most) for worker in workers}
    seen: set = set()
    for pid, worker in owners(workers).items():
        if limit is None or held[worker] <= limit:
            held[worker] += process_memory(pid, seen)
    for worker, listed in sockets.items():
        now = {name for name in listed if name not in seen}
        before = now if unheld is None else unheld.get(worker, set())
        held[worker] += sum(listed[name] for name in now & before)
        if unheld is not None:
            unheld[worker] = now
    return held


def sockets_of_own_network(worker: int, unix_most: int) -> dict[str, int]:
    """Every socket of the worker's network namespace, if it has one of its
    own (none but its session's are there), by name (``socket:[inode]``):
    the most each can hold when no process of the session holds it (sent
    in a message not yet received, in flight), so that it counts too: a
    Unix socket, its send buffer filled (``unix_most``: a session cannot
    raise it); a TCP or UDP socket, what waits in its queues."""
    if not has_own_network(worker):
        return {}
    listed = {socket_name(row[6]): unix_most for row in table(worker, "unix", 7)}
    for kind in INET_TABLES:
        for row in table(worker, kind, 10):
            sent, received = row[4].split(b":")
            listed[socket_name(row[9])] = (
                SOCKET_BYTES + int(sent, 16) + int(received, 16)
            )
    listed.pop(socket_name(b"0"), None)  # (a TCP socket in TIME_WAIT has none)
    return listed


def has_own_network(worker: int) -> bool:
    try:
        theirs = os.stat(f"/proc/{worker}/ns/net").st_ino
        return theirs != os.stat("/proc/self/ns/net").st_ino
    except OSError:  # it has just ended
        return False


def table(worker: int, kind: str, columns: int) -> list[list[bytes]]:
    """The rows of the worker's ``/proc/net/<kind>``, split (no header; at
    least ``columns`` each)."""
    try:
        with open(f"/proc/{worker}/net/{kind}", "rb") as file:
            rows = [row.split() for row in file.read().splitlines()[1:]]
    except OSError:  # (it has just ended, or the kernel has no such table)
        return []
    return [row for row in rows if len(row) >= columns]


def socket_name(inode: bytes) -> str:
    return f"socket:[{int(inode)}]"


def unix_socket_most() -> int:
    """What a Unix socket can hold at most, its default send buffer filled
    (238,336 bytes held for a 212,992-byte buffer, here), and itself."""
    try:
        with open("/proc/sys/net/core/wmem_default", "rb") as file:
            buffer = int(file.read())
    except (OSError, ValueError):
        buffer = 212_992
    return SOCKET_BYTES + buffer * 9 // 8
