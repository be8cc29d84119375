"""The sandbox, session by session: a zygote in strict mode runs hostile
blocks, as the builder's user and as an unprivileged one (``nobody``, on
Debian's own Python, which that user can run)."""

import ctypes
import errno
import os
import pwd
import shutil
import socket
import tempfile
import uuid
from pathlib import Path

import pytest

from block_results import block_request
from executable_blocks import sandbox
from executable_blocks.protocol import BlockResult, Confinement
from executable_blocks.zygote_client import (
    PASSED_ENV,
    OverMemory,
    Timeout,
    ZygoteClient,
)
from forked import in_child
from helpers import (
    block_waiting_for,
    eventually,
    processes_named,
    require_strict_sandbox,
)

NOBODY_PYTHON = "/usr/bin/python3"


def as_whom():
    yield pytest.param(None, id="builder")
    can_drop = os.geteuid() == 0 and os.access(NOBODY_PYTHON, os.X_OK)
    reason = "needs root (to drop to nobody) and Debian's /usr/bin/python3"
    yield pytest.param(
        "nobody", id="nobody", marks=pytest.mark.skipif(not can_drop, reason=reason)
    )


@pytest.fixture(scope="module")
def strict_kernel():
    """The kernel's every part of the sandbox, or the test skipped."""
    require_strict_sandbox()


@pytest.fixture(autouse=True)
def strict_sandbox_here(request):
    """These tests take the kernel's every part of the sandbox, but for
    those marked ``any_kernel``: they test pure functions of the module,
    and run on an older kernel too."""
    if request.node.get_closest_marker("any_kernel") is None:
        request.getfixturevalue("strict_kernel")


@pytest.fixture(scope="module")
def shared():
    """A folder outside /tmp that every user may read and write in."""
    root = Path(tempfile.mkdtemp(prefix="sandbox-", dir="/var/tmp"))
    root.chmod(0o777)
    (root / "code").mkdir(mode=0o755)
    (root / "code" / "helper.py").write_text("VALUE = 42\n")
    (root / "code" / "helper.py").chmod(0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module", params=list(as_whom()))
def zygote(request, strict_kernel, shared):
    user = request.param
    python = NOBODY_PYTHON if user else None
    options = {"python": python, "user": user} if user else {}
    policy = {"mode": "strict", "visible": [str(shared)]}
    zygote = ZygoteClient([], [str(shared / "code")], sandbox=policy, **options)
    zygote.user = user
    yield zygote
    zygote.close()


def session(zygote, *codes: str, timeout: float = 30, **confinement) -> list:
    run = zygote.submit(
        [block_request(c) for c in codes],
        [timeout] * len(codes),
        confinement=Confinement(**confinement),
    )
    zygote.wait(run)
    return run.results


def printed(zygote, code: str, **confinement) -> str:
    (result,) = session(zygote, code, **confinement)
    assert isinstance(result, BlockResult), result
    assert result.exception is None, result.exception.traceback
    return result.stdout


def printed_by_a_strict_zygote(code: str, code_dirs=(), preload=()) -> str:
    """What ``code`` prints in a session of a zygote of its own (strict)."""
    zygote = ZygoteClient(
        list(preload), [str(d) for d in code_dirs], sandbox={"mode": "strict"}
    )
    try:
        return printed(zygote, code)
    finally:
        zygote.close()


def test_strict_has_every_part(zygote):
    printed(zygote, "pass")
    if zygote.user:  # the zygote runs as that user indeed
        status = Path(f"/proc/{zygote.process.pid}/status").read_text()
        uid = next(line for line in status.splitlines() if line.startswith("Uid:"))
        assert uid.split()[1] == str(pwd.getpwnam(zygote.user).pw_uid)
    assert zygote.isolation["missing"] == {}
    assert set(zygote.isolation["have"]) == set(sandbox.PARTS)


def test_the_project_code_is_readable(zygote):
    assert printed(zygote, "import helper\nprint(helper.VALUE)") == "42\n"


def test_a_private_file_of_the_same_user_is_not_readable(zygote, shared):
    """What file permissions allow (the builder's own key file), the
    sandbox still refuses."""
    secret = shared / f"key-{uuid.uuid4().hex}"
    secret.write_text("the signing key")
    secret.chmod(0o600)
    if zygote.user:
        shutil.chown(secret, zygote.user)
    code = f"open({str(secret)!r}).read()"
    (result,) = session(zygote, code)
    assert result.exception.type == "PermissionError"


def test_a_declared_depends_file_is_readable(zygote, shared):
    data = shared / "data.txt"
    data.write_text("numbers\n")
    data.chmod(0o644)
    code = f"print(open({str(data)!r}).read(), end='')"
    assert printed(zygote, code, read=(str(data),)) == "numbers\n"


def test_writes_go_only_to_the_scratch_directory_and_tmp(zygote, shared):
    target = shared / f"planted-{uuid.uuid4().hex}"
    code = (
        "import os\n"
        "open('here.txt', 'w').write('x')\n"
        "open('/tmp/there.txt', 'w').write('x')\n"
        "print(os.getcwd(), sorted(os.listdir('/tmp')))\n"
        f"open({str(target)!r}, 'w')\n"
    )
    (result,) = session(zygote, code)
    assert result.stdout.startswith("/tmp/work [")
    # (read-only to it, before Landlock would refuse it)
    assert result.exception.type == "OSError"
    assert "Read-only file system" in result.exception.message
    assert not target.exists()


def test_a_session_has_its_private_tmp_as_home_and_tmpdir(zygote):
    code = "import os, tempfile\nprint(os.environ['HOME'], tempfile.gettempdir())"
    assert printed(zygote, code) == "/tmp/work /tmp\n"


def test_the_zygote_imports_modules_with_its_own_home_and_tmpdir(monkeypatch):
    """The workers' HOME and TMPDIR are set once in the zygote; a module it
    imports between sessions must not see them (its /tmp is the host's)."""
    monkeypatch.setenv("HOME", "/home/builder")
    monkeypatch.delenv("TMPDIR", raising=False)
    box = sandbox.Sandbox({"mode": "strict"})
    box.have.add("mount")  # a private /tmp for each worker
    box.prepare_workers()
    assert (os.environ["HOME"], os.environ["TMPDIR"]) == ("/tmp/work", "/tmp")
    box.zygote_environment()
    assert os.environ["HOME"] == "/home/builder"
    assert "TMPDIR" not in os.environ


def test_every_session_starts_with_an_empty_tmp(zygote):
    session(zygote, "open('/tmp/leftover', 'w').write('x')")
    assert printed(zygote, "import os\nprint(os.listdir('/tmp/work'))") == "[]\n"
    assert "leftover" not in printed(zygote, "import os\nprint(os.listdir('/tmp'))")


def test_a_session_sees_only_its_own_processes(zygote):
    code = (
        "import os\nprint(os.getpid(), [p for p in os.listdir('/proc') if p.isdigit()])"
    )
    assert printed(zygote, code) == "1 ['1']\n"


def test_a_daemonised_child_is_gone_when_its_session_ends(zygote, shared):
    marker = f"daemon-{uuid.uuid4().hex}"
    go = shared / "code" / marker  # the session ends once the test made this
    waits = block_waiting_for(go)
    daemon = (
        "import os\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', [{marker!r}, '300'])\n"
        "    os._exit(0)\n"
    )
    run = zygote.submit([block_request(daemon), block_request(waits)], [30, 30])
    pids = []
    # the first block has run (and the second still runs)
    eventually(lambda: zygote.poll(0.1) == [] and len(run.results) == 1)
    eventually(lambda: bool(pids.extend(processes_named(marker)) or pids))
    (pid,) = set(pids)
    go.touch()
    zygote.wait(run)
    assert run.results[1].exception is None  # ended because it was let go
    eventually(lambda: not Path(f"/proc/{pid}").exists(), what="the daemon lived")


def test_a_timeout_kills_processes_in_new_sessions_too(zygote):
    marker = f"orphan-{uuid.uuid4().hex}"
    code = (
        "import subprocess, time\n"
        f"subprocess.Popen(['/bin/sleep', '300'], executable='/bin/sleep',"
        " start_new_session=True)\n"
        f"subprocess.Popen([{marker!r}, '300'], executable='/bin/sleep',"
        " start_new_session=True)\n"
        "time.sleep(60)\n"
    )
    (result,) = session(zygote, code, timeout=2)
    assert isinstance(result, Timeout)
    eventually(lambda: processes_named(marker) == [])


def test_a_fork_bomb_is_bounded_and_leaves_nothing(zygote):
    marker = f"bomb-{uuid.uuid4().hex}"
    code = (
        "import os\n"
        "for _ in range(5000):\n"
        "    if os.fork() == 0:\n"
        f"        os.execv('/bin/sleep', [{marker!r}, '300'])\n"
    )
    (result,) = session(zygote, code)
    assert result.exception.type == "BlockingIOError"
    assert (
        "(the sandbox allows 300 processes and threads a session"
        in result.exception.message
    )
    eventually(lambda: processes_named(marker) == [])


# How many children a block can hold at once, after it has started and
# reaped ``before`` (each child waits for the block to close the pipe).
AT_ONCE = """
import os, threading
for _ in range({before}):
    if os.fork() == 0:
        os._exit(0)
    os.wait()
for _ in range({threads}):
    threading.Thread(target=threading.Event().wait, daemon=True).start()
read, write = os.pipe()
children = []
try:
    while len(children) < 400:
        child = os.fork()
        if child == 0:
            os.close(write)
            os.read(read, 1)
            os._exit(0)
        children.append(child)
except BlockingIOError:
    pass
os.close(write)
for child in children:
    os.waitpid(child, 0)
print(len(children))
"""


def test_a_session_that_has_started_many_processes_still_runs_many_at_once(zygote):
    """A PID namespace hands out PIDs below 300 only until it has used PID
    300: a session that had started 300 processes in its life could then
    run one at a time, however many its bound allowed."""
    assert printed(zygote, AT_ONCE.format(before=0, threads=0)) == "300\n"
    assert printed(zygote, AT_ONCE.format(before=400, threads=0)) == "300\n"


@pytest.fixture(scope="module", params=list(as_whom()))
def zygote_of_few_processes(request, strict_kernel):
    """A strict zygote whose sessions may hold 20 processes and threads."""
    user = request.param
    options = {"python": NOBODY_PYTHON, "user": user} if user else {}
    policy = {"mode": "strict", "processes": 20}
    zygote = ZygoteClient([], [], sandbox=policy, **options)
    yield zygote
    zygote.close()


@pytest.mark.parametrize("before", [0, 400])
def test_the_process_bound_counts_processes_and_threads_exactly(
    zygote_of_few_processes, before
):
    zygote = zygote_of_few_processes
    assert printed(zygote, AT_ONCE.format(before=before, threads=0)) == "20\n"
    assert printed(zygote, AT_ONCE.format(before=before, threads=5)) == "15\n"


def test_memory_beyond_the_limit_fails_the_block(zygote):
    (result,) = session(zygote, "hoard = bytearray(20 * 10**9)")
    assert result.exception.type == "MemoryError"
    assert "2 GiB of memory a process: EXEC_MEMORY" in result.exception.message
    assert (
        printed(zygote, "print('the next session runs')") == "the next session runs\n"
    )


@pytest.fixture(scope="module", params=list(as_whom()))
def lean_zygote(request, strict_kernel, shared):
    """A strict zygote whose sessions may hold 512 MiB each."""
    user = request.param
    options = {"python": NOBODY_PYTHON, "user": user} if user else {}
    zygote = ZygoteClient(
        [], [], sandbox={"mode": "strict", "memory": LEAN_MEMORY}, **options
    )
    yield zygote
    zygote.close()


LEAN_MEMORY = 512 << 20
# (ones, not zeros: every page is written, so resident)
HOLDS_300_MIB = "chunks = [b'1' * (100 << 20) for _ in range(3)]\n"


def ended_over_memory(zygote, code: str):
    """The one result of ``code``'s session, which must be killed for its
    memory: its message, checked to name the limit and the setting. (Its
    timeout only bounds a failure: on a loaded machine, making 2.7 million
    epoll watches took longer than 30 s.)"""
    (result,) = session(zygote, code, timeout=120)
    assert isinstance(result, OverMemory), result
    assert "more than the 512 MiB a session may (EXEC_MEMORY" in str(result)
    assert printed(zygote, "print('next')") == "next\n"  # the zygote is fine
    return str(result)


# Three children, each well within the limit of a process, over the
# session's together.
THREE_CHILDREN_OF_300_MIB = (
    "import subprocess, sys\n"
    "children = [subprocess.Popen([sys.executable, '-c', "
    f"{HOLDS_300_MIB + 'import time; time.sleep(60)'!r}]) for _ in range(3)]\n"
    "[c.wait() for c in children]\n"
)


def test_a_sessions_processes_are_held_to_its_memory_together(lean_zygote):
    """Each child is well within the limit of a process; together they
    are over the session's."""
    message = ended_over_memory(lean_zygote, THREE_CHILDREN_OF_300_MIB)
    held = int(message.split("held ")[1].split(" MiB")[0].replace(",", ""))
    assert 512 < held < 1100


@pytest.mark.parametrize("folder", ["/tmp", "/dev/shm"])
def test_files_in_a_sessions_tmpfs_count_in_its_memory(lean_zygote, folder):
    code = (
        f"with open('{folder}/hoard', 'wb') as file:\n"
        "    for _ in range(6):\n"
        "        file.write(bytes(100 << 20))\n"
        "import time; time.sleep(60)\n"
    )
    ended_over_memory(lean_zygote, code)


EMPTY_FILES = (
    "import os\n"
    "for n in range({count}):\n"
    "    os.close(os.open(f'/tmp/{{n}}', os.O_CREAT | os.O_WRONLY))\n"
)


def test_empty_files_in_a_sessions_tmpfs_count_in_its_memory(lean_zygote):
    """An empty file holds no block of its tmpfs, but its inode and name
    hold about a kilobyte of the kernel's memory, which the kernel does
    not give back while the file is there: 300,000 of them and 300 MiB of
    its own passed a 512 MiB limit unseen."""
    code = EMPTY_FILES.format(count=300_000) + HOLDS_300_MIB
    ended_over_memory(lean_zygote, code + "import time; time.sleep(60)\n")


def test_a_sessions_tmpfs_holds_no_more_files_than_its_memory_allows(lean_zygote):
    """A tmpfs allows millions of files (half the machine's pages): made
    faster than the zygote looks, they would pass the limit between two
    looks. Each of a session's mounts allows what its memory would hold."""
    code = "import os\nprint([os.statvfs(m).f_files for m in ('/tmp', '/dev/shm')])"
    files = LEAN_MEMORY // 1024
    assert printed(lean_zygote, code) == f"[{files}, {files}]\n"


# Memory files sent in a message and closed: held by no process, so in no
# count; 1.2 GB of them passed a 512 MiB limit so.
MEMORY_FILES_IN_FLIGHT = (
    "import os, socket, time\n"
    "carrier, other = socket.socketpair()\n"
    "for n in range(6):\n"
    "    fd = os.memfd_create(f'm{n}')\n"
    "    os.write(fd, bytes(200 << 20))\n"
    "    socket.send_fds(carrier, [b'x'], [fd])\n"
    "    os.close(fd)\n"
    "time.sleep(60)\n"
)


def test_a_session_cannot_make_memory_files_to_send_out_of_sight(lean_zygote):
    (result,) = session(lean_zygote, MEMORY_FILES_IN_FLIGHT)
    assert isinstance(result, BlockResult), result
    assert result.exception.type == "PermissionError"
    assert "memfd_create" in result.exception.traceback


def test_what_a_block_prints_is_still_captured_without_memory_files(lean_zygote):
    """Its output goes to unnamed files of the session's /tmp instead (and
    counts in its memory, as all there does)."""
    code = "import os, sys\nprint('out')\nos.write(2, b'err\\n')\n"
    (result,) = session(lean_zygote, code)
    assert (result.stdout, result.stderr) == ("out\n", "err\n")
    files_in_tmp = (
        "import os\n"
        "print([n for n in os.listdir('/tmp') if os.path.isfile('/tmp/' + n)])\n"
    )
    assert printed(lean_zygote, files_in_tmp) == "[]\n"  # (only its folders)


# A socket pair whose sender is filled (asking for 8 MiB buffers, which a
# session is not given: about 230 KiB each).
FILLED_PAIR = (
    "import os, socket, time\n"
    "def filled_pair():\n"
    "    sender, receiver = socket.socketpair()\n"
    "    sender.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 << 20)\n"
    "    sender.setblocking(False)\n"
    "    queued = 0\n"
    "    try:\n"
    "        while True:\n"
    "            queued += sender.send(bytes(1 << 16))\n"
    "    except BlockingIOError:\n"
    "        return sender, receiver, queued\n"
)
# Sockets filled by processes of a session until 700 MiB wait in them: a
# process fills up to 1,500 pairs (it may hold 4,096 descriptors).
FILLS_SOCKETS = FILLED_PAIR + (
    "def fill():\n"
    "    pairs, queued = [], 0\n"
    "    for _ in range(1500):\n"
    "        sender, receiver, more = filled_pair()\n"
    "        pairs.append((sender, receiver))\n"
    "        queued += more\n"
    "    return pairs, queued\n"
)


def test_what_waits_in_a_sessions_sockets_counts_in_its_memory(lean_zygote):
    """A socket's buffers are the kernel's memory, in no page of the
    process's: one process of a session held 1.2 GB in 150 sockets of its
    own (their buffers raised), past a 512 MiB limit, unseen."""
    ended_over_memory(lean_zygote, FILLS_SOCKETS + IN_PROCESSES_UNTIL_700_MIB)


# Sockets filled, then sent in messages (200 a message) and closed: in
# flight, held by no process; each process keeps their peers, which hold
# nothing of it. The kernel lets a user have 4,096 in flight.
FILLS_SOCKETS_IN_FLIGHT = FILLED_PAIR + (
    "def fill():\n"
    "    carrier, other = socket.socketpair()\n"
    "    peers, senders, queued = [other], [], 0\n"
    "    for _ in range(1800):\n"
    "        sender, receiver, more = filled_pair()\n"
    "        peers.append(receiver)\n"
    "        senders.append(sender)\n"
    "        queued += more\n"
    "        if len(senders) == 200:\n"
    "            try:\n"
    "                socket.send_fds(carrier, [b'x'], [s.fileno() for s in senders])\n"
    "            except OSError:  # (too many in flight)\n"
    "                break\n"
    "            for s in senders:\n"
    "                s.close()\n"
    "            senders = []\n"
    "    return (carrier, peers, senders), queued\n"
)


def test_sockets_a_session_sent_in_messages_count_in_its_memory(lean_zygote):
    """A socket in flight is held by no process: its buffer, filled, is in
    no process's count; 3,600 of them held 800 MiB past a 512 MiB limit.
    Every socket of a session's own network namespace counts."""
    ended_over_memory(lean_zygote, FILLS_SOCKETS_IN_FLIGHT + IN_PROCESSES_UNTIL_700_MIB)


# Pipes filled by processes of a session until 700 MiB wait in them: a
# process makes up to 1,000, each raised to 1 MiB (a user's first 64 MiB of
# pipes; after those, the kernel gives a pipe of an unprivileged process two
# pages, and refuses to raise it).
FILLS_PIPES = (
    "import fcntl, os, time\n"
    "def fill():\n"
    "    pipes, queued = [], 0\n"
    "    for _ in range(1000):\n"
    "        read, write = os.pipe()\n"
    "        try:\n"
    "            fcntl.fcntl(write, 1031, 1 << 20)  # F_SETPIPE_SZ\n"
    "        except OSError:\n"
    "            pass\n"
    "        os.set_blocking(write, False)\n"
    "        try:\n"
    "            while True:\n"
    "                queued += os.write(write, bytes(1 << 16))\n"
    "        except BlockingIOError:\n"
    "            pass\n"
    "        pipes.append((read, write))\n"
    "    return pipes, queued\n"
)


# Forks processes that each ``fill()`` until 700 MiB wait (at most 150).
IN_PROCESSES_UNTIL_700_MIB = (
    "told, tell = os.pipe()\n"
    "queued = 0\n"
    "for _ in range(150):\n"
    "    if queued >= 700 << 20:\n"
    "        break\n"
    "    if os.fork() == 0:\n"
    "        held, mine = fill()\n"
    "        os.write(tell, mine.to_bytes(8, 'little'))\n"
    "        time.sleep(60)\n"
    "        os._exit(0)\n"
    "    queued += int.from_bytes(os.read(told, 8), 'little')\n"
    "print(queued >> 20, 'MiB queued', flush=True)\n"
    "time.sleep(60)\n"
)


def test_what_waits_in_a_sessions_pipes_counts_in_its_memory(lean_zygote):
    ended_over_memory(lean_zygote, FILLS_PIPES + IN_PROCESSES_UNTIL_700_MIB)


def test_semaphores_a_session_makes_count_in_its_memory(lean_zygote):
    """A System V semaphore array is the kernel's memory, in no process:
    100 arrays of 32,000 held 229 MB unseen, and an IPC namespace allows
    32,000 of them (70 GB)."""
    code = (
        "import ctypes, time\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "for _ in range(300):\n"
        "    assert libc.semget(0, 32000, 0o1600) >= 0  # IPC_PRIVATE, IPC_CREAT\n"
        "time.sleep(60)\n"
    )
    ended_over_memory(lean_zygote, code)


def test_messages_waiting_in_a_sessions_queues_count_in_its_memory(lean_zygote):
    """20,000 System V message queues, each filled, held 450 MB unseen."""
    code = (
        "import ctypes, time\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "class Message(ctypes.Structure):\n"
        "    _fields_ = [('type', ctypes.c_long), ('text', ctypes.c_char * 8192)]\n"
        "message = Message(1, b'x' * 8192)\n"
        "for _ in range(30000):\n"
        "    queue = libc.msgget(0, 0o1600)\n"
        "    assert queue >= 0\n"
        "    while libc.msgsnd(queue, ctypes.byref(message), 8192, 0o4000) == 0:\n"
        "        pass  # (0o4000: IPC_NOWAIT, until the queue is full)\n"
        "time.sleep(60)\n"
    )
    ended_over_memory(lean_zygote, code)


def test_epoll_watches_a_session_makes_count_in_its_memory(lean_zygote):
    """An epoll watch is about 200 bytes of the kernel's memory, in no
    process's pages: 1,800 instances watching 1,500 pipes each (2.7 million
    watches, 560 MB) passed a 512 MiB limit unseen."""
    code = (
        "import os, select, time\n"
        "targets = []\n"
        "for _ in range(1500):  # (a pipe's reading end: one descriptor)\n"
        "    reading, writing = os.pipe()\n"
        "    os.close(writing)\n"
        "    targets.append(reading)\n"
        "polls = []\n"
        "for _ in range(1800):\n"
        "    polls.append(select.epoll())\n"
        "    for target in targets:\n"
        "        polls[-1].register(target, select.EPOLLIN)\n"
        "time.sleep(60)\n"
    )
    assert "epoll watches" in ended_over_memory(lean_zygote, code)


def test_a_session_that_made_looks_long_makes_them_rare_only_while_it_runs():
    """The zygote looks less often as a look takes longer (a twentieth of
    its time at most), and a look over 1.5 million epoll watches takes about
    a second: the sessions after it were first looked at 20 s later, past
    their timeouts."""
    zygote = ZygoteClient([], [], sandbox={"mode": "strict", "memory": LEAN_MEMORY})
    costly = (
        "import os, select, time\n"
        "targets = []\n"
        "for _ in range(1000):\n"
        "    reading, writing = os.pipe()\n"
        "    os.close(writing)\n"
        "    targets.append(reading)\n"
        "polls = [select.epoll() for _ in range(1500)]\n"
        "for poll in polls:\n"
        "    for target in targets:\n"
        "        poll.register(target, select.EPOLLIN)\n"
        "time.sleep(3)\n"
    )
    try:
        (watched,) = session(zygote, costly)
        assert isinstance(watched, BlockResult), watched  # (under the limit)
        (result,) = session(zygote, THREE_CHILDREN_OF_300_MIB, timeout=10)
        assert isinstance(result, OverMemory), result
    finally:
        zygote.close()


UNDUMPABLE = (
    "import ctypes\nctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE\n"
)


@pytest.mark.parametrize(
    "hoard",
    [
        FILLS_SOCKETS + IN_PROCESSES_UNTIL_700_MIB,
        "with open('/tmp/hoard', 'wb') as file:\n"
        "    for _ in range(6):\n"
        "        file.write(bytes(100 << 20))\n",
    ],
    ids=["sockets", "tmp"],
)
def test_a_session_that_makes_itself_undumpable_is_added_up_all_the_same(
    lean_zygote, hoard
):
    """An undumpable process hides its descriptors and its root from other
    processes of the builder's user; the zygote, started anew in the
    sandbox's user namespace, still sees them."""
    code = "import os, time\n" + UNDUMPABLE + hoard + "time.sleep(60)\n"
    ended_over_memory(lean_zygote, code)  # (its children inherit it)


def test_shared_memory_segments_no_process_attached_count_in_its_memory(
    lean_zygote,
):
    """System V segments, written then detached, hold their pages in the
    session's IPC namespace, mapped by no process."""
    code = (
        "import ctypes, time\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.shmat.restype = ctypes.c_void_p\n"
        "for _ in range(3):\n"
        "    segment = libc.shmget(0, 200 << 20, 0o1600)  # IPC_PRIVATE, IPC_CREAT\n"
        "    address = libc.shmat(segment, None, 0)\n"
        "    ctypes.memset(address, 1, 200 << 20)\n"
        "    libc.shmdt(ctypes.c_void_p(address))\n"
        "time.sleep(60)\n"
    )
    ended_over_memory(lean_zygote, code)


def test_pages_a_sessions_processes_share_count_once(lean_zygote):
    """A block holding 300 MiB forks four children that keep it shared:
    their resident sets add up to 1.5 GiB, the memory they hold to 300."""
    code = (
        "import os, time\n" + HOLDS_300_MIB + "children = []\n"
        "for _ in range(4):\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        time.sleep(1.5)\n"
        "        os._exit(0)\n"
        "    children.append(pid)\n"
        "for pid in children:\n"
        "    os.waitpid(pid, 0)\n"
        "print('all within')\n"
    )
    assert printed(lean_zygote, code) == "all within\n"


def test_a_process_of_a_session_holds_at_most_4096_descriptors(zygote):
    """Each could hold a socket's buffers, kernel memory that no count of the
    session's sees; the builder's hard limit is often 524,288."""
    code = (
        "import resource\n"
        "print(resource.getrlimit(resource.RLIMIT_NOFILE)[1])\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (5000, 5000))\n"
    )
    (result,) = session(zygote, code)
    assert result.stdout == "4096\n"
    assert result.exception.type == "ValueError"


def test_a_file_beyond_the_size_limit_fails_the_block(zygote):
    code = (
        "with open('big', 'wb') as file:\n"
        "    for _ in range(1100):\n"
        "        file.write(bytes(1 << 20))\n"
    )
    (result,) = session(zygote, code)
    assert result.exception.type == "OSError"
    assert "File too large" in result.exception.message
    assert "EXEC_FILE_SIZE" in result.exception.message


def test_the_network_is_refused_unless_declared(zygote):

    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), 5)"
        (refused,) = session(zygote, code)
        assert refused.exception.type == "ConnectionRefusedError"
        (allowed,) = session(zygote, code + "\nprint('in')", network=True)
        assert allowed.stdout == "in\n"


def test_a_block_cannot_signal_the_zygote(zygote):
    code = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    session(zygote, code)
    # (a zygote the signal reached would answer nothing more)
    assert printed(zygote, "print('alive')") == "alive\n"


def test_nothing_of_the_builders_environment_but_the_allowlist(zygote):
    code = "import os\nprint(sorted(os.environ))"
    names = eval(printed(zygote, code))  # noqa: S307 - a list of names we print
    allowed = {*PASSED_ENV, "HOME", "TMPDIR", "PYTHONPATH", "PYTHONHASHSEED"}
    allowed |= {"MPLBACKEND", "MPLCONFIGDIR", "MALLOC_ARENA_MAX"}
    allowed |= {"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"}
    assert set(names) <= allowed


def test_a_block_cannot_read_what_is_typed_to_the_build():
    """The build's standard input (a terminal, where a build is run by
    hand) is not the sessions': a block reads nothing from it."""

    def typed_to_the_build():
        read, write = os.pipe()
        os.write(write, b"typed to the build\n")
        os.dup2(read, 0)
        return printed_by_a_strict_zygote("import os\nprint(os.read(0, 64))")

    assert in_child(typed_to_the_build) == "b''\n"


@pytest.mark.parametrize(
    "module, preload",
    [("json", []), ("cycler", ["matplotlib.pyplot"])],
    ids=["the-zygotes-own-import", "a-preloaded-librarys-import"],
)
def test_a_code_module_named_like_a_library_runs_only_in_the_sandbox(
    tmp_path, module, preload
):
    """The code directories were on the zygote's path, ahead of the
    standard library: a post's ``json.py`` (or a module a preloaded library
    imports, matplotlib's ``cycler``) ran in the zygote, unsandboxed."""
    code, marker = tmp_path / "code", tmp_path / "ran-outside"
    code.mkdir()
    (code / f"{module}.py").write_text(
        f"open({str(marker)!r}, 'w').write('unsandboxed')\n"
        "raise ImportError('planted')\n"
    )
    (code / "helper.py").write_text("VALUE = 42\n")
    code_that_imports = "import helper\nprint(helper.VALUE)"
    assert printed_by_a_strict_zygote(code_that_imports, [code], preload) == "42\n"
    assert not marker.exists()


ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}.get(
    os.uname().machine, (None, None)
)


@pytest.mark.skipif(ADD_KEY is None, reason="add_key's number is known here")
def test_a_block_cannot_read_a_key_of_the_builders_session_keyring():
    """Sessions inherited the builder's session keyring (where a Kerberos
    ticket or a tool's secret may be kept), and with it the right to read
    every key in it."""

    def keyring_read_by_a_block():
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.syscall.restype = ctypes.c_long
        libc.syscall(KEYCTL, 1, None)  # a new session keyring: the test's stays
        secret = b"PLANTED-KEY-VALUE"
        key = libc.syscall(ADD_KEY, b"user", b"builder-secret", secret, 17, -3)
        assert key > 0, ctypes.get_errno()
        code = (
            "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "buffer = ctypes.create_string_buffer(64)\n"
            f"size = libc.syscall({KEYCTL}, 11, {key}, buffer, 64)\n"
            "print(size, buffer.value)\n"
        )
        return printed_by_a_strict_zygote(code)

    assert in_child(keyring_read_by_a_block) == "-1 b''\n"


def test_a_block_cannot_attach_the_builders_shared_memory():
    """Sessions shared the host's IPC namespace: a block attached a System V
    shared-memory segment of the builder's user (another program's buffers,
    an X client's images) and read it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    segment = libc.shmget(0, 4096, 0o1000 | 0o600)  # IPC_PRIVATE, IPC_CREAT
    assert segment >= 0, ctypes.get_errno()
    try:
        address = libc.shmat(segment, None, 0)
        ctypes.memmove(address, b"PLANTED-SHM-SECRET", 18)
        libc.shmdt(ctypes.c_void_p(address))
        code = (
            "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"
            "libc.shmat.restype = ctypes.c_void_p\n"
            f"address = libc.shmat({segment}, None, 0)\n"
            "print('refused' if address in (None, 2**64 - 1) else\n"
            "      ctypes.string_at(address, 18))\n"
        )
        assert printed_by_a_strict_zygote(code) == "refused\n"
    finally:
        libc.shmctl(segment, 0, None)  # IPC_RMID


def test_a_block_cannot_reach_a_hosts_service_by_its_unix_socket(zygote, shared):
    """Landlock does not govern connecting to a socket by its path, and the
    host's services listen on such paths (Docker, the user's D-Bus and
    systemd, an SSH agent): through one, a block could have the host run
    anything. This stand-in daemon answers whoever connects."""
    import threading

    path = shared / f"daemon-{uuid.uuid4().hex[:8]}.sock"
    with socket.socket(socket.AF_UNIX) as daemon:
        daemon.bind(str(path))
        path.chmod(0o777)
        daemon.listen()
        daemon.settimeout(30)

        def answer():
            while True:
                try:
                    client, _ = daemon.accept()
                except OSError:  # (closed: the test is over)
                    return
                with client:
                    client.sendall(b"hello from a host daemon")

        threading.Thread(target=answer, daemon=True).start()
        code = (
            "import socket\n"
            "with socket.socket(socket.AF_UNIX) as s:\n"
            f"    s.connect({str(path)!r})\n"
            "    print(s.recv(100))\n"
        )
        (refused,) = session(zygote, code)
        # (a session that declares the network has the host's, sockets too)
        (declared,) = session(zygote, code, network=True)
    assert refused.stdout == ""
    assert refused.exception.type == "PermissionError"
    assert declared.stdout == "b'hello from a host daemon'\n"


@pytest.fixture
def outside():
    """A folder the sandbox's root does not hold, that every user may use."""
    root = Path(tempfile.mkdtemp(prefix="outside-", dir="/var/tmp"))
    root.chmod(0o777)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def test_a_block_cannot_learn_that_a_file_outside_the_sandbox_exists(zygote, outside):
    """Landlock refuses reading, not ``stat``: on the host's root a block
    learnt whether any path existed, with its size and times. The
    sandbox's root holds only what sessions may read."""
    secret = outside / "credentials"
    secret.write_text("aws_secret_access_key = ...")
    code = (
        "import os\n"
        f"for path in ({str(secret)!r}, {str(outside)!r}):\n"
        "    try:\n"
        "        os.stat(path)\n"
        "        print(path, 'seen')\n"
        "    except FileNotFoundError:\n"
        "        print(path, 'not there')\n"
    )
    lines = printed(zygote, code).splitlines()
    assert lines == [f"{secret} not there", f"{outside} not there"]


def test_a_session_with_the_network_cannot_reach_a_hosts_unix_socket(zygote, outside):
    """A session that declares the network keeps its Unix-domain sockets
    (a post may talk to its own server), but the host's services listen
    on paths outside the sandbox's root (Docker's socket in /run, an SSH
    agent's in a home folder), so no path leads to one."""

    path = outside / "daemon.sock"
    with socket.socket(socket.AF_UNIX) as daemon:
        daemon.bind(str(path))
        path.chmod(0o777)
        daemon.listen()
        code = (
            "import socket\n"
            "with socket.socket(socket.AF_UNIX) as s:\n"
            f"    s.connect({str(path)!r})\n"
        )
        (declared,) = session(zygote, code, network=True)
    assert declared.exception.type == "FileNotFoundError"


def test_the_sandboxs_root_is_read_only(zygote):
    """Sessions are root of the sandbox's user namespace, and the root's
    tmpfs is the sandbox's own: read-only, so no session can leave a file
    there for the next, even where Landlock is missing."""
    code = "import os\nprint(bool(os.statvfs('/').f_flag & os.ST_RDONLY))"
    assert printed(zygote, code) == "True\n"


def test_a_code_directory_reached_through_a_link_is_in_the_root(outside):
    """The root binds each path where it really is, and makes again the
    links on the way to it: a code directory named through a link (a home
    folder that is one) is found by that name in the sandbox."""
    real = outside / "real-code"
    real.mkdir()
    (real / "linked_helper.py").write_text("VALUE = 'through a link'\n")
    (outside / "link").symlink_to(real)
    code = "import linked_helper\nprint(linked_helper.VALUE)"
    printed_there = printed_by_a_strict_zygote(code, [outside / "link"])
    assert printed_there == "through a link\n"


@pytest.mark.parametrize("named", ["through a link", "with .."])
def test_a_code_directory_under_tmp_named_indirectly_is_found(tmp_path, outside, named):
    """Each session covers /tmp with its own, into which the readable
    paths under /tmp are bound again: found by where they really lie, not
    by how they were named (``EXEC_INCLUDE_DIRS`` relative to the build's
    folder gave ``/work/site/../../tmp/lib``, and its modules were missing)."""
    real = tmp_path / "code"
    real.mkdir()
    (real / "tmp_helper.py").write_text("VALUE = 'found'\n")
    if named == "through a link":
        (outside / "link").symlink_to(real)
        code_dir = str(outside / "link")
    else:
        code_dir = str(outside) + "/.." * len(outside.parts[1:]) + str(real)
    code = "import tmp_helper\nprint(tmp_helper.VALUE)"
    assert printed_by_a_strict_zygote(code, [code_dir]) == "found\n"


def test_a_session_with_the_network_is_still_refused_what_exploits_reach_for(
    zygote,
):
    """The network keeps the host's Unix-domain sockets, not io_uring or the
    kernel keyring (nor the rest of what a kernel exploit reaches for)."""
    from executable_blocks import seccomp

    numbers = seccomp.ARCHITECTURES[os.uname().machine][1]
    code = (
        "import ctypes, socket\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        "def errno_of(*call):\n"
        "    return ctypes.get_errno() if libc.syscall(*call) < 0 else 0\n"
        f"print(errno_of({numbers['keyctl']}, 0, -3))  # the session keyring's id\n"
        f"print(errno_of({numbers['io_uring_setup']}, 8,"
        " ctypes.create_string_buffer(120)))\n"
        "socket.socket(socket.AF_UNIX).close()\n"
        "print('unix sockets')\n"
    )
    assert (
        printed(zygote, code, network=True)
        == f"{errno.EPERM}\n{errno.EPERM}\nunix sockets\n"
    )


LOOPBACK_DOWN = (
    "import fcntl, socket, struct\n"
    "with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:\n"
    "    fcntl.ioctl(s.fileno(), 0x8914, struct.pack('16sH22x', b'lo', 0))\n"
)


def test_a_session_cannot_take_the_shared_loopback_down(zygote):
    """Sessions without the network share one network namespace, which the
    sandbox's user namespace owns: a session that kept its capabilities
    there brought the loopback down (or could add firewall rules) for every
    later session, and the posts whose servers run on it failed instead."""
    (attack,) = session(zygote, LOOPBACK_DOWN)
    assert attack.exception.type == "PermissionError"
    code = (
        "import socket\n"
        "with socket.create_server(('127.0.0.1', 0)) as server:\n"
        "    socket.create_connection(server.getsockname(), timeout=5).close()\n"
        "print('loopback works')\n"
    )
    assert printed(zygote, code) == "loopback works\n"


def test_a_session_holds_no_capabilities_even_in_a_program_it_runs(zygote):
    """Root of the sandbox's user namespace, a session held every
    capability over what that namespace owns (its network, its mounts,
    its pid_max); now none, and a program it runs gains none."""
    code = (
        "import re, subprocess\n"
        "mine = open('/proc/self/status').read()\n"
        "theirs = subprocess.run(['cat', '/proc/self/status'],\n"
        "                        capture_output=True, text=True).stdout\n"
        "for status in (mine, theirs):\n"
        "    print(re.findall(r'Cap(?:Inh|Prm|Eff|Bnd|Amb):\\s*(\\w+)', status))\n"
    )
    none = "['0000000000000000', '0000000000000000', '0000000000000000', "
    none += "'0000000000000000', '0000000000000000']\n"
    assert printed(zygote, code) == none * 2


def test_sessions_running_at_once_cannot_reach_each_others_loopback(zygote):
    """Sessions without the network shared one network namespace: one
    could talk to another's servers on the loopback while both ran (or
    take every port a concurrent post's server would bind). Each session
    running now has a namespace of its own (as many as sessions run at
    once, each used again by a later session)."""
    with socket.socket() as probe:  # a port free here, for the first to take
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = (
        "import socket, time\n"
        f"with socket.create_server(('127.0.0.1', {port})):\n"
        "    time.sleep(4)\n"
    )
    client = (
        "import socket, time\n"
        "end = time.monotonic() + 3\n"
        "while time.monotonic() < end:\n"
        "    try:\n"
        f"        socket.create_connection(('127.0.0.1', {port}), timeout=1).close()\n"
        "        print('reached the other session')\n"
        "        break\n"
        "    except OSError:\n"
        "        time.sleep(0.05)\n"
        "else:\n"
        "    print('reached nothing')\n"
    )
    runs = [
        zygote.submit([block_request(code)], [30], confinement=Confinement())
        for code in (server, client)
    ]
    for run in runs:
        zygote.wait(run)
    assert runs[0].results[0].exception is None
    assert runs[1].results[0].stdout == "reached nothing\n"


def test_network_namespaces_are_as_many_as_sessions_run_at_once(zygote):
    """One is made only when every one there is is taken: a session a
    namespace would cost each ~1.4 ms."""
    code = "import os\nprint(os.stat('/proc/self/ns/net').st_ino)"
    runs = [
        zygote.submit([block_request(code)], [30], confinement=Confinement())
        for _ in range(12)
    ]
    for run in runs:
        zygote.wait(run)
    namespaces = {run.results[0].stdout for run in runs}
    assert 1 <= len(namespaces) <= (os.cpu_count() or 1)


def test_a_session_cannot_make_a_user_namespace_of_its_own(zygote):
    """In a user namespace of its own, a session would hold every
    capability again, over namespaces it then makes: a network namespace
    with its firewall (nf_tables), the kernel code most exploits reach
    through. The sandbox allows its user namespace no children (as
    bubblewrap's ``--disable-userns`` does)."""
    code = (
        "import ctypes, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "if libc.unshare(0x10000000) == 0:  # CLONE_NEWUSER\n"
        "    print('a user namespace of its own')\n"
        "else:\n"
        "    print(os.strerror(ctypes.get_errno()))\n"
    )
    assert printed(zygote, code) == "No space left on device\n"  # (the limit: 0)


TAKES_EVERY_INOTIFY_INSTANCE = (
    "import ctypes\n"
    "libc = ctypes.CDLL(None, use_errno=True)\n"
    "taken = []\n"
    "while (fd := libc.inotify_init1(0)) >= 0:\n"
    "    taken.append(fd)\n"
    "print(len(taken), flush=True)\n"
)


def test_a_session_leaves_its_user_most_of_its_inotify_instances(zygote, shared):
    """The kernel counts inotify instances per user, in every namespace: a
    session that took all 128 left the builder's user, and every program
    of it on the machine, none while it ran. The sandbox's user namespace
    may have a quarter."""
    go = shared / "code" / f"inotify-{uuid.uuid4().hex}"
    run = zygote.submit(
        [
            block_request(TAKES_EVERY_INOTIFY_INSTANCE),
            block_request(block_waiting_for(go)),
        ],
        [30, 30],
    )
    eventually(lambda: zygote.poll(0.1) == [] and len(run.results) == 1)

    def one_more_for_the_user() -> bool:
        if zygote.user:
            os.setuid(pwd.getpwnam(zygote.user).pw_uid)
        return ctypes.CDLL(None).inotify_init1(0) >= 0

    try:
        assert in_child(one_more_for_the_user)
    finally:
        go.touch()
        zygote.wait(run)
    allowed = int(Path("/proc/sys/fs/inotify/max_user_instances").read_text())
    assert 0 < int(run.results[0].stdout) <= allowed // 4


def test_asyncio_and_socketpairs_still_work(zygote):
    code = (
        "import asyncio, socket\n"
        "a, b = socket.socketpair()\na.sendall(b'x')\nprint(b.recv(1))\n"
        "print(asyncio.run(asyncio.sleep(0, 'slept')))\n"
    )
    assert printed(zygote, code) == "b'x'\nslept\n"


@pytest.mark.any_kernel
@pytest.mark.parametrize(
    ("error", "have", "own"),
    [
        (errno.ENOSYS, True, False),
        (errno.EPERM, True, False),
        (errno.EDQUOT, False, False),
    ],
)
def test_a_kernel_keyring_no_one_can_reach_needs_no_keyring_of_its_own(
    monkeypatch, error, have, own
):
    """Where keyctl is refused to everyone (a kernel without keys, a
    container's filter), a block can reach no key either: strict builds."""

    def refused():
        raise OSError(error, os.strerror(error))

    monkeypatch.setattr(sandbox.namespaces, "new_session_keyring", refused)
    box = sandbox.Sandbox({"mode": "strict"})
    box.take_keyring()
    assert ("keyring" in box.have, box.own_keyrings) == (have, own)
    assert ("keyring" in box.why) == (not have)


@pytest.mark.any_kernel
def test_parse_size_reads_units():
    assert sandbox.parse_size("2G") == 2 << 30
    assert sandbox.parse_size("512MiB") == 512 << 20
    assert sandbox.parse_size(4096) == 4096
    with pytest.raises(ValueError):
        sandbox.parse_size("-1G")


@pytest.mark.any_kernel
def test_outermost_keeps_one_rule_for_nested_paths():
    paths = ["/usr/lib", "/usr", "/work/site/src", "/work/site", "/usr-local"]
    assert sandbox.outermost(paths) == ["/usr", "/usr-local", "/work/site"]


def refused_pivot_root(new_root, put_old):
    raise sandbox.namespaces.NamespaceError(errno.EPERM, "pivot_root: refused here")


def test_without_a_root_of_its_own_best_runs_on_the_hosts_root(outside):
    """A system that refuses ``pivot_root`` (a builder in a chroot) leaves
    the sandbox on the host's root: ``best`` says so, and what the failed
    attempt mounted is gone (the zygote still sees the host's /tmp)."""
    marker = Path(tempfile.mkdtemp(prefix="host-tmp-"))

    def zygote():
        sandbox.namespaces.pivot_root = refused_pivot_root
        box = sandbox.Sandbox({"mode": "best", "read": []})
        box.enter(keep_fds=[], start_anew=False)
        return box.report(), marker.is_dir(), os.path.isdir(str(outside))

    try:
        report, host_tmp_seen, outside_seen = in_child(zygote)
    finally:
        marker.rmdir()
    assert report["missing"] == {
        "root": f"{sandbox.NO_ROOT} (pivot_root: refused here)"
    }
    assert host_tmp_seen and outside_seen


def test_strict_refuses_to_run_without_a_root_of_its_own():
    def zygote():
        sandbox.namespaces.pivot_root = refused_pivot_root
        box = sandbox.Sandbox({"mode": "strict", "read": []})
        box.enter(keep_fds=[], start_anew=False)

    with pytest.raises(sandbox.SandboxError, match="a root of its own"):
        in_child(zygote)


def test_a_kernel_without_per_namespace_limits_is_said_to_leave_user_namespaces():
    """Before Linux 4.9 a user namespace has no limits of its own to set:
    ``best`` says sessions may make user namespaces; ``strict`` refuses."""

    def zygote(mode):
        def refused():
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")

        sandbox.namespaces.allow_no_user_namespaces = refused
        box = sandbox.Sandbox({"mode": mode, "read": []})
        box.enter(keep_fds=[], start_anew=False)
        return box.report()["missing"]

    missing = in_child(zygote, "best")
    assert list(missing) == ["capabilities"]
    assert missing["capabilities"].startswith("sessions may make user namespaces")
    with pytest.raises(sandbox.SandboxError, match="nor a user namespace of its own"):
        in_child(zygote, "strict")


def test_without_landlock_a_session_still_writes_only_its_tmp(outside):
    """Landlock is what keeps a block's writes to its /tmp; a kernel that
    has it built but not in its list of security modules (``lsm=``)
    leaves ``best`` without it. Everything a session (its /proc included)
    sees but its own /tmp and /dev/shm is then read-only to it, so it can
    still not edit a post, the code or the Python environment."""
    (outside / "post.md").write_text("an innocent post\n")
    (outside / "post.md").chmod(0o666)

    def session():
        sandbox.landlock.abi_version = lambda: 0
        box = sandbox.Sandbox({"mode": "best", "visible": [str(outside)]})
        box.enter(keep_fds=[], start_anew=False)
        box.before_fork()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            box.confine(False, [], None)
            tried = []
            for path, action in (
                (outside / "post.md", "a"),
                (outside / "planted.html", "w"),
                (Path("/tmp/scratch.txt"), "w"),
                (Path("/dev/null"), "w"),
            ):
                try:
                    with open(path, action) as file:
                        file.write("x")
                    tried.append("written")
                except OSError as error:
                    tried.append(errno.errorcode[error.errno])
            # (opened, never written: a root builder's session could have)
            for path in ("/proc/sys/kernel/core_pattern", "/proc/self/comm"):
                try:
                    os.close(os.open(path, os.O_WRONLY))
                    tried.append("opened")
                except OSError as error:
                    tried.append(errno.errorcode[error.errno])
            os.write(write, repr(tried).encode())
            os._exit(0)
        box.after_fork()
        os.close(write)
        os.waitpid(pid, 0)
        return box.report()["missing"], os.read(read, 4096).decode()

    missing, tried = in_child(session)
    assert "landlock" in missing
    assert tried == "['EROFS', 'EROFS', 'written', 'written', 'EROFS', 'EROFS']"
    assert (outside / "post.md").read_text() == "an innocent post\n"


def test_the_builds_probe_says_when_the_root_is_refused(monkeypatch):
    monkeypatch.setattr(sandbox.namespaces, "pivot_root", refused_pivot_root)
    report = sandbox.probe("best")
    assert report["missing"] == {"root": sandbox.NO_ROOT}
    assert {"user", "pid", "mount", "network"} <= set(report["have"])


def test_without_mount_setattr_the_probe_says_mounts_stay_writable(monkeypatch):
    """Linux < 5.12: a session's view of the host cannot be made read-only;
    ``best`` must say so (strict refuses), not only that Landlock is missing."""
    monkeypatch.setattr(sandbox.namespaces, "can_make_read_only", lambda: False)
    report = sandbox.probe("best")
    assert report["missing"] == {"read-only": sandbox.NO_MOUNT_SETATTR}
    assert "every other mount read-only (mount_setattr) (no mount_setattr" in (
        sandbox.describe(report, {"memory": 1, "processes": 1, "file_size": 1})
    )


def test_this_kernel_can_make_mounts_read_only():
    assert sandbox.namespaces.can_make_read_only()


@pytest.mark.any_kernel
def test_describe_names_what_is_missing():
    report = {
        "mode": "best",
        "have": ["landlock", "limits"],
        "missing": {"user": "no user namespace (EPERM)"},
        "landlock_abi": 7,
    }
    limits = {"memory": 2 << 30, "processes": 300, "file_size": 1 << 30}
    line = sandbox.describe(report, limits)
    assert line.startswith("sandbox best: Landlock ABI 7; per session 2 GiB")
    assert line.endswith("Missing: user namespace (no user namespace (EPERM))")


def test_a_project_under_tmp_stays_readable_in_the_private_tmp(tmp_path):
    """A checkout under /tmp (as CI may make one) has its Python there too:
    every readable path under /tmp is bound into each session's own /tmp."""
    library = tmp_path / "venv" / "lib"
    library.mkdir(parents=True)
    (library / "module.py").write_text("VALUE = 7\n")

    def zygote():
        system = sandbox.system_paths_as_given
        sandbox.system_paths_as_given = lambda: [*system(), str(library.parent)]
        box = sandbox.Sandbox({"mode": "strict", "read": []})
        box.enter(keep_fds=[], start_anew=False)
        box.before_fork()
        pid = os.fork()
        if pid == 0:
            try:
                box.confine(False, [], None)
                text = (library / "module.py").read_text()
                os._exit(0 if text == "VALUE = 7\n" else 3)
            except BaseException:  # noqa: BLE001 - the exit code says it
                os._exit(4)
        box.after_fork()
        return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])

    assert in_child(zygote) == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="a root builder's sessions")
def test_a_root_builders_sessions_read_only_what_others_may(shared):
    """The sandbox is root of its user namespace, and so the builder's
    user outside it: a root builder's sessions read ``/etc/shadow`` by its
    mode. What only its owner or group may read is covered for them."""
    tree = shared / f"etc-{uuid.uuid4().hex[:8]}"
    (tree / "private").mkdir(parents=True)
    (tree / "private").chmod(0o700)
    (tree / "private" / "key.pem").write_text("PRIVATE KEY")
    (tree / "shadow").write_text("root:$6$secret")
    (tree / "shadow").chmod(0o640)
    (tree / "hosts").write_text("127.0.0.1 localhost")
    (tree / "hosts").chmod(0o644)

    def read_in_a_session():
        system = sandbox.system_paths_as_given
        sandbox.system_paths_as_given = lambda: [*system(), str(tree)]
        sandbox.OWNER_ONLY_TREES = (str(tree),)
        box = sandbox.Sandbox({"mode": "strict", "read": []})
        box.enter(keep_fds=[], start_anew=False)
        box.before_fork()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            box.confine(False, [], None)
            seen = []
            for name in ("hosts", "shadow", "private/key.pem"):
                try:
                    seen.append((tree / name).read_text())
                except OSError as error:
                    seen.append(type(error).__name__)
            os.write(write, repr(seen).encode())
            os._exit(0)
        box.after_fork()
        os.close(write)
        os.waitpid(pid, 0)
        return os.read(read, 4096).decode()

    seen = eval(in_child(read_in_a_session))  # noqa: S307 - a list we printed
    # (covered: an empty file, and a folder of mode 000 it has no capability
    # to enter)
    assert seen == ["127.0.0.1 localhost", "", "PermissionError"]


@pytest.mark.skipif(
    not os.path.exists("/etc/shadow") or os.stat("/etc/shadow").st_mode & 0o004,
    reason="an /etc/shadow that others may not read",
)
def test_etc_shadow_is_out_of_reach_whoever_builds(zygote):
    (result,) = session(zygote, "print(repr(open('/etc/shadow').read()))")
    if zygote.user or os.geteuid() != 0:  # its mode keeps the session out
        assert result.exception.type == "PermissionError"
    else:  # a root builder's sessions: covered
        assert result.stdout == "''\n"


def test_of_sys_a_block_reads_the_cpus_only(zygote):
    """``/sys`` holds the machine's serial numbers and the kernel's state;
    numerical libraries read the CPUs' topology, and a block only that."""
    code = (
        "for path in ('/sys/devices/system/cpu/online', '/sys/kernel/uevent_seqnum'):\n"
        "    try:\n"
        "        open(path).read()\n"
        "        print('read')\n"
        "    except OSError as error:\n"
        "        print(type(error).__name__)\n"
    )
    # (the rest of /sys is not in the sandbox's root at all)
    assert printed(zygote, code) == "read\nFileNotFoundError\n"


def test_a_session_holds_no_descriptor_of_the_zygotes_namespaces(zygote):
    """With the zygote's PID namespace open, a block could start processes
    outside its own, which would outlive its session."""
    code = (
        "import os\n"
        "found = []\n"
        "for fd in os.listdir('/proc/self/fd'):\n"
        "    try:\n"
        "        link = os.readlink(f'/proc/self/fd/{fd}')\n"
        "    except OSError:\n"
        "        continue\n"
        "    if link.startswith(('pid:', 'net:')):\n"
        "        found.append(link.split(':')[0])\n"
        "print(found)\n"
    )
    assert printed(zygote, code) == "[]\n"
