"""Landlock: an unprivileged process gives up file access it does not need.

A worker, once forked, lists what its session may read (the system, Python,
the project's code) and where it may write (its scratch directory, its
``/tmp``), then restricts itself: from then on the kernel refuses every other
path to it and to every process it starts, whatever their user ID. With ABI 6
and later the session also cannot signal, or reach the abstract Unix sockets
of, processes outside it.

Linux only (5.13 and later), through ``ctypes``: Python has no binding.
"""

import ctypes
import os
import stat
import struct

CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1

EXECUTE = 1 << 0
WRITE_FILE = 1 << 1
READ_FILE = 1 << 2
READ_DIR = 1 << 3
REMOVE_DIR = 1 << 4
REMOVE_FILE = 1 << 5
MAKE_CHAR = 1 << 6
MAKE_DIR = 1 << 7
MAKE_REG = 1 << 8
MAKE_SOCK = 1 << 9
MAKE_FIFO = 1 << 10
MAKE_BLOCK = 1 << 11
MAKE_SYM = 1 << 12
REFER = 1 << 13  # ABI 2
TRUNCATE = 1 << 14  # ABI 3
IOCTL_DEV = 1 << 15  # ABI 5
SCOPE_ABSTRACT_UNIX_SOCKET = 1 << 0  # ABI 6
SCOPE_SIGNAL = 1 << 1  # ABI 6

# Rights a rule on a file (not a directory) may carry.
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV
READ = EXECUTE | READ_FILE | READ_DIR
PR_SET_NO_NEW_PRIVS = 38

# The same numbers on every architecture (added after the tables merged).
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
RULESET_ATTR = struct.Struct("=QQQ")  # handled fs, handled net (4), scoped (6)
PATH_BENEATH = struct.Struct("=Qi")  # packed: allowed access, parent fd

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class LandlockError(OSError):
    """Landlock is missing, or refused a rule."""


def _call(number: int, *arguments) -> int:
    result = _libc.syscall(number, *arguments)
    if result < 0:
        error = ctypes.get_errno()
        raise LandlockError(error, os.strerror(error))
    return result


def abi_version() -> int:
    """The kernel's Landlock ABI, 0 where it has none (or it is turned off)."""
    try:
        return _call(
            SYS_CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION
        )
    except (LandlockError, AttributeError):
        return 0


def handled_rights(abi: int) -> int:
    """Every file-system right this ABI knows, so all of them are refused
    unless a rule grants them."""
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= REFER
    if abi >= 3:
        rights |= TRUNCATE
    if abi >= 5:
        rights |= IOCTL_DEV
    return rights


class Rules:
    """Rules prepared once (in the zygote), from which each worker makes its
    ruleset and restricts itself cheaply: the paths are opened here, so a
    worker makes no path lookup for them, only a system call a rule.

    ``read``: reading (and executing) beneath; ``write``: everything
    beneath. Paths that do not exist are skipped; a file gets the file
    rights only. (Rules hold to inodes: a directory that a worker mounts on
    later needs a rule of its own, made after the mount.)
    """

    def __init__(self, read: list[str], write: list[str], abi: int):
        self.abi = abi
        self.handled = handled_rights(abi)
        scoped = SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0
        self.size = RULESET_ATTR.size if abi >= 6 else 16 if abi >= 4 else 8
        self.attr = ctypes.create_string_buffer(
            RULESET_ATTR.pack(self.handled, 0, scoped), self.size
        )
        self.held: list[int] = []
        self.rules = []  # packed path_beneath_attr, one per opened path
        for paths, rights in ((read, READ), (write, self.handled)):
            for path in dict.fromkeys(paths):
                fd, granted = _open(path, rights & self.handled)
                if fd is not None:
                    self.held.append(fd)
                    self.rules.append(_rule(granted, fd))

    def restrict(self, read: list[str] = (), write: list[str] = ()) -> None:
        """Restrict this process (and all it starts) to the rules, and to
        ``read`` and ``write`` beneath these paths too; then close what the
        rules held, so nothing the process runs inherits it."""
        ruleset = _call(SYS_CREATE_RULESET, self.attr, ctypes.c_size_t(self.size), 0)
        try:
            for rule in self.rules:
                _call(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, rule, 0)
            for paths, rights in ((read, READ), (write, self.handled)):
                for path in paths:
                    fd, granted = _open(path, rights & self.handled)
                    if fd is not None:
                        try:
                            rule = _rule(granted, fd)
                            _call(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, rule, 0)
                        finally:
                            os.close(fd)
            _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
            _call(SYS_RESTRICT_SELF, ruleset, 0)
        finally:
            os.close(ruleset)
            for fd in self.held:
                os.close(fd)
            self.held = []


def restrict(read: list[str], write: list[str], abi: int) -> None:
    """Make the rules and restrict this process to them at once."""
    Rules(read, write, abi).restrict()


def _open(path: str, rights: int) -> tuple[int | None, int]:
    """``path`` opened for a rule, and the rights it can carry."""
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return None, 0
    if not stat.S_ISDIR(os.fstat(fd).st_mode):
        rights &= FILE_RIGHTS
    return fd, rights


def _rule(rights: int, fd: int):
    return ctypes.create_string_buffer(PATH_BENEATH.pack(rights, fd), PATH_BENEATH.size)
