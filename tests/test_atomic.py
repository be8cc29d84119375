"""executable_blocks.atomic: a file is written whole or not at all, with the
mode asked for whatever the umask."""

import os
import stat

import pytest

from executable_blocks.atomic import write_atomically


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_file_is_replaced_whole_with_its_mode(tmp_path):
    path = tmp_path / "index.json"
    path.write_text("old")
    old_umask = os.umask(0o077)
    try:
        write_atomically(path, "new")
        write_atomically(tmp_path / "key.pub", b"public\n", 0o644)
    finally:
        os.umask(old_umask)
    assert path.read_text() == "new" and mode(path) == 0o600
    assert mode(tmp_path / "key.pub") == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.json", "key.pub"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "memo"
    path.write_bytes(b"old")

    def failing(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="disk full"):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["memo"]
