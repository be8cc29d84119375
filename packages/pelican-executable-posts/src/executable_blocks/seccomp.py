"""A seccomp filter for the code of a session: none of the system calls a
kernel exploit reaches for, and, without the network, no Unix-domain sockets.

Connecting to a socket by its path is not something Landlock governs, and
where the sandbox has no root of its own (``sandbox.make_root``), the paths
of the host's services stay in a session's mount table: Docker's
``/var/run/docker.sock``, the user's D-Bus and systemd (``/run/user/*``),
an SSH or GPG agent. Through any of them a block could have the host run
what it likes, outside the sandbox. So a worker whose session declares no
network may not make a Unix-domain socket: ``socket(AF_UNIX, ...)`` fails with
``EACCES`` (``socketpair``, which asyncio uses, still works: its two ends
reach nothing else). A socket's buffers stay the system's default size
(``net.core.wmem_default``, 208 KiB): setting ``SO_SNDBUF`` or
``SO_RCVBUF`` succeeds and does nothing, as a socket sent in a message
(in flight: held by no process, so in no count of a session's memory)
could otherwise hold up to twice ``net.core.wmem_max`` of the kernel's
memory, 8 MiB on some systems, and a session may have 4,096 in flight.
``io_uring_setup`` fails too (io_uring can make and connect sockets without
the system calls a filter sees), and so does ``memfd_create`` (a memory
file sent in a message and closed is held by no process, so counted
nowhere; a file of the session's ``/tmp`` is counted wherever it goes),
and so do the system calls a kernel exploit reaches for and a block has no
use for (``REFUSED``), and those of another architecture's numbering (x86's
``int 0x80``, x32). A session that declares the network keeps Unix-domain
sockets (for servers of its own: the host's lie outside the sandbox's root,
where it has one); the rest of the filter holds for it too.
"""

import ctypes
import errno
import os
import struct

from .namespaces import KEYCTL_NUMBERS

# Each architecture handled: its audit number, and the numbers of the system
# calls the filter looks at (x86_64's own table; aarch64's is the generic one).
ARCHITECTURES = {
    "x86_64": (
        0xC000003E,
        {
            "socket": 41,
            "setsockopt": 54,
            "memfd_create": 319,
            "memfd_secret": 447,
            "io_uring_setup": 425,
            "userfaultfd": 323,
            "perf_event_open": 298,
            "bpf": 321,
            "add_key": 248,
            "request_key": 249,
            "keyctl": KEYCTL_NUMBERS["x86_64"],
            "init_module": 175,
            "finit_module": 313,
            "delete_module": 176,
            "kexec_load": 246,
            "kexec_file_load": 320,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "socket": 198,
            "setsockopt": 208,
            "memfd_create": 279,
            "memfd_secret": 447,
            "io_uring_setup": 425,
            "userfaultfd": 282,
            "perf_event_open": 241,
            "bpf": 280,
            "add_key": 217,
            "request_key": 218,
            "keyctl": KEYCTL_NUMBERS["aarch64"],
            "init_module": 105,
            "finit_module": 273,
            "delete_module": 106,
            "kexec_load": 104,
            "kexec_file_load": 294,
        },
    ),
}
# Refused outright: io_uring (it makes and connects sockets where a filter
# does not see it), memory files (one sent in a message and closed is held
# by no process, so in no count of the session's memory: 1.2 GB passed a
# 512 MiB limit so; a block's files go to its /tmp, which is counted), and
# what a block has no use for but a kernel exploit does (userfaultfd, BPF,
# perf events, the kernel keyring, modules, kexec).
REFUSED = (
    "io_uring_setup",
    "memfd_create",
    "memfd_secret",
    "userfaultfd",
    "perf_event_open",
    "bpf",
    "add_key",
    "request_key",
    "keyctl",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
)
X32_SYSCALL_BIT = 0x40000000
AF_UNIX = 1
SOL_SOCKET, SO_SNDBUF, SO_RCVBUF = 1, 7, 8

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
# classic BPF: load word absolute, jump if equal / greater or equal, return
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
# offsets in struct seccomp_data (little-endian: an argument's low word)
NR, ARCH, ARG0, ARG1, ARG2 = 0, 4, 16, 24, 32

_libc = ctypes.CDLL(None, use_errno=True)


class SeccompError(OSError):
    """The filter could not be installed (or not on this architecture)."""


def program(
    arch: int, numbers: dict[str, int], unix_sockets: bool = False
) -> list[tuple[int, int, int, int]]:
    """The filter, as (code, jump if true, jump if false, k); with
    ``unix_sockets`` (a session with the network), it allows them."""
    foreign = RET_ERRNO | errno.ENOSYS
    steps = [
        (LD_W_ABS, 0, 0, ARCH),
        (JEQ_K, 1, 0, arch),  # this architecture: go on
        (RET_K, 0, 0, foreign),
        (LD_W_ABS, 0, 0, NR),
        (JGE_K, 0, 1, X32_SYSCALL_BIT),  # (x32's numbers on x86_64)
        (RET_K, 0, 0, foreign),
    ]
    for name in REFUSED:
        steps += [(JEQ_K, 0, 1, numbers[name]), (RET_K, 0, 0, RET_ERRNO | errno.EPERM)]
    steps += [  # a socket's buffers stay as they are: "done", and nothing done
        (JEQ_K, 0, 6, numbers["setsockopt"]),
        (LD_W_ABS, 0, 0, ARG1),
        (JEQ_K, 0, 4, SOL_SOCKET),
        (LD_W_ABS, 0, 0, ARG2),
        (JEQ_K, 1, 0, SO_SNDBUF),
        (JEQ_K, 0, 1, SO_RCVBUF),
        (RET_K, 0, 0, RET_ERRNO | 0),
        (LD_W_ABS, 0, 0, NR),
    ]
    if unix_sockets:
        return [*steps, (RET_K, 0, 0, RET_ALLOW)]
    return [
        *steps,
        (JEQ_K, 0, 3, numbers["socket"]),
        (LD_W_ABS, 0, 0, ARG0),  # socket's family
        (JEQ_K, 0, 1, AF_UNIX),
        (RET_K, 0, 0, RET_ERRNO | errno.EACCES),
        (RET_K, 0, 0, RET_ALLOW),
    ]


def compiled(unix_sockets: bool = False) -> bytes:
    """The filter for this machine, as the kernel takes it."""
    machine = os.uname().machine
    if machine not in ARCHITECTURES:
        raise SeccompError(errno.ENOSYS, f"no filter for {machine}")
    steps = program(*ARCHITECTURES[machine], unix_sockets=unix_sockets)
    return b"".join(struct.pack("=HBBI", *step) for step in steps)


def install(code: bytes | None = None) -> None:
    """Install the filter (``compiled()``, made once by the caller) on this
    process and all it starts from now on."""
    code = compiled() if code is None else code
    filters = ctypes.create_string_buffer(code, len(code))
    fprog = struct.pack("=HxxxxxxQ", len(code) // 8, ctypes.addressof(filters))
    prog = ctypes.create_string_buffer(fprog, len(fprog))
    for args in (
        (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0),
        (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0),
    ):
        if _libc.prctl(*[ctypes.c_ulong(a) for a in args]) != 0:
            error = ctypes.get_errno()
            raise SeccompError(error, f"seccomp: {os.strerror(error)}")
