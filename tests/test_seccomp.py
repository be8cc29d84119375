"""executable_blocks.seccomp: no Unix-domain socket, and no io_uring, for a
process under the filter; everything else as before."""

import ctypes
import errno
import os
import socket

import pytest

from executable_blocks import seccomp
from forked import in_child

pytestmark = pytest.mark.skipif(
    os.uname().machine not in seccomp.ARCHITECTURES, reason="a filter for here"
)


def under_the_filter(action):
    def run():
        seccomp.install()
        return action()

    return in_child(run)


def refused(action) -> int | None:
    try:
        action()
    except OSError as error:
        return error.errno
    return None


def test_a_unix_socket_is_refused():
    assert under_the_filter(lambda: refused(lambda: socket.socket(socket.AF_UNIX)))
    assert (
        under_the_filter(
            lambda: refused(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
        )
        == errno.EACCES
    )


def system_call(name: str, *arguments) -> int:
    """The errno of system call ``name`` (0: it worked)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    numbers = seccomp.ARCHITECTURES[os.uname().machine][1]
    result = libc.syscall(numbers[name], *arguments)
    return ctypes.get_errno() if result < 0 else 0


@pytest.mark.parametrize(
    ("name", "arguments"),
    [
        ("io_uring_setup", (8, ctypes.create_string_buffer(120))),
        ("userfaultfd", (0,)),
        ("bpf", (0, None, 0)),
        ("perf_event_open", (None, 0, -1, -1, 0)),
        ("keyctl", (0, -3)),  # KEYCTL_GET_KEYRING_ID of the session's keyring
    ],
)
def test_what_a_kernel_exploit_reaches_for_is_refused(name, arguments):
    assert under_the_filter(lambda: system_call(name, *arguments)) == errno.EPERM


def test_other_sockets_and_socketpairs_work():
    def others() -> list:
        pair = socket.socketpair()
        pair[0].sendall(b"x")
        with socket.socket(socket.AF_INET) as tcp, socket.socket(socket.AF_INET6):
            tcp.bind(("127.0.0.1", 0))
        return [pair[1].recv(1)]

    assert under_the_filter(others) == [b"x"]


def test_the_filter_of_a_session_with_the_network_keeps_unix_sockets():
    def run():
        seccomp.install(seccomp.compiled(unix_sockets=True))
        socket.socket(socket.AF_UNIX).close()
        return system_call("keyctl", 0, -3)

    assert in_child(run) == errno.EPERM


def buffers_after_asking_for_more() -> list:
    """Each buffer's size before and after asking for 4 MiB, and whether
    another option still takes."""
    sizes = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        for option in socket.SO_SNDBUF, socket.SO_RCVBUF:
            before = sock.getsockopt(socket.SOL_SOCKET, option)
            sock.setsockopt(socket.SOL_SOCKET, option, 4 << 20)
            sizes.append((before, sock.getsockopt(socket.SOL_SOCKET, option)))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        kept = sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE)
    return [sizes, kept]


def test_a_sockets_buffers_stay_their_default_size():
    """Asking succeeds and does nothing: a socket in flight (held by no
    process) is in no count of a session's memory, and could hold up to
    twice net.core.wmem_max."""
    sizes, kept = under_the_filter(buffers_after_asking_for_more)
    assert all(after == before for before, after in sizes)
    assert kept == 1
    unfiltered, _ = in_child(buffers_after_asking_for_more)
    assert all(after != before for before, after in unfiltered)  # (it can change)


def test_a_session_with_the_network_keeps_its_sockets_buffers_too():
    def run():
        seccomp.install(seccomp.compiled(unix_sockets=True))
        return buffers_after_asking_for_more()

    sizes, _ = in_child(run)
    assert all(after == before for before, after in sizes)


def test_a_memory_file_is_refused():
    """One sent in a message and closed is held by no process, so in no
    count of a session's memory."""
    assert under_the_filter(lambda: refused(lambda: os.memfd_create("m"))) == (
        errno.EPERM
    )
    assert in_child(lambda: refused(lambda: os.close(os.memfd_create("m")))) is None
