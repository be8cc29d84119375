"""Namespaces an unprivileged process makes, for real, in forked children."""

import os
import socket

import pytest

from executable_blocks import namespaces
from forked import in_child


def user_namespaces_work() -> bool:
    def child():
        namespaces.enter_user_namespace(0)
        return True

    try:
        return in_child(child)
    except OSError:
        return False


pytestmark = pytest.mark.skipif(
    not user_namespaces_work(), reason="the kernel refuses user namespaces"
)


def test_in_a_user_namespace_the_process_is_root_of_nothing_else():
    outside = os.geteuid()

    def child():
        namespaces.enter_user_namespace(namespaces.NEWNS)
        with open("/proc/self/uid_map") as file:
            return os.geteuid(), file.read().split()

    assert in_child(child) == (0, ["0", str(outside), "1"])


def test_a_network_namespace_has_a_working_loopback_and_nothing_else():
    with socket.create_server(("127.0.0.1", 0)) as host_server:
        port = host_server.getsockname()[1]

        def child():
            namespaces.enter_user_namespace(namespaces.NEWNET)
            namespaces.loopback_up()
            own = socket.create_server(("127.0.0.1", port))  # the host's is taken
            socket.create_connection(own.getsockname(), timeout=2).close()
            own.close()
            return sorted(name for _, name in socket.if_nameindex())

        assert in_child(child) == ["lo"]


def test_a_private_tmp_is_empty_and_leaves_the_hosts_alone(tmp_path):
    marker = tmp_path / "host-file"
    marker.write_text("x")

    def child():
        namespaces.enter_user_namespace(namespaces.NEWNS)
        namespaces.mount("none", "/", None, namespaces.MS_REC | namespaces.MS_PRIVATE)
        namespaces.mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m")
        open("/tmp/made-inside", "w").close()
        return os.listdir("/tmp")

    assert in_child(child) == ["made-inside"]
    assert marker.exists() and not os.path.exists("/tmp/made-inside")


def test_a_refused_mount_names_its_target():
    def child():
        namespaces.mount("tmpfs", "/nonexistent-target", "tmpfs", 0)

    with pytest.raises(namespaces.NamespaceError, match="mount /nonexistent-target"):
        in_child(child)
