"""executable_blocks.verified: a trusted builder does not verify again the
entries it verified or wrote before, and nothing else gets past that way."""

import os

import pytest

from block_results import plain_result
from cloudcached import CorruptEntry
from executable_blocks.cache import ResultStore
from executable_blocks.entry_signature import EntrySigner
from executable_blocks.protocol import CacheEntry
from executable_blocks.signing_keys import generate
from executable_blocks.writeback import Writeback

KEY, OTHER = "ab" * 32, "cd" * 32


def entry(stdout="42\n") -> CacheEntry:
    return CacheEntry(plain_result(stdout), ())


@pytest.fixture
def verifications(monkeypatch) -> list[str]:
    """The keys of the entries verified with a public key, as they are."""
    seen, original = [], EntrySigner.open

    def counting(self, key, blob):
        seen.append(key)
        return original(self, key, blob)

    monkeypatch.setattr(EntrySigner, "open", counting)
    return seen


def store(tmp_path, **options) -> ResultStore:
    return ResultStore(tmp_path / "cache", tmp_path / "state", **options)


def test_entries_written_before_are_not_verified_again(tmp_path, verifications):
    writer = store(tmp_path)
    writer.put(KEY, entry())
    writer.save_verified()
    assert store(tmp_path).get(KEY) == entry()
    assert verifications == []


def test_entries_verified_once_are_not_verified_again(tmp_path, verifications):
    store(tmp_path).put(KEY, entry())  # no memo kept
    first = store(tmp_path)
    assert first.get(KEY) == entry()
    first.save_verified()
    assert store(tmp_path).get(KEY) == entry()
    assert verifications == [KEY]


def test_entries_the_writeback_wrote_are_not_verified_again(tmp_path, verifications):
    builder = store(tmp_path)
    builder.save_verified()
    writeback = Writeback(builder)
    writeback.add(KEY, entry())
    writeback.start()
    writeback.wait()
    assert store(tmp_path).get(KEY) == entry()
    assert verifications == []


def test_a_remembered_entry_moved_to_another_key_is_verified_and_refused(
    tmp_path, verifications
):
    writer = store(tmp_path)
    writer.put(KEY, entry("first"))
    writer.put(OTHER, entry("second"))
    writer.save_verified()
    backend = writer.client.backend
    stored = backend.read(KEY)
    backend.write(OTHER, stored.body, stored.meta, "any")
    with pytest.raises(CorruptEntry, match="signed for another key"):
        store(tmp_path).get(OTHER)
    assert verifications == [OTHER]


def test_tags_written_by_anyone_else_are_worth_nothing(tmp_path):
    writer = store(tmp_path)
    writer.put(KEY, entry())
    writer.save_verified()
    stranger = generate("stranger-1")
    forged = EntrySigner([], stranger).seal(KEY, b"not even a pickle")
    writer.client.put(KEY, forged, time_to_expire=0, replace=True)
    memo = writer.verified.path
    memo.write_bytes(memo.read_bytes() + os.urandom(32 * 100))
    with pytest.raises(CorruptEntry, match="a key this build does not trust"):
        store(tmp_path).get(KEY)


def test_trusting_other_keys_forgets_every_tag(tmp_path, monkeypatch, verifications):
    writer = store(tmp_path)
    writer.put(KEY, entry())
    writer.save_verified()
    monkeypatch.setenv("EXEC_CACHE_TRUSTED_KEYS", generate("new-ci-1").public.text())
    assert store(tmp_path).get(KEY) == entry()
    assert verifications == [KEY]


def test_a_read_only_build_verifies_every_entry(tmp_path, monkeypatch, verifications):
    writer = store(tmp_path)
    writer.put(KEY, entry())
    writer.save_verified()
    os.unlink(tmp_path / "state" / "cache-signing.key")  # the .pub stays
    reader = store(tmp_path, read_only=True)
    assert reader.verified is None
    assert reader.get(KEY) == entry()
    assert verifications == [KEY]


def test_the_memo_is_private(tmp_path):
    writer = store(tmp_path)
    writer.put(KEY, entry())
    writer.save_verified()
    assert writer.verified.path.stat().st_mode & 0o777 == 0o600


def test_a_state_directory_keeps_the_memos_of_its_latest_cache_locations(tmp_path):
    """One memo per cache location: a builder given a new location every
    time (a temporary cache in CI, a benchmark) left hundreds of them."""
    state, memos = tmp_path / "state", []
    for number in range(12):
        old = ResultStore(tmp_path / f"cache-{number}", state)
        old.put(KEY, entry())
        old.save_verified()
        memos.append(old.verified.path)
        os.utime(old.verified.path, (1_000_000 + number, 1_000_000 + number))
    latest = ResultStore(tmp_path / "cache-new", state)
    assert set(state.glob("verified-*")) == set(memos[-7:])  # (its own: not yet)
    latest.put(KEY, entry())
    latest.save_verified()
    assert set(state.glob("verified-*")) == {*memos[-7:], latest.verified.path}


def test_a_memo_read_counts_as_used_even_if_not_written_again(tmp_path):
    writer = store(tmp_path)
    writer.put(KEY, entry())
    writer.save_verified()
    os.utime(writer.verified.path, (1_000_000, 1_000_000))
    reader = store(tmp_path)
    assert reader.get(KEY) == entry()
    reader.save_verified()  # (the same tags: nothing to write)
    assert reader.verified.path.stat().st_mtime > 1_000_000
