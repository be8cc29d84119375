"""cloudcached.backends and locations: atomic files, S3 names, URLs."""

import multiprocessing
import os
from pathlib import Path

from cloudcached import LocalBackend, S3Backend, backend_for


def test_location_picks_the_backend(tmp_path, s3):
    assert isinstance(backend_for(tmp_path), LocalBackend)
    backend = backend_for("s3://bucket/some/prefix", s3)
    assert isinstance(backend, S3Backend)
    assert (backend.bucket, backend.name("k")) == ("bucket", "some/prefix/k")
    assert backend_for("s3://bucket", s3).name("k") == "k"


def test_s3_objects_carry_the_metadata(s3, bucket):
    backend = S3Backend(s3, bucket, "p")
    backend.write("k", b"body", {"type": "bytes"}, "any")
    head = s3.head_object(Bucket=bucket, Key="p/k")
    assert head["Metadata"] == {"type": "bytes"}
    assert backend.read("missing") is None


def test_local_keys_become_safe_file_names(tmp_path):
    backend = LocalBackend(tmp_path)
    backend.write("../../etc/passwd", b"x", {}, "any")
    assert Path(backend.path("../../etc/passwd")).parent == tmp_path
    assert backend.read("../../etc/passwd").body == b"x"


def hammer(directory: str, number: int) -> None:
    backend = LocalBackend(directory)
    body = bytes([number]) * 200_000
    for _ in range(20):
        backend.write("shared", body, {"writer": str(number)}, "any")


def test_concurrent_writers_never_leave_half_an_entry(tmp_path):
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=hammer, args=(str(tmp_path), n)) for n in range(4)
    ]
    for writer in writers:
        writer.start()
    backend = LocalBackend(tmp_path)
    seen = 0
    while any(w.is_alive() for w in writers):
        stored = backend.read("shared")
        if stored:
            number = int(stored.meta["writer"])
            assert stored.body == bytes([number]) * 200_000
            seen += 1
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert seen and not list(tmp_path.glob(".*.tmp"))


def test_s3_failures_are_cache_errors(s3):
    import pytest

    from cloudcached import CacheError

    backend = S3Backend(s3, "no-such-bucket-for-this-test", "p")
    with pytest.raises(CacheError, match="S3 read of 'k' failed"):
        backend.read("k")
    with pytest.raises(CacheError, match="S3 write of 'k' failed"):
        backend.write("k", b"x", {}, "any")


def test_a_private_directory_keeps_its_entries_from_other_users(tmp_path):
    backend = LocalBackend(tmp_path / "private" / "cache", private=True)
    backend.write("k", b"x", {}, "any")
    backend.write("new", b"y", {}, "absent")
    assert (tmp_path / "private" / "cache").stat().st_mode & 0o777 == 0o700
    for name in ("k", "new"):
        assert Path(backend.path(name)).stat().st_mode & 0o777 == 0o600


def test_a_private_backend_narrows_a_directory_that_was_open(tmp_path):
    (tmp_path / "cache").mkdir(mode=0o755)
    (tmp_path / "cache").chmod(0o755)
    LocalBackend(tmp_path / "cache", private=True).write("k", b"x", {}, "any")
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700


def test_a_shared_backend_leaves_modes_to_the_umask(tmp_path):
    backend = LocalBackend(tmp_path / "cache")
    backend.write("k", b"x", {}, "any")
    umask = os.umask(0)
    os.umask(umask)
    assert Path(backend.path("k")).stat().st_mode & 0o777 == 0o666 & ~umask
