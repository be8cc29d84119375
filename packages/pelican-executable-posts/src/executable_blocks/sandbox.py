"""The sandbox a post's code runs in, set up once in the zygote and narrowed
for each session in its worker.

Once, when the zygote starts (``Sandbox.enter``): a session keyring of its
own (none of the builder's keys), a user namespace (root over its own
namespaces, nothing else), mount and IPC namespaces and a PID namespace of
which the zygote is the first process (so nothing it started outlives it),
a root of its own that holds only what sessions may read (``make_root``),
a ``/proc`` that shows only the sandbox, and network namespaces with a
loopback and nothing else for the sessions that declare no network (one
for each session running: ``take_network``). (Its
program then starts anew inside them: see ``enter``. Where they cannot be
made, the zygote and each worker adopt orphans instead.)

For each session, in its worker (``Sandbox.confine``): a PID namespace of its
own, whose first process the worker is (when it ends, the kernel kills what
it left running, daemonised or not; ``pid_max`` there bounds its processes),
a keyring and an IPC namespace of its own, a private ``/tmp`` (a
size-limited tmpfs, also its working directory) and ``/dev/shm``, the
isolated network and no Unix-domain sockets unless it declared the
network, a seccomp filter (``seccomp.py``), limits on memory, file size and
descriptors (and the zygote adds up each session's memory:
``session_memory.py``), and Landlock: it may
read the system, Python and the project's code, write its ``/tmp`` and
nothing else, and signal nothing outside itself. Then it gives up every
capability it held as root of the sandbox's user namespace.

Modes: ``strict`` refuses to run a block without all of it; ``best`` takes
what the kernel allows and says what is missing; ``off`` takes nothing.
"""

import errno
import os
import resource
import signal
import stat
import sys
from contextlib import suppress

from . import landlock, namespaces, seccomp
from .namespaces import NEWIPC, NEWNET, NEWNS, NEWPID
from .session_memory import INODE_BYTES

MODES = ("strict", "best", "off")
DEFAULT_MEMORY = 2 << 30  # a session's, all its processes and /tmp together
# What the sessions of one build may send back in all (output, figures,
# animations): the builder holds every result until the pages are written.
DEFAULT_RESULTS = 1 << 30
SCRATCH = "/tmp/work"  # a session's working directory, in its own /tmp
WORKER_ENV = {"HOME": SCRATCH, "TMPDIR": "/tmp"}  # a worker's, with its own /tmp
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
# A PID namespace hands out the PIDs below 300 until it has given out 300,
# then only those from 300 to its pid_max - 1.
RESERVED_PIDS = 300
PID_MAX_MIN = RESERVED_PIDS + 1  # the kernel's floor for a namespace's pid_max
PID_MAX_LIMIT = 1 << 22  # and its ceiling
DEFAULT_PROCESSES = 300  # a session's, threads included, besides its first
PROCESSES_BOUND: int | None = None  # in a worker: its session's, once bound
# Descriptors a process of a session may hold, whatever the builder's hard
# limit (often 524,288): what a descriptor holds in the kernel (a socket's
# buffers) is memory no count of a session's sees.
OPEN_FILES = 4096
# Signals that end a process which does not handle them. The kernel spares
# the first process of a PID namespace those sent from inside it (its own
# kill, alarm()): a session's worker is that process, so it ends on them
# itself, as any other process would (exit code 128 + the signal). The
# zygote sets the handlers once, for every worker it forks (and itself).
ENDING_SIGNALS = (
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGTERM,
    signal.SIGUSR1,
    signal.SIGUSR2,
    signal.SIGALRM,
    signal.SIGVTALRM,
    signal.SIGPROF,
)
# Every part, as the build's first line and ``missing`` name them.
PARTS = {
    "user": "user namespace",
    "pid": "PID namespaces (nothing left running)",
    "mount": "private /tmp and /proc",
    "read-only": "every other mount read-only (mount_setattr)",
    "root": "a root of its own (nothing else of the host in sight)",
    "ipc": "IPC namespace (System V IPC, POSIX message queues)",
    "network": "network namespace",
    "landlock": "Landlock (file access)",
    "processes": "a process limit per session (pid_max in its PID namespace)",
    "limits": "memory and file-size limits",
    "keyring": "a session keyring of its own",
    "capabilities": "no capabilities, nor a user namespace of its own to regain them",
    "sockets": "a seccomp filter (no Unix-domain sockets without the network)",
}


class SandboxError(Exception):
    """``strict`` was asked for and a part of the sandbox is missing."""


def system_paths() -> list[str]:
    """What every session may read: the system, and the Python it runs on."""
    return outermost(os.path.realpath(p) for p in system_paths_as_given())


def system_paths_as_given() -> list[str]:
    """The same, by the names they were given (the way to one may pass a
    link: ``make_root`` makes it again)."""
    # (of /sys, the CPUs' topology, which numerical libraries read: not the
    # rest, which holds the machine's serial numbers and the kernel's state)
    paths = ["/usr", "/lib", "/lib32", "/lib64", "/bin", "/sbin", "/etc"]
    paths += ["/sys/devices/system/cpu"]
    paths += ["/proc", sys.prefix, sys.base_prefix, sys.exec_prefix]
    paths += [p for p in sys.path if p and os.path.isdir(p)]
    paths.append(os.path.dirname(os.path.realpath(sys.executable)))
    # where the resolver's settings lead (systemd-resolved keeps them in /run)
    paths.append(os.path.realpath("/etc/resolv.conf"))
    return [os.path.abspath(p) for p in paths if os.path.exists(p)]


def lying_under_tmp(paths) -> list[str]:
    """Where ``paths`` really lie under /tmp, which each session covers
    with its own (by the real path: one named through a link, or with
    ``..``, lies where it leads)."""
    real = (os.path.realpath(p) for p in paths if os.path.exists(p))
    return outermost(p for p in real if p.startswith("/tmp/"))


def outermost(paths) -> list[str]:
    """``paths`` without those beneath another of them (one rule covers
    what lies beneath it, and each rule costs every session a system call)."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path == k or path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


class Sandbox:
    """The zygote's sandbox, from the builder's ``policy`` (a dict: ``mode``,
    ``read``, ``visible``, ``memory``, ``processes``, ``file_size``,
    ``results``).
    ``visible``: what the sandbox's root holds beyond what sessions may
    read (the content directory: each session reads only its own
    ``depends=`` files there)."""

    def __init__(self, policy: dict):
        self.mode = policy.get("mode", "best")
        self.read = list(policy.get("read", []))
        self.visible = list(policy.get("visible", []))
        self.memory = int(policy.get("memory", DEFAULT_MEMORY))
        self.processes = int(policy.get("processes", DEFAULT_PROCESSES))
        self.file_size = int(policy.get("file_size", 1 << 30))
        self.results = int(policy.get("results", DEFAULT_RESULTS))
        self.have: set[str] = set()
        self.why: dict[str, str] = {}  # part -> why it is missing
        self.system = system_paths()
        # Worked out once, for every worker:
        self.under_tmp = lying_under_tmp([*self.system, *self.read])
        # (files: as many as the memory a session may hold would allow, by
        # the kernel's memory each holds; a tmpfs allows millions)
        files = max(self.memory // INODE_BYTES, 1024)
        self.tmpfs_size = f"size={self.file_size},nr_inodes={files},mode=1777"
        self.shm = os.path.isdir("/dev/shm")
        self.own_pid_ns: int | None = None
        self.networks: list[int] = []  # isolated, no session in (take_network)
        self.landlock_abi = 0
        self.rules: landlock.Rules | None = None
        self.socket_filter = b""  # compiled once, installed in each worker
        self.network_filter = b""  # the same, for sessions with the network
        self.own_keyrings = False  # each worker joins a session keyring
        self.adopts_orphans = False  # no PID namespaces: see adopt_orphans
        self.zygote_env: dict[str, str | None] = {}  # while workers' is set
        self.entered = policy.get("entered")  # (see enter)
        self.builder_is_root = False

    # -- in the zygote ----------------------------------------------------

    def enter(self, keep_fds: list[int], start_anew: bool = True) -> bool:
        """Set up the zygote's part. With a PID namespace, this process
        stays outside it only to wait: the zygote goes on in its child,
        which then runs its program again (True: ``carried`` is what it
        passes on to its new self, as the policy's ``entered``), unless
        not ``start_anew`` (it settles in as it is).

        Why again: what a process may read of another's in ``/proc`` (its
        memory map, descriptors, root) depends, for one that made itself
        undumpable, on privilege in the user namespace its program was
        started in, and a fork keeps its parent's. Started anew in the
        sandbox's user namespace, the zygote and its workers belong to it,
        so the zygote can add up the memory of a session that hides."""
        if self.mode == "off":
            return False
        if self.entered is not None:
            self.settle()
            return False
        self.take_unprivileged_parts()
        self.take_keyring()
        self.take_socket_filter()
        self.builder_is_root = os.geteuid() == 0
        refused = user_namespace_refused()
        if refused is None:
            try:
                namespaces.enter_user_namespace(NEWNS | NEWPID | NEWIPC)
            except OSError as error:
                refused = f"no user namespace ({error.strerror})"
        if refused is not None:
            for part in NAMESPACE_PARTS:
                self.why[part] = refused
            self.check()
            self.adopt_orphans()
            namespaces.bound_capabilities()
            return False
        self.have |= {"user", "pid", "mount", "ipc"}
        self.check_read_only()
        wait_outside(keep_fds)
        self.entered = self.carried()
        if not start_anew:
            self.settle()
        return start_anew

    def carried(self) -> dict:
        """What the zygote found before it started anew (``enter``)."""
        return {
            "have": sorted(self.have),
            "why": self.why,
            "landlock_abi": self.landlock_abi,
            "own_keyrings": self.own_keyrings,
            "socket_filter": self.socket_filter.hex(),
            "network_filter": self.network_filter.hex(),
            "builder_is_root": self.builder_is_root,
        }

    def settle(self) -> None:
        """The rest of ``enter``, in the zygote started anew in its user,
        mount, PID and IPC namespaces."""
        entered = self.entered
        self.have, self.why = set(entered["have"]), dict(entered["why"])
        self.landlock_abi = entered["landlock_abi"]
        self.own_keyrings = entered["own_keyrings"]
        self.socket_filter = bytes.fromhex(entered["socket_filter"])
        self.network_filter = bytes.fromhex(entered["network_filter"])
        namespaces.prctl(namespaces.PR_SET_PDEATHSIG, signal.SIGKILL)
        namespaces.mount("none", "/", None, namespaces.MS_REC | namespaces.MS_PRIVATE)
        self.take_root()
        if entered["builder_is_root"]:
            hide_what_others_cannot_read(OWNER_ONLY_TREES)
        self.own_pid_ns = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        self.probe_network_and_processes()
        try:
            namespaces.allow_no_user_namespaces()
        except OSError as error:
            self.have.discard("capabilities")
            self.why["capabilities"] = f"sessions may make user namespaces ({error})"
        with suppress(OSError):  # (an extra: the user's budgets are the host's)
            namespaces.leave_the_user_most_of_its_budgets()
        self.check()
        if "landlock" in self.have:
            self.rules = self.shared_rules()  # made once, for every session
        namespaces.bound_capabilities()  # (workers drop the rest: confine)

    def take_root(self) -> None:
        """A root of the sandbox's own (``make_root``), with a ``/proc`` of
        its own; without one, the host's root and a ``/proc`` of its own."""
        try:
            make_root(self.shown(), self.shm)
        except OSError as error:
            self.why["root"] = f"{NO_ROOT} ({error.strerror or error})"
            namespaces.mount("proc", "/proc", "proc", PROC)
            return
        self.have.add("root")

    def shown(self) -> list[str]:
        """What the sandbox's root holds: what sessions may read, what the
        builder makes visible, the zygote's own folder and the devices."""
        return [*system_paths_as_given(), *self.read, *self.visible, os.getcwd()]

    def adopt_orphans(self) -> None:
        """Without PID namespaces, what a session leaves running would be
        adopted by the machine's first process and outlive the build. The
        zygote and each worker adopt the orphans beneath them instead (a
        daemon cannot leave its worker's line), and the zygote kills what a
        session's worker left when it ends (``Zygote.bury_orphans``)."""
        namespaces.prctl(namespaces.PR_SET_CHILD_SUBREAPER, 1)
        self.adopts_orphans = True

    def shared_rules(self) -> landlock.Rules:
        """The rules every session has: read the system, Python and the
        project's code, write the devices."""
        readable = outermost([*self.system, *self.read])
        return landlock.Rules(readable, list(DEVICES), self.landlock_abi)

    def take_unprivileged_parts(self) -> None:
        """The parts every process may have, namespaces or not (each worker
        gives up its capabilities: ``confine``)."""
        self.have |= {"limits", "capabilities"}
        self.landlock_abi = landlock.abi_version()
        if self.landlock_abi:
            self.have.add("landlock")
        else:
            self.why["landlock"] = "the kernel has no Landlock"

    def take_keyring(self) -> None:
        """A session keyring of the zygote's own, none of the builder's keys
        in it (each worker then makes its own). Where the kernel keyring
        cannot be reached at all (no ``keyctl``, or a container's filter
        refuses it), there is nothing to keep from a block."""
        try:
            namespaces.new_session_keyring()
            self.own_keyrings = True
        except OSError as error:
            if error.errno not in (errno.ENOSYS, errno.EPERM):
                self.why["keyring"] = f"no keyring of its own ({error.strerror})"
                return
        self.have.add("keyring")

    def take_socket_filter(self) -> None:
        """The filters (``seccomp.py``) that refuse every worker what kernel
        exploits reach for, and one without the network its Unix-domain
        sockets (the host's services listen on them): made once and tried
        in a child (a filter is for good)."""
        try:
            self.socket_filter = seccomp.compiled()
            self.network_filter = seccomp.compiled(unix_sockets=True)
        except OSError as error:
            self.why["sockets"] = f"no seccomp filter ({error.strerror})"
            return
        pid = os.fork()
        if pid == 0:
            try:
                seccomp.install(self.socket_filter)
            except BaseException:  # noqa: BLE001 - the exit code says it
                os._exit(1)
            os._exit(0)
        if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0:
            self.have.add("sockets")
        else:
            self.why["sockets"] = "the kernel refused a seccomp filter"

    def probe_network_and_processes(self) -> None:
        """Make the first isolated network namespace, and try pid_max in a
        child that is the first process of a PID namespace."""
        try:
            self.networks.append(isolated_network())
            self.have.add("network")
        except OSError:
            self.why["network"] = "the kernel refused a network namespace"
        self.before_fork()
        pid = os.fork()
        if pid == 0:
            try:
                set_pid_max(PID_MAX_MIN)
            except BaseException:  # noqa: BLE001 - the exit code says it
                os._exit(1)
            os._exit(0)
        self.after_fork()
        if os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0:
            self.have.add("processes")
        else:
            self.why["processes"] = "pid_max is not per namespace (Linux < 6.14)"

    def take_network(self) -> int | None:
        """An isolated network namespace no running session is in, for a
        session without the network (None: there are none). Sessions that
        shared one could reach each other's servers on the loopback, or take
        every port a concurrent post's server would bind. As many are made
        as sessions run at once, and each is used again by a later session
        (which nothing earlier can have changed: no session holds a
        capability over it); a new one would cost every session ~1.4 ms."""
        if "network" not in self.have:
            return None
        return self.networks.pop() if self.networks else isolated_network()

    def give_back_network(self, fd: int) -> None:
        """Once its session has ended, every process of it gone."""
        self.networks.append(fd)

    def check(self) -> None:
        if self.mode == "strict" and self.missing():
            raise SandboxError(
                "EXEC_SANDBOX=strict, but the sandbox lacks "
                + "; ".join(f"{PARTS[p]}: {self.why[p]}" for p in self.missing())
            )

    def missing(self) -> list[str]:
        return [part for part in PARTS if part not in self.have]

    def report(self) -> dict:
        return {
            "mode": self.mode,
            "have": sorted(self.have),
            "missing": {part: self.why.get(part, "") for part in self.missing()},
            "landlock_abi": self.landlock_abi,
        }

    def before_fork(self) -> None:
        """The next child is the first process of a new PID namespace."""
        if self.own_pid_ns is not None:
            namespaces.setns(self.own_pid_ns, NEWPID)
            namespaces.unshare(NEWPID)

    def after_fork(self) -> None:
        """Back to forking into the zygote's own PID namespace."""
        if self.own_pid_ns is not None:
            namespaces.setns(self.own_pid_ns, NEWPID)

    def prepare_workers(self) -> None:
        """In the zygote, once its modules are imported: what is the same for
        every worker, set up here rather than in each (a worker that sets
        it copies pages of the zygote's memory: a few hundred microseconds
        a session). ``zygote_environment`` undoes it for the next import."""
        if self.mode == "off":
            return
        if self.own_pid_ns is not None:  # each worker is PID 1 of its own
            for number in ENDING_SIGNALS:
                if signal.getsignal(number) == signal.SIG_DFL:
                    signal.signal(number, end_as_if_killed)
        if self.private_tmp:
            self.zygote_env = {name: os.environ.get(name) for name in WORKER_ENV}
            os.environ.update(WORKER_ENV)

    def zygote_environment(self) -> None:
        """The zygote's own HOME and TMPDIR back, while it imports modules
        (``/tmp`` is still the host's there)."""
        for name, value in self.zygote_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.zygote_env = {}

    def check_read_only(self) -> None:
        """Whether a session's mounts can be made read-only: without that
        (Linux < 5.12, which has no Landlock either), a block writes what
        file permissions let the builder write."""
        if namespaces.can_make_read_only():
            self.have.add("read-only")
        else:
            self.why["read-only"] = NO_MOUNT_SETATTR

    @property
    def private_tmp(self) -> bool:
        return "mount" in self.have

    def private_mount_points(self) -> tuple[str, ...]:
        """Where each session has a tmpfs of its own, whose files count in
        its memory (``session_memory``)."""
        if not self.private_tmp:
            return ()
        return ("/tmp", "/dev/shm") if self.shm else ("/tmp",)

    # -- in a worker --------------------------------------------------------

    def confine(
        self,
        network: bool,
        reads: list[str],
        directory: str | None,
        isolated: int | None = None,
    ):
        """Narrow this worker to its session; the directory it works in.
        ``isolated``: the network namespace of a session without the
        network (``take_network``; one is taken here if not given)."""
        if self.mode == "off":
            return directory
        namespaces.prctl(namespaces.PR_SET_PDEATHSIG, signal.SIGKILL)
        if self.adopts_orphans:
            namespaces.prctl(namespaces.PR_SET_CHILD_SUBREAPER, 1)
        if self.own_keyrings:  # not the zygote's, shared by every session
            namespaces.new_session_keyring()
        if "processes" in self.have:
            bound_processes(self.processes)
        if not network:
            isolated = self.take_network() if isolated is None else isolated
            if isolated is not None:
                namespaces.setns(isolated, NEWNET)
        if "sockets" in self.have:  # (a session with the network keeps its sockets)
            seccomp.install(self.network_filter if network else self.socket_filter)
        if self.private_tmp:
            directory = self.private_mounts(reads)
        self.limit()
        if "landlock" in self.have:
            rules = self.rules or self.shared_rules()
            if self.private_tmp:  # (rules hold to inodes: the new mounts' own)
                rules.restrict(read=[*reads, "/proc"], write=["/tmp", "/dev/shm"])
            else:
                rules.restrict(read=reads, write=[directory])
        for fd in {self.own_pid_ns, isolated, *self.networks} - {None}:
            os.close(fd)  # (with them, a block could leave its namespaces)
        # Root of the sandbox's user namespace, a session would hold every
        # capability over what it owns: the network namespace it is in,
        # which later sessions use again (it could take their loopback down,
        # or add firewall rules), pid_max, the mounts. Its confinement made,
        # it needs none.
        namespaces.drop_capabilities()
        if not self.private_tmp:  # (else the zygote set them: the same for all)
            os.environ["HOME"] = os.environ["TMPDIR"] = directory
        return directory

    def private_mounts(self, reads: list[str]) -> str:
        """Every mount read-only; a new tmpfs on /tmp (and /dev/shm), with
        the readable paths that lay under /tmp bound back in place; a fresh
        /proc."""
        under_tmp = self.under_tmp
        if reads:
            under_tmp = outermost([*under_tmp, *lying_under_tmp(reads)])
        # (IPC too, in the same call: no session shares System V objects)
        namespaces.unshare(NEWNS | NEWIPC)  # (held after: a bind takes this table's)
        # Everything it sees read-only, but what is mounted for it below:
        # where Landlock is missing, it still writes nothing but its own.
        namespaces.read_only_beneath("/")
        held = [(p, os.open(p, os.O_PATH | os.O_CLOEXEC)) for p in under_tmp]
        namespaces.mount("tmpfs", "/tmp", "tmpfs", TMPFS, self.tmpfs_size)
        if self.shm:
            namespaces.mount("tmpfs", "/dev/shm", "tmpfs", TMPFS, self.tmpfs_size)
        for path, fd in held:
            bind_held(fd, path)  # read-only: Landlock lets it write beneath /tmp
            os.close(fd)
        namespaces.mount("proc", "/proc", "proc", SESSION_PROC)
        os.mkdir(SCRATCH, 0o700)
        return SCRATCH

    def limit(self) -> None:
        for kind, value in (
            (resource.RLIMIT_AS, self.memory),
            (resource.RLIMIT_FSIZE, self.file_size),
            (resource.RLIMIT_CORE, 0),
        ):
            resource.setrlimit(kind, (value, value))
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        cap = OPEN_FILES if hard == resource.RLIM_INFINITY else min(hard, OPEN_FILES)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(soft, cap), cap))
        if "processes" not in self.have and "user" in self.have:
            # Counted per user of the sandbox's namespace, so shared with the
            # other sessions (and not applied to root): a backstop where
            # pid_max cannot be set. Outside a user namespace it would count
            # every process of the builder's user on the machine.
            limit = self.processes
            resource.setrlimit(resource.RLIMIT_NPROC, (limit, limit))


MS_BIND, MS_REMOUNT, MS_RDONLY = 0x1000, 0x20, 0x1
BIND = MS_BIND | namespaces.MS_REC
TMPFS = namespaces.MS_NOSUID | namespaces.MS_NODEV
HIDDEN = TMPFS | namespaces.MS_NOEXEC | MS_RDONLY
PROC = TMPFS | namespaces.MS_NOEXEC
# A session's own, read-only: where Landlock is missing, the root of a root
# builder's sandbox is root outside it to the kernel's sysctls, whose files
# it may write by their modes (/proc/sys/kernel/core_pattern).
SESSION_PROC = PROC | MS_RDONLY
# Where the root is put together before it becomes ``/`` (what lay beneath
# is held open first), and its links into /proc.
BUILT_AT = "/tmp"
DEVICE_LINKS = {
    "/dev/fd": "/proc/self/fd",
    "/dev/stdin": "/proc/self/fd/0",
    "/dev/stdout": "/proc/self/fd/1",
    "/dev/stderr": "/proc/self/fd/2",
}


def make_root(paths: list[str], shm: bool) -> None:
    """Make this mount namespace's root a read-only tmpfs that holds only
    ``paths`` (each bound where it is, and the links on the way to it made
    again), the ``DEVICES``, and a ``/proc`` of its own; the host's root
    goes (``pivot_root``, as bubblewrap does). Landlock governs reading,
    not ``stat`` or connecting to a socket by its path: without this a
    session could learn whether any file of the host exists, with its
    size and times, and one with the network could talk to any service
    listening on a Unix socket (Docker's, the user's D-Bus)."""
    real = (os.path.realpath(p) for p in [*paths, *DEVICES] if os.path.exists(p))
    shown = [p for p in outermost(real) if p != "/proc"]
    links = {  # (only those that lead into the root: no dangling names)
        link: target
        for link, target in links_on_the_way(paths).items()
        if beneath(os.path.realpath(link), shown)
    }
    links.update(DEVICE_LINKS)
    cwd = os.getcwd()
    held = [(p, os.open(p, os.O_PATH | os.O_CLOEXEC)) for p in shown]
    try:
        namespaces.mount("tmpfs", BUILT_AT, "tmpfs", TMPFS, "size=1m,mode=0755")
        try:
            for path, fd in held:
                bind_held(fd, BUILT_AT + path, read_only=False)
            for path, target in links.items():
                if beneath(path, shown) or os.path.lexists(BUILT_AT + path):
                    continue  # (there already, or inside what is bound)
                os.makedirs(os.path.dirname(BUILT_AT + path), exist_ok=True)
                os.symlink(target, BUILT_AT + path)
            for folder in ("/proc", "/tmp", *(("/dev/shm",) if shm else ())):
                os.makedirs(BUILT_AT + folder, exist_ok=True)
            namespaces.mount("proc", BUILT_AT + "/proc", "proc", PROC)
            os.chdir(BUILT_AT)
            namespaces.pivot_root(".", ".")
        except BaseException:
            os.chdir("/")
            namespaces.umount(BUILT_AT, namespaces.MNT_DETACH)
            os.chdir(cwd)
            raise
    finally:
        for _, fd in held:
            os.close(fd)
    try:  # (the host's root now lies on top of the new one: it goes)
        namespaces.umount(".", namespaces.MNT_DETACH)
        os.chdir("/")
        namespaces.mount("none", "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | TMPFS)
    except OSError as error:
        raise SandboxError(f"the sandbox's root was left half made: {error}") from None
    os.chdir(cwd if os.path.isdir(cwd) else "/")


def bind_held(fd: int, path: str, read_only: bool = True) -> None:
    """Bind what ``fd`` holds (opened before it was covered) at ``path``."""
    if os.path.isdir(f"/proc/self/fd/{fd}"):
        os.makedirs(path, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, "a").close()
    namespaces.mount(f"/proc/self/fd/{fd}", path, None, BIND)
    if read_only:
        namespaces.mount("none", path, None, BIND | MS_REMOUNT | MS_RDONLY)


def links_on_the_way(paths: list[str]) -> dict[str, str]:
    """The symbolic links met on the way to each of ``paths`` (a home folder
    that is a link), and those at the top of the tree (``/lib64`` on a
    merged-/usr system, through which every program's loader is reached):
    where each is, and where it leads."""
    found = {}
    with os.scandir("/") as entries:
        for entry in entries:
            if entry.is_symlink():
                found[entry.path] = os.readlink(entry.path)
    for path in paths:
        follow(os.path.abspath(path), found)
    return found


def follow(path: str, found: dict[str, str], hops: int = 0) -> None:
    here = ""
    parts = path.strip("/").split("/")
    for number, part in enumerate(parts):
        here += "/" + part
        if hops < 40 and os.path.islink(here):
            found[here] = os.readlink(here)
            led_to = os.path.join(os.path.dirname(here), found[here])
            rest = parts[number + 1 :]
            follow(os.path.normpath(os.path.join(led_to, *rest)), found, hops + 1)
            return


def beneath(path: str, folders: list[str]) -> bool:
    return any(path.startswith(f.rstrip("/") + "/") or path == f for f in folders)


# Where a root builder's sessions would read, by their modes, what only root
# may: covered in the zygote (``hide_what_others_cannot_read``).
OWNER_ONLY_TREES = ("/etc",)


def hide_what_others_cannot_read(trees) -> None:
    """In this (the zygote's) mount namespace, which every session's copies:
    cover what in ``trees`` only its owner or group may read, when the
    builder is root. The sandbox is root of its user namespace, which is
    the builder's user outside it: a root builder's sessions would read,
    by their modes, ``/etc/shadow``, SSH host keys, TLS private keys. They
    now see ``/etc`` as any other user does."""
    for top in trees:
        for folder, folders, files in os.walk(top):
            for name in [*folders, *files]:
                path = os.path.join(folder, name)
                try:
                    mode = os.lstat(path).st_mode
                except OSError:
                    continue
                if others_may_read(mode):
                    continue
                if stat.S_ISDIR(mode):
                    namespaces.mount("tmpfs", path, "tmpfs", HIDDEN, "size=4k,mode=000")
                    folders.remove(name)
                elif stat.S_ISREG(mode):
                    namespaces.mount("/dev/null", path, None, BIND)
                    namespaces.mount("none", path, None, BIND | MS_REMOUNT | MS_RDONLY)


def others_may_read(mode: int) -> bool:
    """A link is judged where it leads; a folder must be readable and open."""
    if stat.S_ISLNK(mode):
        return True
    if stat.S_ISDIR(mode):
        return bool(mode & stat.S_IROTH and mode & stat.S_IXOTH)
    return bool(mode & stat.S_IROTH)


def end_as_if_killed(number: int, frame) -> None:
    os._exit(128 + number)


def isolated_network() -> int:
    """A new network namespace with its loopback up and nothing else, made
    by a child and kept by a descriptor."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            namespaces.unshare(NEWNET)
            namespaces.loopback_up()
            os.write(write, b"n")
        except BaseException:  # noqa: BLE001 - what it wrote says it
            os._exit(1)
        signal.pause()  # until the zygote has taken hold of the namespace
        os._exit(0)
    os.close(write)
    try:
        if os.read(read, 1) != b"n":
            raise namespaces.NamespaceError(0, "the kernel refused a network namespace")
        return os.open(f"/proc/{pid}/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(read)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


def bound_processes(count: int) -> None:
    """In the first process of a PID namespace: at most ``count`` others
    (processes and threads) at once. The namespace's last PID is set past
    the reserved ones, so that its PIDs come from 300 to ``pid_max`` from
    the start: with PIDs below 300 to hand out first, it allowed 299 at
    once, and once a session had used PID 300 (300 processes started in
    its life), only ``pid_max`` - 300 (one, by default)."""
    global PROCESSES_BOUND
    set_pid_max(RESERVED_PIDS + count)
    # (a kernel built without checkpoint/restore has no ns_last_pid: then
    # up to 299 more until PID 300 is used, the bound holding from then on)
    with suppress(OSError):
        write_sysctl("kernel/ns_last_pid", RESERVED_PIDS)
    PROCESSES_BOUND = count


def set_pid_max(value: int) -> None:
    """Bound the PIDs of this PID namespace (Linux 6.14 and later)."""
    write_sysctl("kernel/pid_max", value)


def write_sysctl(name: str, value: int) -> None:
    fd = os.open(f"/proc/sys/{name}", os.O_WRONLY)
    try:
        os.write(fd, str(value).encode())
    finally:
        os.close(fd)


def wait_outside(keep_fds: list[int]) -> None:
    """Fork the zygote proper into the new PID namespace (as its first
    process); this process only waits for it and ends as it ended, so the
    builder sees how the zygote ended."""
    pid = os.fork()
    if pid == 0:
        return
    for fd in keep_fds:
        os.close(fd)  # the builder must see the zygote's end, not ours
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the zygote handles Ctrl-C
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    if os.WIFSIGNALED(status):
        signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
        os.kill(os.getpid(), os.WTERMSIG(status))
    os._exit(os.waitstatus_to_exitcode(status))


PROBED = ("keyring", "sockets")  # a probing child's exit code, bit by bit
NAMESPACE_PARTS = (
    "user",
    "pid",
    "mount",
    "read-only",
    "root",
    "ipc",
    "network",
    "processes",
)
NO_USER_NAMESPACE = "the kernel refused a user namespace"
NO_CAPABILITY = "no capability in a user namespace (the kernel refused a mount)"
NO_PROC = (
    "no /proc of its own (the kernel refused to mount one; it does where"
    " parts of /proc are hidden, as in a container)"
)
NO_ROOT = "the kernel refused a root of its own"
NO_MOUNT_SETATTR = (
    "no mount_setattr (Linux < 5.12): a block may write what the builder may"
)
ROOT_REFUSED = 4  # (_try_the_sandboxs_start: all but the root could be made)


def user_namespace_refused() -> str | None:
    """Why this process cannot build the sandbox in a user namespace (None:
    it can), found by a child that tries, so this one stays as it is. It
    makes the mounts the sandbox starts with, too: some systems let a
    program make a user namespace but give it no capability there (an
    AppArmor policy can), and a container whose ``/proc`` has parts hidden
    lets no new ``/proc`` be mounted; none of the sandbox can be built then."""
    pid = os.fork()
    if pid == 0:
        os._exit(_try_the_sandboxs_start())
    code = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    return refusal(code)


def refusal(code: int) -> str | None:
    """What ``_try_the_sandboxs_start``'s code says was refused (of the
    namespaces: a root refused is the zygote's to find and say)."""
    known = {0: None, 1: NO_USER_NAMESPACE, 2: NO_CAPABILITY, ROOT_REFUSED: None}
    return known.get(code, NO_PROC)


def _try_the_sandboxs_start() -> int:
    """In a child: 0 if the sandbox's namespaces and first mounts can be
    made, else which failed (1: the user namespace, 2: a mount, 3: /proc,
    4: a root of its own)."""
    try:
        namespaces.enter_user_namespace(NEWNS | NEWPID | NEWIPC)
    except BaseException:  # noqa: BLE001 - reported by the exit code
        return 1
    try:
        namespaces.mount("none", "/", None, namespaces.MS_REC | namespaces.MS_PRIVATE)
    except BaseException:  # noqa: BLE001
        return 2
    pid = os.fork()  # (the first process of the new PID namespace)
    if pid == 0:
        flags = namespaces.MS_NOSUID | namespaces.MS_NODEV | namespaces.MS_NOEXEC
        try:
            namespaces.mount("proc", "/proc", "proc", flags)
        except BaseException:  # noqa: BLE001
            os._exit(3)
        try:
            make_root(system_paths_as_given(), os.path.isdir("/dev/shm"))
        except BaseException:  # noqa: BLE001
            os._exit(ROOT_REFUSED)
        os._exit(0)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


def probe(mode: str) -> dict:
    """What a zygote would get here, found at the build's start by a child
    that tries the namespaces (the zygote's own report has the last word)."""
    sandbox = Sandbox({"mode": mode})
    if mode == "off":
        return sandbox.report()
    sandbox.take_unprivileged_parts()
    pid = os.fork()
    if pid == 0:  # (in a child: the builder keeps its keyring, and its sockets)
        sandbox.take_keyring()
        try:
            seccomp.install()
            sandbox.have.add("sockets")
        except OSError:
            pass
        got = sum(1 << i for i, part in enumerate(PROBED) if part in sandbox.have)
        os._exit(got | _try_the_sandboxs_start() << len(PROBED))
    _, status = os.waitpid(pid, 0)
    got = os.waitstatus_to_exitcode(status)
    if got < 0:  # (killed: nothing is known to work)
        got = 1 << len(PROBED)
    for bit, part in enumerate(PROBED):
        if got & (1 << bit):
            sandbox.have.add(part)
        else:
            sandbox.why[part] = "the kernel refused it"
    started = got >> len(PROBED)
    refused = refusal(started)
    if refused is None:
        sandbox.have |= {"user", "pid", "mount", "root", "ipc", "network"}
        sandbox.check_read_only()
        if started == ROOT_REFUSED:
            sandbox.have.remove("root")
            sandbox.why["root"] = NO_ROOT
        if tuple(int(n) for n in _release()[:2]) >= (6, 14):
            sandbox.have.add("processes")
        else:
            sandbox.why["processes"] = "pid_max is not per namespace (Linux < 6.14)"
    else:
        for part in NAMESPACE_PARTS:
            sandbox.why[part] = refused
    return sandbox.report()


def _release() -> list[str]:
    import re

    return re.findall(r"\d+", os.uname().release)


def describe(report: dict, limits: dict) -> str:
    """One line for the build's start: the mode, what it has, what it lacks."""
    mode, have = report["mode"], set(report["have"])
    if mode == "off":
        return "sandbox off (EXEC_SANDBOX=off): blocks run with the builder's rights"
    parts = []
    spaces = [
        n
        for n, part in (
            ("user", "user"),
            ("PID", "pid"),
            ("mount", "mount"),
            ("IPC", "ipc"),
            ("network", "network"),
        )
        if part in have
    ]
    if spaces:
        parts.append(", ".join(spaces) + " namespaces")
    if "root" in have:
        parts.append("a root of its own")
    if "landlock" in have:
        parts.append(f"Landlock ABI {report['landlock_abi']}")
    processes = f"{limits['processes']} processes, " if "processes" in have else ""
    parts.append(
        f"per session {size(limits['memory'])} of memory, "
        f"{processes}{size(limits['file_size'])} files; "
        f"{size(limits.get('results', DEFAULT_RESULTS))} of results a build"
    )
    line = f"sandbox {mode}: " + "; ".join(parts)
    if report["missing"]:
        lacking = "; ".join(
            f"{PARTS[p]} ({why})" for p, why in report["missing"].items()
        )
        line += f". Missing: {lacking}"
    return line


def size(number: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if number >= scale and number % scale == 0:
            return f"{number // scale} {unit}"
    return f"{number} bytes"


def parse_size(text) -> int:
    """Bytes of ``2G``, ``512M``, ``1048576``..."""
    text = str(text).strip().upper().removesuffix("B").removesuffix("I")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}.get(text[-1:], 1)
    number = text[:-1] if scale > 1 else text
    value = int(float(number) * scale)
    if value <= 0:
        raise ValueError(f"{text!r} is not a size above 0")
    return value
