"""Unit tests of executable_blocks.cache: keys, reasons, storage."""

import json
import os
from dataclasses import replace
from types import SimpleNamespace

import pytest

from block_results import plain_result
from cloudcached import CorruptEntry
from executable_blocks import cache as cache_module
from executable_blocks.blocks import Block
from executable_blocks.cache import (
    ResultStore,
    changed_dependency,
    environment_digest,
    key_parts,
    miss_reason,
)
from executable_blocks.errors import MalformedIndex
from executable_blocks.protocol import CacheEntry, Picture


def session(*codes, included=None):
    blocks = [
        Block("post.md", i * 10, i * 10 + 2, code, {"exec": "on"})
        for i, code in enumerate(codes)
    ]
    if included is not None:
        blocks[included].source_file = "content/code/mod.py"
        blocks[included].options = {"exec": "on", "include": "mod.py"}
    return blocks


def keys(blocks, env="env"):
    return [parts.key for parts in key_parts(blocks, env)]


def test_same_code_same_keys():
    assert keys(session("a = 1\n", "print(a)\n")) == keys(
        session("a = 1\n", "print(a)\n")
    )


def test_changing_a_block_changes_its_key_and_the_later_ones_only():
    before = keys(session("a = 1\n", "b = 2\n", "print(a)\n"))
    after = keys(session("a = 1\n", "b = 3\n", "print(a)\n"))
    assert before[0] == after[0]
    assert before[1] != after[1]
    assert before[2] != after[2]


def test_options_are_part_of_the_key():
    plain, timed = session("a = 1\n"), session("a = 1\n")
    timed[0].options["timeout"] = "5"
    assert keys(plain) != keys(timed)


def test_environment_is_part_of_every_key():
    blocks = session("a = 1\n")
    assert keys(blocks, "py3.11") != keys(blocks, "py3.12")


def test_without_a_lockfile_the_environment_digest_follows_the_installed_packages(
    monkeypatch,
):
    def installed(version):
        numpy = SimpleNamespace(metadata={"Name": "numpy", "Version": version})
        pelican = SimpleNamespace(metadata={"Name": "pelican", "Version": "4.12.0"})
        broken = SimpleNamespace(metadata={})  # (a dist-info without metadata)
        return lambda: [numpy, pelican, broken]

    monkeypatch.setattr(cache_module.metadata, "distributions", installed("2.3.0"))
    first = environment_digest(None)
    assert environment_digest(None) == first
    monkeypatch.setattr(cache_module.metadata, "distributions", installed("2.3.1"))
    assert environment_digest(None) != first


def test_environment_digest_follows_the_lockfile(tmp_path):
    lock = tmp_path / "uv.lock"
    lock.write_text("version = 1\n")
    first = environment_digest(lock)
    lock.write_text("version = 2\n")
    assert environment_digest(lock) != first


def test_reasons_name_what_changed():
    old = key_parts(session("a = 1\n", "print(a)\n"), "env")
    assert miss_reason(old[0], None) == "new"
    previous = {**old[1], "status": "ran"}
    assert miss_reason(
        key_parts(session("a = 1\n", "print(a)\n"), "env2")[1], previous
    ) == ("environment changed")
    assert miss_reason(
        key_parts(session("a = 1\n", "print(b)\n"), "env")[1], previous
    ) == ("code changed")
    assert miss_reason(
        key_parts(session("a = 2\n", "print(a)\n"), "env")[1], previous
    ) == ("an earlier block of its session changed")
    assert miss_reason(old[1], {**old[1], "status": "failed"}) == "failed last time"
    assert miss_reason(old[1], previous) == "not in the cache"


def test_include_content_is_its_own_part_of_the_key():
    first = key_parts(session("x = 1\n", "print(x)\n", included=0), "env")
    edited = key_parts(session("x = 2\n", "print(x)\n", included=0), "env")
    assert first[0]["code"] == edited[0]["code"]
    assert first[0].key != edited[0].key
    assert miss_reason(edited[0], {**first[0], "status": "ran"}) == "include changed"


RESULT = plain_result(
    "hi",
    figures=(Picture("png", 4, 3, b"\x89PNG\r\n\x1a\n\x00"),),
    seconds=0.25,
    tokens=(("nb", "print"), ("p", "()"), ("", "\n")),
)


def entry(**changes):
    return CacheEntry(replace(RESULT, **changes), ())


def test_entries_round_trip_with_binary_figures(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path)
    store.put("ab" * 32, entry())
    assert store.get("ab" * 32) == entry()
    assert not list(tmp_path.rglob("*.tmp"))


def test_missing_entries_are_misses(tmp_path):
    assert ResultStore(tmp_path / "cache", tmp_path).get("cd" * 32) is None


def test_an_entry_signed_by_another_builder_is_refused(tmp_path):
    ResultStore(tmp_path / "cache", tmp_path / "one").put("ef" * 32, entry())
    other = ResultStore(tmp_path / "cache", tmp_path / "two")
    with pytest.raises(CorruptEntry, match="a key this build does not trust"):
        other.get("ef" * 32)


def test_an_entry_of_a_builder_whose_key_is_trusted_is_accepted(tmp_path, monkeypatch):
    ResultStore(tmp_path / "cache", tmp_path / "one").put("ef" * 32, entry())
    public = (tmp_path / "one" / "cache-signing.pub").read_text()
    monkeypatch.setenv("EXEC_CACHE_TRUSTED_KEYS", public)
    assert ResultStore(tmp_path / "cache", tmp_path / "two").get("ef" * 32) == entry()


def test_an_entry_copied_under_another_key_is_refused(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path)
    store.put("ab" * 32, entry(stdout="the first block's"))
    stored = store.client.backend.read("ab" * 32)
    store.client.backend.write("cd" * 32, stored.body, stored.meta, "any")
    with pytest.raises(CorruptEntry, match="signed for another key"):
        store.get("cd" * 32)


def test_a_signed_entry_of_the_wrong_shape_is_refused(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path)
    store.put("ab" * 32, entry(stdout=42))
    with pytest.raises(CorruptEntry, match=r"the result\.stdout is an int"):
        store.get("ab" * 32)


def test_local_store_makes_its_key_file_private(tmp_path):
    ResultStore(tmp_path / "cache", tmp_path / "state")
    state = tmp_path / "state"
    assert (state / "cache-signing.key").stat().st_mode & 0o777 == 0o600
    assert (state / "cache-signing.pub").read_text().count(":") == 1
    assert state.stat().st_mode & 0o777 == 0o700


def test_read_only_store_writes_nothing_and_makes_no_key(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path / "state", read_only=True)
    store.put("12" * 32, entry())
    store.save_index({"post.md::main::0": {"code": "x"}})
    assert store.get("12" * 32) is None
    assert not (tmp_path / "cache").exists() and not (tmp_path / "state").exists()


def test_read_only_store_leaves_the_index_as_it_was(tmp_path):
    ResultStore(tmp_path / "cache", tmp_path / "state").save_index({"a": {}})
    index = tmp_path / "cache" / "index.json"
    os.utime(index, (1_000_000, 1_000_000))
    store = ResultStore(tmp_path / "cache", tmp_path / "state", read_only=True)
    assert store.load_index() == {"a": {}}
    assert index.stat().st_mtime == 1_000_000


@pytest.mark.parametrize(
    "text",
    ['{"post.md::main::0": {"code"', "[]", '{"post.md::main::0": 5}', "[" * 100_000],
    ids=["cut-short", "a-list", "parts-not-a-mapping", "nested-too-deeply"],
)
def test_a_malformed_index_is_said_naming_its_file(tmp_path, text):
    store = ResultStore(tmp_path / "cache", tmp_path)
    store.save_index({})
    (tmp_path / "cache" / "index.json").write_text(text)
    with pytest.raises(MalformedIndex, match="index.json"):
        store.load_index()


def test_index_round_trips_and_is_private(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path)
    assert store.load_index() == {}
    store.save_index({"post.md::main::0": {"code": "x"}})
    assert store.load_index() == {"post.md::main::0": {"code": "x"}}
    index = tmp_path / "cache" / "index.json"
    assert json.loads(index.read_text())
    assert index.stat().st_mode & 0o777 == 0o600


def test_changed_dependency_is_found(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("x = 1\n")
    from executable_blocks.cache import file_digest

    entry = CacheEntry(RESULT, ((str(module), file_digest(module)),))
    assert changed_dependency(entry) is None
    module.write_text("x = 2\n")
    assert changed_dependency(entry) == str(module)


def test_a_depended_file_is_part_of_the_key(tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("1\n")
    blocks = session("print(open(path).read())\n")
    blocks[0].depends = [str(data)]
    before = key_parts(blocks, "env")[0]
    data.write_text("2\n")
    after = key_parts(blocks, "env")[0]
    assert before.key != after.key
    assert miss_reason(after, {**before, "status": "ran"}) == "include changed"
