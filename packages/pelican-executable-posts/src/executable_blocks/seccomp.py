"""No Unix-domain sockets for a post's code, unless it declares the network.

Connecting to a socket by its path is not something Landlock governs, and
the paths of the host's services stay in a session's mount table: Docker's
``/var/run/docker.sock``, the user's D-Bus and systemd (``/run/user/*``),
an SSH or GPG agent. Through any of them a block could have the host run
what it likes, outside the sandbox. So a worker whose session declares no
network may not make a Unix-domain socket: ``socket(AF_UNIX, ...)`` fails with
``EACCES`` (``socketpair``, which asyncio uses, still works: its two ends
reach nothing else), and so does ``io_uring_setup`` (io_uring can make and
connect sockets without the system calls a filter sees). System calls of
another architecture's numbering (x86's ``int 0x80``, x32) are refused.
"""

import ctypes
import errno
import os
import struct

# (audit architecture, socket's number) for each architecture handled
ARCHITECTURES = {
    "x86_64": (0xC000003E, 41),
    "aarch64": (0xC00000B7, 198),
}
IO_URING_SETUP = 425  # the same everywhere (added after the tables merged)
X32_SYSCALL_BIT = 0x40000000
AF_UNIX = 1

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
# classic BPF: load word absolute, jump if equal / greater or equal, return
LD_W_ABS, JEQ_K, JGE_K, RET_K = 0x20, 0x15, 0x35, 0x06
NR, ARCH, ARG0 = 0, 4, 16  # offsets in struct seccomp_data (little-endian)

_libc = ctypes.CDLL(None, use_errno=True)


class SeccompError(OSError):
    """The filter could not be installed (or not on this architecture)."""


def program(arch: int, socket_nr: int) -> list[tuple[int, int, int, int]]:
    """The filter, as (code, jump if true, jump if false, k)."""
    refuse = RET_ERRNO | errno.EACCES
    foreign = RET_ERRNO | errno.ENOSYS
    return [
        (LD_W_ABS, 0, 0, ARCH),
        (JEQ_K, 1, 0, arch),  # this architecture: go on
        (RET_K, 0, 0, foreign),
        (LD_W_ABS, 0, 0, NR),
        (JGE_K, 0, 1, X32_SYSCALL_BIT),  # (x32's numbers on x86_64)
        (RET_K, 0, 0, foreign),
        (JEQ_K, 0, 1, IO_URING_SETUP),
        (RET_K, 0, 0, refuse),
        (JEQ_K, 0, 3, socket_nr),
        (LD_W_ABS, 0, 0, ARG0),  # socket's family
        (JEQ_K, 0, 1, AF_UNIX),
        (RET_K, 0, 0, refuse),
        (RET_K, 0, 0, RET_ALLOW),
    ]


def compiled() -> bytes:
    """The filter for this machine, as the kernel takes it."""
    machine = os.uname().machine
    if machine not in ARCHITECTURES:
        raise SeccompError(errno.ENOSYS, f"no filter for {machine}")
    steps = program(*ARCHITECTURES[machine])
    return b"".join(struct.pack("=HBBI", *step) for step in steps)


def refuse_unix_sockets(code: bytes | None = None) -> None:
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
