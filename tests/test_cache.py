"""Unit tests of executable_posts.cache: keys, reasons, storage."""

import json

from executable_posts.blocks import Block
from executable_posts.cache import (
    LocalCache,
    changed_dependency,
    decode,
    encode,
    environment_digest,
    key_parts,
    miss_reason,
)


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


def test_entries_round_trip_with_binary_figures(tmp_path):
    cache = LocalCache(tmp_path)
    result = {"stdout": "hi", "figures": [{"format": "png", "data": b"\x89PNG\x00"}]}
    cache.put("ab" * 32, {"result": encode(result)})
    assert decode(cache.get("ab" * 32)["result"]) == {**result, "animations": []}
    assert not list(tmp_path.rglob("*.tmp"))


def test_missing_or_damaged_entries_are_misses(tmp_path):
    cache = LocalCache(tmp_path)
    assert cache.get("cd" * 32) is None
    cache.entry_path("cd" * 32).parent.mkdir(parents=True)
    cache.entry_path("cd" * 32).write_text('{"result": ')
    assert cache.get("cd" * 32) is None


def test_index_round_trips(tmp_path):
    cache = LocalCache(tmp_path)
    assert cache.load_index() == {}
    cache.save_index({"post.md::main::0": {"code": "x"}})
    assert cache.load_index() == {"post.md::main::0": {"code": "x"}}
    assert json.loads((tmp_path / "index.json").read_text())


def test_changed_dependency_is_found(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("x = 1\n")
    from executable_posts.cache import file_digest

    entry = {"dependencies": {str(module): file_digest(module)}}
    assert changed_dependency(entry) is None
    module.write_text("x = 2\n")
    assert changed_dependency(entry) == str(module)
