"""Adding up a session's memory: which processes are a session's, and what
each holds. Real processes stand in for a worker and what its blocks start
(here without a PID namespace: the worker adopts its orphans, as a worker
does without one)."""

import os
import socket
import subprocess
import sys
import uuid

import pytest

from executable_blocks import session_memory
from helpers import eventually, processes_named


@pytest.fixture
def worker():
    """A process standing for a worker: it starts a new process session and
    adopts its orphans, as a worker does, and runs what the test sends it."""
    adopts = "from executable_blocks import namespaces as n\n"
    adopts += "n.prctl(n.PR_SET_CHILD_SUBREAPER, 1)\n"
    process = subprocess.Popen(
        [sys.executable, "-c", adopts + "import sys; exec(sys.stdin.read())"],
        stdin=subprocess.PIPE,
        start_new_session=True,
    )
    yield process
    os.killpg(process.pid, 9)
    process.wait()


def started_by(worker, code: str) -> int:
    """Have ``worker`` run ``code``, which starts a ``sleep`` marked so it
    can be found; its pid."""
    marker = f"member-{uuid.uuid4().hex}"
    worker.stdin.write(code.replace("MARKER", marker).encode())
    worker.stdin.close()
    eventually(lambda: processes_named(marker) != [], what="it never started")
    (pid,) = processes_named(marker)
    return pid


def parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat", "rb") as file:
        return int(file.read().rpartition(b")")[2].split()[1])


def test_a_workers_child_and_grandchild_are_its_sessions(worker):
    grandchild = started_by(
        worker,
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    if os.fork() == 0:\n"
        "        os.execv('/bin/sleep', ['MARKER', '60'])\n"
        "    os.wait()\n"
        "time.sleep(60)\n",
    )
    owners = session_memory.owners({worker.pid})
    assert owners[grandchild] == worker.pid
    assert owners[worker.pid] == worker.pid


def test_an_orphan_stays_its_sessions(worker):
    """Its parent gone, it is adopted by the worker, and a daemon's new
    process session does not take it out."""
    orphan = started_by(
        worker,
        "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        os.execv('/bin/sleep', ['MARKER', '60'])\n"
        "    os._exit(0)\n"
        "time.sleep(60)\n",
    )
    eventually(lambda: parent_of(orphan) == worker.pid)  # adopted
    assert session_memory.owners({worker.pid})[orphan] == worker.pid


def test_processes_outside_every_session_are_no_ones(worker):
    started_by(worker, "import os\nos.execv('/bin/sleep', ['MARKER', '60'])\n")
    owners = session_memory.owners({worker.pid})
    assert os.getpid() not in owners
    assert set(owners.values()) == {worker.pid}


def test_a_memory_file_open_in_two_processes_counts_once():
    held = 64 << 20
    fd = os.memfd_create("shared")
    os.write(fd, b"1" * held)
    child = subprocess.Popen(["/bin/sleep", "60"], pass_fds=[fd])
    try:
        files: set = set()
        ours = session_memory.process_memory(os.getpid(), files)
        theirs = session_memory.process_memory(child.pid, files)
        assert ours >= held
        assert theirs < held  # its sleep's pages, without the file
        assert len([f for f in files if isinstance(f, tuple)]) == 1
    finally:
        child.kill()
        child.wait()
        os.close(fd)


def test_a_processs_own_pages_count_whole_and_shared_ones_in_part():
    code = "import os, sys, time\nheld = b'1' * (128 << 20)\ntime.sleep(60)\n"
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        eventually(
            lambda: session_memory.process_memory(process.pid, set()) > 128 << 20
        )
        with open(f"/proc/{process.pid}/statm") as file:
            resident = int(file.read().split()[1]) * session_memory.PAGE
        assert session_memory.process_memory(process.pid, set()) < resident
    finally:
        process.kill()
        process.wait()


def test_a_workers_tmp_that_is_still_the_zygotes_counts_nothing(worker):
    """A worker slow to mount its own /tmp (a busy machine) sees the
    zygote's, which is the machine's disk: a build on a loaded machine had
    trivial sessions killed for holding the disk's 24 GB."""
    assert os.statvfs("/tmp").f_blocks > os.statvfs("/tmp").f_bfree  # (in use)
    assert session_memory.file_systems_used(worker.pid, ["/tmp", "/dev/shm"]) == 0


FILLS_A_SOCKET_AND_A_PIPE = (
    "import os, socket, sys, time\n"
    "sender, receiver = socket.socketpair()\n"
    "sender.setblocking(False)\n"
    "queued = 0\n"
    "try:\n"
    "    while True:\n"
    "        queued += sender.send(b'1' * 65536)\n"
    "except BlockingIOError:\n"
    "    pass\n"
    "read, write = os.pipe()\n"
    "os.write(write, b'1')\n"
    "print(queued, flush=True)\n"
    "time.sleep(60)\n"
)


def test_what_waits_in_a_processs_sockets_and_pipes_counts_in_its_memory():
    """The kernel's memory, in no page of the process's: a socket it
    filled, and a pipe holding one byte (its whole size counts)."""
    process = subprocess.Popen(
        [sys.executable, "-c", FILLS_A_SOCKET_AND_A_PIPE], stdout=subprocess.PIPE
    )
    try:
        queued = int(process.stdout.readline())
        seen: set = set()
        held = session_memory.process_memory(process.pid, seen)
        kinds = sorted(t.partition(":")[0] for t in seen if isinstance(t, str))
        # its two sockets, its pipe's two ends, and the pipe to this test
        assert kinds == ["pipe", "pipe", "socket", "socket"]
        # looked at again, its sockets and pipes already counted
        pages = session_memory.process_memory(process.pid, set(seen))
        least = queued + 2 * session_memory.SOCKET_BYTES
        least += 2 * session_memory.PIPE_BYTES + 4096  # (one holds a byte)
        assert held - pages >= least
    finally:
        process.kill()
        process.wait()


def test_a_socket_or_pipe_open_in_two_processes_counts_once():
    read, write = os.pipe()
    os.write(write, b"1" * 4096)
    child = subprocess.Popen(["/bin/sleep", "60"], pass_fds=[read, write])
    try:
        seen: set = set()
        session_memory.process_memory(os.getpid(), seen)
        pipes = {t for t in seen if str(t).startswith("pipe:")}
        held_by_child = session_memory.process_memory(child.pid, seen)
        alone = session_memory.process_memory(child.pid, set())
        assert pipes and alone - held_by_child >= session_memory.PIPE_BYTES
    finally:
        child.kill()
        child.wait()
        os.close(read)
        os.close(write)


def test_a_process_in_this_network_namespace_has_no_sockets_listed_as_its_own():
    """The host's namespace holds everyone's sockets: none is a session's
    by being there (a session with the network is counted by its own)."""
    pair = socket.socketpair()
    try:
        assert session_memory.sockets_of_own_network(os.getpid(), 1) == {}
    finally:
        for end in pair:
            end.close()


MAPS_WITHOUT_MEMORY = (
    "import mmap, time\n"
    "area = mmap.mmap(-1, 1 << 30, prot=mmap.PROT_READ)\n"
    "for offset in range(0, 1 << 30, 2 << 20):\n"
    "    area[offset]  # a zero page each: no memory, a page of page table\n"
    "print('mapped', flush=True)\n"
    "time.sleep(60)\n"
)


def test_the_page_tables_of_a_process_count_in_its_memory():
    """Reading one byte of each 2 MiB of 1 GiB maps the shared zero page
    (nothing resident) but takes 2 MiB of page tables, the kernel's memory:
    a session of 300 processes could hold 1.2 GB so."""
    process = subprocess.Popen(
        [sys.executable, "-c", MAPS_WITHOUT_MEMORY], stdout=subprocess.PIPE
    )
    try:
        assert process.stdout.readline() == b"mapped\n"
        tables = session_memory.page_tables(process.pid)
        assert tables >= 2 << 20
        with open(f"/proc/{process.pid}/smaps_rollup") as file:
            pss = sum(int(line.split()[1]) * 1024 for line in file if "Pss:" in line)
        assert session_memory.process_memory(process.pid, set()) >= pss + tables
    finally:
        process.kill()
        process.wait()


WATCHES = """
import os, select, sys
targets = [os.pipe()[0] for _ in range(500)]
polls = [select.epoll() for _ in range(200)]
for poll in polls:
    for target in targets:
        poll.register(target, select.EPOLLIN)
print("watching", flush=True)
sys.stdin.read()
"""


def test_the_epoll_watches_of_a_process_count_in_its_memory():
    """Each watch is about 200 bytes of the kernel's memory, in no page of
    the process: one with 4,096 descriptors can make 4 million (800 MB)."""
    process = subprocess.Popen(
        [sys.executable, "-c", WATCHES], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert process.stdout.readline() == b"watching\n"
        held = session_memory.process_memory(process.pid, set())
        fds = os.listdir(f"/proc/{process.pid}/fd")
        polls = [fd for fd in fds if session_memory.EPOLL in readlink(process, fd)]
        assert len(polls) == 200
        counted = [session_memory.epoll_watches(process.pid, fd) for fd in polls]
        assert counted == [500] * 200
        watches = 200 * 500 * session_memory.EPOLL_WATCH_BYTES
        assert held >= watches + session_memory.page_tables(process.pid)
    finally:
        process.kill()
        process.wait()


def readlink(process, fd: str) -> str:
    try:
        return os.readlink(f"/proc/{process.pid}/fd/{fd}")
    except OSError:
        return ""


def test_a_watch_cut_in_two_between_chunks_is_counted_once(monkeypatch, tmp_path):
    header = "pos:\t0\nflags:\t020000002\n"  # 24 bytes, then lines of 25:
    lines = "".join(f"tfd: {n:8d} events: 19\n" for n in range(100_000))
    text = header + lines
    assert text[(1 << 20) - 2 : (1 << 20) + 2] == "tfd:"  # cut by the first chunk
    info = tmp_path / "fdinfo"
    info.write_text(text)
    real_open = open
    monkeypatch.setattr(
        "builtins.open",
        lambda path, *a, **k: real_open(
            info if "fdinfo" in str(path) else path, *a, **k
        ),
    )
    assert session_memory.epoll_watches(1, "3") == 100_000


def test_a_socket_counts_as_in_flight_once_unheld_at_two_looks_in_a_row(
    monkeypatch,
):
    """A process that ended while the zygote looked left its sockets listed
    for a moment, held by no one: a phantom, unless still there next look."""
    in_flight = 64 << 20
    listed = {"socket:[4000000000]": in_flight}  # (no process holds it)
    monkeypatch.setattr(session_memory, "sockets_of_own_network", lambda *_: listed)
    child = subprocess.Popen(["/bin/sleep", "60"])
    try:
        unheld: dict = {}
        first = session_memory.held_by_sessions({child.pid}, unheld=unheld)
        second = session_memory.held_by_sessions({child.pid}, unheld=unheld)
        assert first[child.pid] < in_flight <= second[child.pid]
        assert unheld == {child.pid: set(listed)}
        at_once = session_memory.held_by_sessions({child.pid})  # (no looks kept)
        assert at_once[child.pid] >= in_flight
        listed.clear()  # gone: it was a phantom after all
        again = session_memory.held_by_sessions({child.pid}, unheld=unheld)
        assert again[child.pid] < in_flight and unheld == {child.pid: set()}
    finally:
        child.kill()
        child.wait()
