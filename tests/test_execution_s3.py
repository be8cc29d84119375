"""The execution cache shared on S3 (moto's standalone server, over HTTP):
builders reuse each other's results, and refuse what no trusted key signed."""

import os
import pickle

from cloudcached import Client, S3Backend
from executable_blocks.cache import ResultStore
from executable_blocks.entry_signature import EntrySigner
from executable_blocks.signing_keys import generate
from helpers import build_site, report_of, write_site

TEAM = generate("ci.null-disquisition-1")  # the key CI's trusted builds share
POSTS = {
    "one": '```python exec="on"\nx = 6 * 7\n```\n\n'
    '```python exec="on"\nprint(x)\n```\n',
    "two": '```python exec="on"\nprint("two")\n```\n',
}


class Exploit:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def trusted(key=TEAM) -> dict:
    """The environment of a trusted build (CI on main)."""
    return {"EXEC_CACHE_SIGNING_KEY": key.text()}


def untrusted(*keys) -> dict:
    """The environment of a build of someone else's change."""
    trusted_keys = " ".join(key.public.text() for key in keys)
    return {"EXEC_CACHE_READONLY": "1", "EXEC_CACHE_TRUSTED_KEYS": trusted_keys}


def build(tmp_path, content, s3_env, bucket, name, env):
    """A build with its own local state directory, caching on S3."""
    output = tmp_path / name
    env = {**s3_env, "EXEC_STATE_DIR": str(tmp_path / f"{name}-state"), **env}
    result = build_site(content, output, f"s3://{bucket}/cache", env=env)
    return result, result.stdout + result.stderr, output


def statuses(output):
    return sorted((b["status"], b["reason"]) for b in report_of(output)["blocks"])


def test_a_second_builder_runs_no_block(tmp_path, s3_env, s3, bucket):
    content = write_site(tmp_path, POSTS)
    first, log, output = build(tmp_path, content, s3_env, bucket, "first", trusted())
    assert first.returncode == 0, log
    assert {s for s, _ in statuses(output)} == {"ran"}
    assert s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["KeyCount"] == 3
    second, log, output = build(tmp_path, content, s3_env, bucket, "second", trusted())
    assert second.returncode == 0, log
    assert statuses(output) == [("cached", "cache hit")] * 3


def test_a_read_only_build_with_the_public_key_runs_no_block(tmp_path, s3_env, bucket):
    content = write_site(tmp_path, POSTS)
    assert build(tmp_path, content, s3_env, bucket, "ci", trusted())[0].returncode == 0
    result, log, output = build(
        tmp_path, content, s3_env, bucket, "pr", untrusted(TEAM)
    )
    assert result.returncode == 0, log
    assert statuses(output) == [("cached", "cache hit")] * 3
    assert not (tmp_path / "pr-state").exists()  # no key, no index: no trace


def test_forged_entry_is_refused_without_being_unpickled(tmp_path, s3_env, s3, bucket):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    assert build(tmp_path, content, s3_env, bucket, "ci", trusted())[0].returncode == 0
    (entry,) = s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["Contents"]
    key = entry["Key"].removeprefix("cache/")
    marker = tmp_path / "exploited"
    attacker = generate("attacker-1")
    forged = EntrySigner([], attacker).seal(key, pickle.dumps(Exploit(marker)))
    # stored as the cache stores it: its checksum holds, its signature must not
    attacker_client = Client(S3Backend(s3, bucket, "cache"))
    attacker_client.put(key, forged, time_to_expire=0, replace=True)
    result, log, output = build(tmp_path, content, s3_env, bucket, "again", trusted())
    assert result.returncode == 0, log
    assert (
        f"cache entry '{key}' refused: it is signed by 'attacker-1', a key this "
        "build does not trust; the block runs again" in " ".join(log.split())
    )
    assert statuses(output) == [("ran", "cache entry refused")]
    assert not marker.exists()


def test_truncated_entry_is_refused_and_the_block_runs_again(
    tmp_path, s3_env, s3, bucket
):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    assert build(tmp_path, content, s3_env, bucket, "ci", trusted())[0].returncode == 0
    (entry,) = s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["Contents"]
    body = s3.get_object(Bucket=bucket, Key=entry["Key"])["Body"].read()
    s3.put_object(Bucket=bucket, Key=entry["Key"], Body=body[:-10])
    result, log, output = build(tmp_path, content, s3_env, bucket, "again", trusted())
    assert result.returncode == 0, log
    assert (
        "its checksum does not match its type, expiry and bytes; the block runs "
        "again" in " ".join(log.split())
    )
    assert statuses(output) == [("ran", "cache entry refused")]


def test_a_builder_with_another_key_reruns_instead_of_trusting(
    tmp_path, s3_env, bucket
):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    assert build(tmp_path, content, s3_env, bucket, "ci", trusted())[0].returncode == 0
    stranger = trusted(generate("a-stranger-1"))
    result, log, output = build(tmp_path, content, s3_env, bucket, "other", stranger)
    assert result.returncode == 0, log
    assert statuses(output) == [("ran", "cache entry refused")]


def test_read_only_builder_reads_but_never_writes(tmp_path, s3_env, s3, bucket):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    result, log, output = build(
        tmp_path, content, s3_env, bucket, "ro", untrusted(TEAM)
    )
    assert result.returncode == 0, log
    assert statuses(output) == [("ran", "new")]
    assert s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["KeyCount"] == 0


def test_a_state_directory_keeps_the_indexes_of_its_latest_s3_caches(
    tmp_path, s3, bucket
):
    """An S3 cache's index lies in the state directory, one per location: a
    builder given a new location every time had left one each time."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    old = []
    for number in range(12):
        index = state / f"index-{number:012x}.json"
        index.write_text("{}")
        os.utime(index, (1_000_000 + number, 1_000_000 + number))
        old.append(index)
    store = ResultStore(f"s3://{bucket}/cache", state, s3_client=s3)
    store.save_index({"posts/a.md::0::0": {}})
    assert set(state.glob("index-*")) == {*old[-7:], store.index_path}


def test_a_read_only_build_deletes_no_index_of_the_state_directory(
    tmp_path, s3, bucket
):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    old = [state / f"index-{number:012x}.json" for number in range(12)]
    for index in old:
        index.write_text("{}")
    ResultStore(f"s3://{bucket}/cache", state, read_only=True, s3_client=s3)
    assert set(state.glob("index-*")) == set(old)
