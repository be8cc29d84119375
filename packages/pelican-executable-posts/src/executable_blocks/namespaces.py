"""Linux namespaces for an unprivileged process, through ``ctypes``.

A user namespace makes the process root over namespaces of its own and
nothing else: its own mount table (a private ``/tmp``, a ``/proc`` that shows
only its processes), its own network (a loopback and nothing more) and its
own process IDs (when the first process of a PID namespace ends, the kernel
kills every other process in it, daemonised or not).
"""

import ctypes
import errno
import os
import struct

NEWNS = 0x00020000
NEWUSER = 0x10000000
NEWNET = 0x40000000
NEWIPC = 0x08000000
NEWPID = 0x20000000

MS_NOSUID, MS_NODEV, MS_NOEXEC = 0x2, 0x4, 0x8
MS_REC, MS_PRIVATE = 0x4000, 1 << 18
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
PR_CAPBSET_DROP, PR_SET_SECUREBITS = 24, 28
# Root gains no capability by running a program, nor by a change of user,
# and none may be raised as ambient; each locked (securebits.h).
NO_ROOT_PRIVILEGE = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
CAPABILITY_VERSION_3 = 0x20080522
KEYCTL_JOIN_SESSION_KEYRING = 1
# keyctl's number differs between architectures (it predates the common
# table); seccomp.py's tables take theirs from here
KEYCTL_NUMBERS = {
    "x86_64": 250,
    "aarch64": 219,
    "riscv64": 219,
    "ppc64le": 271,
    "s390x": 280,
    "i686": 288,
    "armv7l": 311,
}
SYS_KEYCTL = KEYCTL_NUMBERS.get(os.uname().machine)
# pivot_root has no C library wrapper, and its number differs too
PIVOT_ROOT_NUMBERS = {
    "x86_64": 155,
    "aarch64": 41,
    "riscv64": 41,
    "ppc64le": 203,
    "s390x": 217,
    "i686": 217,
    "armv7l": 218,
}
SYS_PIVOT_ROOT = PIVOT_ROOT_NUMBERS.get(os.uname().machine)
MNT_DETACH = 2
SYS_MOUNT_SETATTR = 442  # (the same on every architecture: added after they merged)
AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = -100, 0x8000, 0x1
MOUNT_ATTR = struct.Struct("=QQQQ")  # set, clear, propagation, user namespace
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class NamespaceError(OSError):
    """The kernel refused a namespace, a mount or an ID map."""


def _check(result: int, what: str) -> int:
    if result < 0:
        error = ctypes.get_errno()
        raise NamespaceError(error, f"{what}: {os.strerror(error)}")
    return result


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def setns(fd: int, kind: int) -> None:
    _check(_libc.setns(fd, kind), "setns")


def mount(source: str, target: str, kind: str | None, flags: int, data: str = ""):
    result = _libc.mount(
        source.encode(),
        target.encode(),
        kind.encode() if kind else None,
        flags,
        data.encode() if data else None,
    )
    if result < 0:
        _check(result, f"mount {target}")


def pivot_root(new_root: str, put_old: str) -> None:
    if SYS_PIVOT_ROOT is None:
        raise NamespaceError(0, f"no pivot_root known on {os.uname().machine}")
    result = _libc.syscall(SYS_PIVOT_ROOT, new_root.encode(), put_old.encode())
    _check(result, "pivot_root")


def umount(target: str, flags: int = 0) -> None:
    _check(_libc.umount2(target.encode(), flags), f"umount {target}")


def bound_capabilities() -> None:
    """Empty the bounding set and keep root from gaining capabilities at
    ``execve`` (what ``drop_capabilities`` takes cannot come back). Where
    this process may not (it holds no ``CAP_SETPCAP``), it holds no
    capability to bound either."""
    try:
        for number in range(64):
            try:
                prctl(PR_CAPBSET_DROP, number)
            except NamespaceError as error:
                if error.errno == errno.EINVAL:  # past the last the kernel knows
                    break
                raise
        prctl(PR_SET_SECUREBITS, NO_ROOT_PRIVILEGE)
    except NamespaceError as error:
        if error.errno != errno.EPERM:
            raise


def drop_capabilities() -> None:
    """Give up every capability this process holds (effective, permitted,
    inheritable; ambient ones go with them)."""
    header = struct.pack("=Ii", CAPABILITY_VERSION_3, 0)
    _check(_libc.capset(header, bytes(24)), "capset")


def allow_no_user_namespaces() -> None:
    """Let no process of this user namespace make one of its own, in which
    it would hold every capability again (the limit is this namespace's:
    Linux 4.9 and later)."""
    with open("/proc/sys/user/max_user_namespaces", "w") as limit:
        limit.write("0")


# What the kernel lets each user have of these (/proc/sys/fs/...), and the
# same limit for the processes of this user namespace (/proc/sys/user/...).
USER_BUDGETS = {
    "inotify/max_user_instances": "max_inotify_instances",
    "inotify/max_user_watches": "max_inotify_watches",
    "fanotify/max_user_groups": "max_fanotify_groups",
    "fanotify/max_user_marks": "max_fanotify_marks",
}


def leave_the_user_most_of_its_budgets(share: int = 4) -> None:
    """Let the processes of this user namespace have at most a ``share``th
    of what the kernel lets their user have of inotify and fanotify
    (counted for that user in every namespace, the host's too): a session
    that took all 128 of its inotify instances left the builder's user, and
    every program of it on the machine, none while it ran. Limits the
    kernel does not have (before Linux 5.7, fanotify's) are left alone."""
    for budget, limit in USER_BUDGETS.items():
        try:
            with open(f"/proc/sys/fs/{budget}") as file:
                allowed = int(file.read())
            with open(f"/proc/sys/user/{limit}", "w") as file:
                file.write(str(max(1, allowed // share)))
        except FileNotFoundError:
            continue


def can_make_read_only() -> bool:
    """Whether the kernel has ``mount_setattr`` (Linux 5.12), without which
    ``read_only_beneath`` can do nothing: asked with arguments it refuses
    (EBADF, EINVAL) unless it does not know the call (ENOSYS)."""
    result = _libc.syscall(SYS_MOUNT_SETATTR, -1, b"", 0, None, 0)
    return not (result < 0 and ctypes.get_errno() == errno.ENOSYS)


def read_only_beneath(path: str) -> bool:
    """Make the mount at ``path`` and every mount beneath it read-only
    (False: the kernel cannot, being older than Linux 5.12)."""
    attributes = ctypes.create_string_buffer(
        MOUNT_ATTR.pack(MOUNT_ATTR_RDONLY, 0, 0, 0)
    )
    result = _libc.syscall(
        SYS_MOUNT_SETATTR,
        AT_FDCWD,
        path.encode(),
        AT_RECURSIVE,
        attributes,
        MOUNT_ATTR.size,
    )
    if result < 0 and ctypes.get_errno() == errno.ENOSYS:
        return False
    _check(result, f"mount_setattr {path}")
    return True


def new_session_keyring() -> None:
    """Leave the session keyring this process inherited for a new, empty one
    (the builder's may hold secrets: a Kerberos ticket, a key a tool keeps
    there), so that it and all it starts hold none of the keys in it."""
    if SYS_KEYCTL is None:
        raise NamespaceError(0, f"no keyctl system call known on {os.uname().machine}")
    _check(_libc.syscall(SYS_KEYCTL, KEYCTL_JOIN_SESSION_KEYRING, None), "keyctl")


def prctl(option: int, value: int) -> None:
    _check(_libc.prctl(option, value, 0, 0, 0), "prctl")


def enter_user_namespace(flags: int) -> None:
    """Unshare ``flags`` with a new user namespace in which this process's
    user and group are root (and no other ID exists)."""
    uid, gid = os.geteuid(), os.getegid()
    unshare(NEWUSER | flags)
    for name, text in (
        ("setgroups", "deny"),
        ("uid_map", f"0 {uid} 1"),
        ("gid_map", f"0 {gid} 1"),
    ):
        with open(f"/proc/self/{name}", "w") as file:
            file.write(text)


def loopback_up() -> None:
    """Bring up ``lo`` in this (new) network namespace: the loopback works,
    and nothing else is there."""
    import socket  # (in the one process that makes the network namespace)

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack_from("16sH", _ioctl(sock, SIOCGIFFLAGS, request))[1]
        _ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH22x", b"lo", flags | IFF_UP))


def _ioctl(sock, request: int, data: bytes) -> bytes:
    import fcntl

    return fcntl.ioctl(sock.fileno(), request, data)
