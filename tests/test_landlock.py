"""Landlock, for real, in forked children: what a rule allows, and nothing else."""

import errno

import pytest

from executable_blocks import landlock
from forked import in_child

ABI = landlock.abi_version()
pytestmark = pytest.mark.skipif(not ABI, reason="the kernel has no Landlock")


def attempt(action) -> str:
    try:
        action()
        return "allowed"
    except OSError as error:
        return errno.errorcode[error.errno]


def test_reading_is_allowed_only_beneath_read_paths(tmp_path):
    allowed, other = tmp_path / "allowed", tmp_path / "other"
    for folder in (allowed, other):
        folder.mkdir()
        (folder / "file.txt").write_text("text")

    def child():
        landlock.restrict([str(allowed)], [], ABI)
        return [
            attempt(lambda: open(allowed / "file.txt").read()),
            attempt(lambda: open(other / "file.txt").read()),
            attempt(lambda: open(allowed / "new.txt", "w")),
        ]

    assert in_child(child) == ["allowed", "EACCES", "EACCES"]


def test_writing_is_allowed_beneath_write_paths(tmp_path):
    def child():
        landlock.restrict([], [str(tmp_path)], ABI)
        (tmp_path / "made" / "deep").mkdir(parents=True)
        (tmp_path / "made" / "deep" / "file").write_text("x")
        return attempt(lambda: open("/etc/hostname").read())

    assert in_child(child) == "EACCES"
    assert (tmp_path / "made" / "deep" / "file").read_text() == "x"


def test_a_file_rule_gives_file_rights_only(tmp_path):
    target = tmp_path / "only.txt"
    target.write_text("x")

    def child():
        landlock.Rules([str(target)], [], ABI).restrict()
        return attempt(lambda: open(target).read()), attempt(
            lambda: open(tmp_path / "other", "w")
        )

    assert in_child(child) == ("allowed", "EACCES")


def test_missing_paths_are_skipped(tmp_path):
    def child():
        landlock.restrict([str(tmp_path / "missing"), str(tmp_path)], [], ABI)
        return attempt(lambda: list(tmp_path.iterdir()))

    assert in_child(child) == "allowed"


def test_the_restriction_reaches_the_processes_it_starts(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("x")

    def child():
        import subprocess

        landlock.restrict(["/usr", "/bin", "/lib", "/lib64", "/etc"], [], ABI)
        return subprocess.run(["/bin/cat", str(secret)], capture_output=True).returncode

    assert in_child(child) != 0


@pytest.mark.skipif(ABI < 6, reason="signal scoping needs Landlock ABI 6")
def test_a_restricted_process_cannot_signal_outside_itself():
    import os
    import signal

    parent = os.getpid()

    def child():
        landlock.restrict(["/usr"], [], ABI)
        return attempt(lambda: os.kill(parent, signal.SIGUSR1))

    assert in_child(child) == "EPERM"
