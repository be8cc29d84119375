"""cloudcached.backends and locations: atomic files, S3 names, URLs."""

import multiprocessing
import os
from pathlib import Path

import pytest

from cloudcached import CacheError, LocalBackend, S3Backend, Stored, backend_for


def test_location_picks_the_backend(tmp_path, s3):
    assert isinstance(backend_for(tmp_path), LocalBackend)
    backend = backend_for("s3://bucket/some/prefix", s3)
    assert isinstance(backend, S3Backend)
    assert (backend.bucket, backend.name("k")) == ("bucket", "some/prefix/k")
    assert backend_for("s3://bucket", s3).name("k") == "k"


def test_s3_objects_hold_a_metadata_line_then_the_body(s3, bucket):
    backend = S3Backend(s3, bucket, "p")
    backend.write("k", b"body", {"type": "bytes"}, "any")
    stored = s3.get_object(Bucket=bucket, Key="p/k")
    assert stored["Body"].read() == b'{"type": "bytes"}\nbody'
    assert backend.read("k") == Stored(b"body", {"type": "bytes"})
    assert backend.read("k").version == stored["ETag"]
    assert backend.read("missing") is None


def test_a_match_write_replaces_only_the_version_it_read(backend):
    backend.write("k", b"first", {}, "any")
    first = backend.read("k")
    assert backend.write("k", b"second", {}, "match", first.version) is True
    assert backend.write("k", b"third", {}, "match", first.version) is False
    assert backend.read("k").body == b"second"


def test_a_match_write_does_not_bring_back_a_deleted_entry(backend):
    backend.write("k", b"first", {}, "any")
    first = backend.read("k")
    assert backend.delete("k") is True
    assert backend.write("k", b"second", {}, "match", first.version) is False
    assert backend.read("k") is None


def test_a_version_changes_when_only_the_metadata_does(backend):
    backend.write("k", b"same body", {"expires": "1.0"}, "any")
    first = backend.read("k")
    backend.write("k", b"same body", {"expires": "2.0"}, "any")
    assert backend.read("k").version != first.version
    assert backend.write("k", b"other", {}, "match", first.version) is False
    assert backend.read("k").meta == {"expires": "2.0"}


def test_a_create_only_write_loses_to_an_existing_entry(backend):
    assert backend.write("k", b"a", {}, "absent") is True
    assert backend.write("k", b"b", {}, "absent") is False
    assert backend.read("k").body == b"a"


@pytest.mark.parametrize(
    "mode, version", [("present", None), ("match", None), ("any", "v")]
)
def test_a_write_mode_the_docs_do_not_describe_is_refused(backend, mode, version):
    with pytest.raises(ValueError, match="is not one of"):
        backend.write("k", b"x", {}, mode, version)
    assert backend.read("k") is None


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


def increment(directory: str, times: int) -> None:
    """Add 1 to the counter ``times`` times, each a read and a match write,
    read again when another process's write came in between."""
    backend = LocalBackend(directory)
    for _ in range(times):
        while True:
            stored = backend.read("counter")
            count = int(stored.body) + 1
            if backend.write("counter", b"%d" % count, {}, "match", stored.version):
                break


def test_concurrent_match_writes_lose_no_increment(tmp_path):
    LocalBackend(tmp_path).write("counter", b"0", {}, "any")
    context = multiprocessing.get_context("fork")
    writers = [
        context.Process(target=increment, args=(str(tmp_path), 100)) for _ in range(4)
    ]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert LocalBackend(tmp_path).read("counter").body == b"400"
    assert sorted(os.listdir(tmp_path)) == ["counter"]


def test_s3_failures_are_cache_errors(s3):
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
