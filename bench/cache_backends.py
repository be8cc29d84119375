"""Benchmark of CloudCached's backends against their peers, in one run.

- Local directory: ``Client.get``/``put`` of small values (an integer, a
  32-byte string) beside python-diskcache's ``get``/``set`` on the same disk
  (``diskcache.Cache``, no eviction). Target: our get within 2x of
  diskcache's.
- S3: ``Client.get``/``put`` beside raw boto3 ``get_object``/``put_object``
  of the same bytes, against the same moto standalone server on loopback
  (run in its own process, so it does not share the benchmark's interpreter).
  Target: at most 10% overhead.

Gets are measured as a build reads entries: each round, ``--keys`` new keys
(``--s3-keys`` on S3) are written by each side, then read once each by a new
client, so that every get reads another entry and checks it in full (ours
remembers a signature it has checked: a key read again by the same client
skips that check). The same key read again and again is reported beside,
for reference, and not judged. Each measurement is the median of
``--rounds`` rounds, the sides' order alternating. The figures replace the
"## Cache backends" section of ``bench/RESULTS.md``.

    uv run --locked --group bench python bench/cache_backends.py [--rounds N]
"""

import argparse
import multiprocessing
import os
import statistics
import tempfile
import time
from pathlib import Path

import boto3
import diskcache

from _results import command_line, machine_lines, write_section
from cloudcached import Client, LocalBackend, S3Backend
from cloudcached.backends import pack
from signed_pickle import Serializer, Signer

RESULTS = Path(__file__).with_name("RESULTS.md")
PACKAGES = ("boto3", "moto", "diskcache")
VALUES = {"integer": 1_245_456_000, "32-byte string": "x" * 32}
SAMPLES = (
    "ours put",
    "peer put",
    "ours get",
    "peer get",
    "ours get same",
    "peer get same",
)
# diskcache at its fastest for this use: its defaults (SQLite in WAL mode,
# values under 32 KB in the database, statistics off) with no eviction, which
# spares each set its cull (ours evicts nothing either).
DISKCACHE = {"eviction_policy": "none"}


def per_op_us(action, keys: list[str], expected) -> float:
    """Microseconds per call of ``action`` on each of ``keys``, in turn; each
    result must be ``expected`` (compared inside the loop, for both sides)."""
    wrong = 0
    started = time.perf_counter()
    for key in keys:
        wrong += action(key) != expected
    seconds = time.perf_counter() - started
    if wrong:
        raise SystemExit(f"{wrong} of {len(keys)} calls did not return {expected!r}")
    return seconds / len(keys) * 1e6


def serve_s3(port_queue) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port_queue.put(server.get_host_and_port()[1])
    while True:
        time.sleep(3600)


def measure_local(rounds: int, keys: int, directory: Path) -> dict:
    """Per round and value, ``keys`` new keys written by each side, then each
    read once by a new client (a fresh ``Client`` and backend: nothing of the
    writer's remembered, as in a build reading what an earlier one wrote),
    then the first of them read ``keys`` times more by that client."""
    signed = serializer()
    folder = str(directory / "diskcache")
    figures = {}
    for label, value in VALUES.items():
        samples = {k: [] for k in SAMPLES}
        for number in range(rounds):
            names = [f"{label.split()[0]}-{number}-{i:05d}" for i in range(keys)]
            ours = Client(LocalBackend(directory / "cloudcached"), signed)
            peer = diskcache.Cache(folder, **DISKCACHE)
            sides = [
                ("ours put", lambda k, c=ours, v=value: c.put(k, v, replace=True)),
                ("peer put", lambda k, c=peer, v=value: c.set(k, v)),
            ]
            for key, action in sides[:: 1 if number % 2 else -1]:
                samples[key].append(per_op_us(action, names, True))
            peer.close()
            ours = Client(LocalBackend(directory / "cloudcached"), signed)
            peer = diskcache.Cache(folder, **DISKCACHE)
            sides = [
                ("ours get", ours.get, names),
                ("peer get", peer.get, names),
                ("ours get same", ours.get, names[:1] * keys),
                ("peer get same", peer.get, names[:1] * keys),
            ]
            if number % 2:
                sides = [sides[1], sides[0], sides[3], sides[2]]
            for key, action, order in sides:
                samples[key].append(per_op_us(action, order, value))
            peer.close()
        figures[label] = {k: statistics.median(v) for k, v in samples.items()}
    return figures


def measure_s3(rounds: int, keys: int, port: int) -> dict:
    """As ``measure_local``, against the moto server, beside boto3's own
    ``put_object`` and ``get_object`` of the same bytes."""
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    s3.create_bucket(Bucket="bench")
    signed = serializer()
    figures = {}
    for label, value in VALUES.items():
        ours = Client(S3Backend(s3, "bench", "ours/"), signed)
        ours.put("sample", value, replace=True)
        stored = ours.backend.read("sample")
        data = pack(stored.meta, stored.body)  # the very bytes ours stores

        def raw_put(key, data=data):
            s3.put_object(Bucket="bench", Key=f"raw/{key}", Body=data)
            return True

        def raw_get(key, data=data, value=value):
            body = s3.get_object(Bucket="bench", Key=f"raw/{key}")["Body"].read()
            return value if body == data else None

        samples = {k: [] for k in SAMPLES}
        for number in range(rounds):
            names = [f"{label.split()[0]}-{number}-{i:05d}" for i in range(keys)]
            ours = Client(S3Backend(s3, "bench", "ours/"), signed)
            sides = [
                ("ours put", lambda k, c=ours, v=value: c.put(k, v, replace=True)),
                ("peer put", raw_put),
            ]
            for key, action in sides[:: 1 if number % 2 else -1]:
                samples[key].append(per_op_us(action, names, True))
            ours = Client(S3Backend(s3, "bench", "ours/"), signed)
            sides = [
                ("ours get", ours.get, names),
                ("peer get", raw_get, names),
                ("ours get same", ours.get, names[:1] * keys),
                ("peer get same", raw_get, names[:1] * keys),
            ]
            if number % 2:
                sides = [sides[1], sides[0], sides[3], sides[2]]
            for key, action, order in sides:
                samples[key].append(per_op_us(action, order, value))
        figures[label] = {k: statistics.median(v) for k, v in samples.items()}
    return figures


def serializer() -> Serializer:
    return Serializer(Signer([os.urandom(32)], salt="benchmark"))


def report(local: dict, remote: dict, command: str, args) -> tuple[str, bool]:
    lines = ["## Cache backends", "", *machine_lines(PACKAGES)]
    lines += [
        "",
        f"`{command}`: median of {args.rounds} rounds, the two sides' order "
        "alternating; microseconds per operation. Each round, for each value, "
        f"each side writes {args.keys:,} new keys (locally; {args.s3_keys:,} on "
        "S3), then a new client (a fresh `Client` and backend, remembering "
        "nothing of the writer's) reads each of them once, as a build reads "
        "the entries an earlier build wrote: every get reads another file "
        "or row and checks its entry's checksum and signature. Every get "
        "is checked to return the value written.",
        "",
        "Local directory (CloudCached `LocalBackend`) beside python-diskcache "
        '(`diskcache.Cache`, its defaults but `eviction_policy="none"`: no '
        "cull on each set; ours evicts nothing either), distinct keys:",
        "",
        "| value | our get | diskcache get | ratio | our put | diskcache set | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    met = True
    for label, f in local.items():
        get_ratio = f["ours get"] / f["peer get"]
        met &= get_ratio <= 2
        lines.append(
            f"| {label} | {f['ours get']:.1f} | {f['peer get']:.1f} | {get_ratio:.2f} "
            f"| {f['ours put']:.1f} | {f['peer put']:.1f} "
            f"| {f['ours put'] / f['peer put']:.2f} |"
        )
    lines += [
        "",
        f"For reference, not judged: one key read {args.keys:,} times by the "
        "same client, where ours checks the entry's signature once and "
        "remembers it (`Client.signs` is memoised), so every read after the "
        "first skips that check:",
        "",
        "| value | our get, same key | diskcache get, same key | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for label, f in local.items():
        lines.append(
            f"| {label} | {f['ours get same']:.1f} | {f['peer get same']:.1f} "
            f"| {f['ours get same'] / f['peer get same']:.2f} |"
        )
    lines += [
        "",
        "S3 (CloudCached `S3Backend`) beside raw boto3 `put_object` and "
        "`get_object` of the same bytes, same moto server, distinct keys:",
        "",
        "| value | our get | boto3 get_object | overhead | our put | boto3 put_object "
        "| overhead |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, f in remote.items():
        get_over = f["ours get"] / f["peer get"] - 1
        put_over = f["ours put"] / f["peer put"] - 1
        met &= get_over <= 0.10 and put_over <= 0.10
        lines.append(
            f"| {label} | {f['ours get']:.0f} | {f['peer get']:.0f} | {get_over:+.1%} "
            f"| {f['ours put']:.0f} | {f['peer put']:.0f} | {put_over:+.1%} |"
        )
    lines += [
        "",
        "Targets, judged on the distinct keys: local get within 2x of "
        "diskcache, S3 overhead at most 10%: "
        + ("**met**." if met else "**not all met**."),
        "",
        "An S3 `put` here is one `put_object` (with `replace=True`, as the execution "
        "cache writes); without it, `put` first reads the key (add semantics), "
        "which is a second request.",
    ]
    return "\n".join(lines), met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keys", type=int, default=2000, help="local, per round")
    parser.add_argument("--s3-keys", type=int, default=100, help="S3, per round")
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve_s3, args=(ports,), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=120)
        with tempfile.TemporaryDirectory() as directory:
            local = measure_local(args.rounds, args.keys, Path(directory))
        remote = measure_s3(args.rounds, args.s3_keys, port)
    finally:
        server.kill()
    text, _ = report(local, remote, command_line(parser, args), args)
    write_section(args.results, "## Cache backends", text + "\n")
    print(text)


if __name__ == "__main__":
    main()
