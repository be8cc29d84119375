"""The execution cache shared on S3 (moto's standalone server, over HTTP):
builders reuse each other's results, and refuse what they did not sign."""

import hashlib
import pickle

from conftest import build_site, report_of
from test_execution_builds import write_site

from signed_pickle import Signer

SHARED_KEY = "the execution cache key the team shares in CI"
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


def build(tmp_path, content, s3_env, bucket, name, *extra, keys=SHARED_KEY):
    """A build with its own local state directory, caching on S3."""
    output = tmp_path / name
    env_options = (
        "--",
        "-e",
        f'EXEC_STATE_DIR="{tmp_path / (name + "-state")}"',
        *extra,
    )
    import os

    saved = {k: os.environ.get(k) for k in (*s3_env, "EXEC_CACHE_KEYS")}
    os.environ.update(s3_env, EXEC_CACHE_KEYS=keys)
    try:
        result = build_site(content, output, f"s3://{bucket}/cache", *env_options)
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return result, result.stdout + result.stderr, output


def statuses(output):
    return sorted((b["status"], b["reason"]) for b in report_of(output)["blocks"])


def test_a_second_builder_runs_no_block(tmp_path, s3_env, s3, bucket):
    content = write_site(tmp_path, POSTS)
    first, log, output = build(tmp_path, content, s3_env, bucket, "first")
    assert first.returncode == 0, log
    assert {s for s, _ in statuses(output)} == {"ran"}
    assert s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["KeyCount"] == 3
    second, log, output = build(tmp_path, content, s3_env, bucket, "second")
    assert second.returncode == 0, log
    assert statuses(output) == [("cached", "cache hit")] * 3


def test_forged_entry_is_refused_without_being_unpickled(tmp_path, s3_env, s3, bucket):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    assert build(tmp_path, content, s3_env, bucket, "first")[0].returncode == 0
    (entry,) = s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["Contents"]
    marker = tmp_path / "exploited"
    forged = Signer([b"an attacker's key, not the team's"]).sign(
        pickle.dumps(Exploit(marker))
    )
    meta = {
        "type": "pickle",
        "expires": "0.0",
        "checksum": hashlib.sha256(forged).hexdigest(),
    }
    s3.put_object(Bucket=bucket, Key=entry["Key"], Body=forged, Metadata=meta)
    result, log, output = build(tmp_path, content, s3_env, bucket, "second")
    assert result.returncode == 0, log
    key = entry["Key"].removeprefix("cache/")
    assert f"cache entry '{key}' refused: signature does not match" in " ".join(
        log.split()
    )
    assert statuses(output) == [("ran", "cache entry refused")]
    assert not marker.exists()


def test_truncated_entry_is_refused_and_the_block_runs_again(
    tmp_path, s3_env, s3, bucket
):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    assert build(tmp_path, content, s3_env, bucket, "first")[0].returncode == 0
    (entry,) = s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["Contents"]
    stored = s3.get_object(Bucket=bucket, Key=entry["Key"])
    body = stored["Body"].read()
    s3.put_object(
        Bucket=bucket, Key=entry["Key"], Body=body[:-10], Metadata=stored["Metadata"]
    )
    result, log, output = build(tmp_path, content, s3_env, bucket, "second")
    assert result.returncode == 0, log
    assert "its checksum does not match its bytes; the block runs again" in log
    assert statuses(output) == [("ran", "cache entry refused")]


def test_a_builder_with_another_key_reruns_instead_of_trusting(
    tmp_path, s3_env, bucket
):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    assert build(tmp_path, content, s3_env, bucket, "first")[0].returncode == 0
    result, log, output = build(
        tmp_path,
        content,
        s3_env,
        bucket,
        "second",
        keys="a stranger's key and not the team's",
    )
    assert result.returncode == 0, log
    assert statuses(output) == [("ran", "cache entry refused")]


def test_read_only_builder_reads_but_never_writes(tmp_path, s3_env, s3, bucket):
    content = write_site(tmp_path, {"two": POSTS["two"]})
    result, log, output = build(
        tmp_path, content, s3_env, bucket, "ro", "EXEC_CACHE_READONLY=true"
    )
    assert result.returncode == 0, log
    assert statuses(output) == [("ran", "new")]
    assert s3.list_objects_v2(Bucket=bucket, Prefix="cache/")["KeyCount"] == 0
