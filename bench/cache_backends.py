"""Benchmark of CloudCached's backends against their peers, in one run.

- Local directory: ``Client.get``/``put`` of small values (an integer, a
  32-byte string) beside python-diskcache's ``get``/``set`` on the same disk.
  Target: our get within 2x of diskcache's.
- S3: ``Client.get``/``put`` beside raw boto3 ``get_object``/``put_object``
  of the same bytes, against the same moto standalone server on loopback
  (run in its own process, so it does not share the benchmark's interpreter).
  Target: at most 10% overhead.

Each measurement is the median of several rounds of many operations, rounds
interleaved so that both sides see the same load. The figures replace the
"## Cache backends" section of ``bench/RESULTS.md``.

    uv run --group bench python bench/cache_backends.py [--rounds N]
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

from _results import machine_lines, write_section
from cloudcached import Client, LocalBackend, S3Backend
from cloudcached.backends import pack
from signed_pickle import Serializer, Signer

RESULTS = Path(__file__).with_name("RESULTS.md")
PACKAGES = ("boto3", "moto", "diskcache")
VALUES = {"integer": 1_245_456_000, "32-byte string": "x" * 32}


def per_op_us(action, operations: int) -> float:
    started = time.perf_counter()
    for _ in range(operations):
        action()
    return (time.perf_counter() - started) / operations * 1e6


def serve_s3(port_queue) -> None:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port_queue.put(server.get_host_and_port()[1])
    while True:
        time.sleep(3600)


def measure_local(rounds: int, operations: int, directory: Path) -> dict:
    cache = Client(LocalBackend(directory / "cloudcached"), serializer())
    peer = diskcache.Cache(str(directory / "diskcache"))
    figures = {}
    for label, value in VALUES.items():
        samples = {k: [] for k in ("ours get", "ours put", "peer get", "peer set")}
        for _ in range(rounds):
            samples["ours put"].append(
                per_op_us(lambda v=value: cache.put("k", v, replace=True), operations)
            )
            samples["peer set"].append(
                per_op_us(lambda v=value: peer.set("k", v), operations)
            )
            samples["ours get"].append(per_op_us(lambda: cache.get("k"), operations))
            samples["peer get"].append(per_op_us(lambda: peer.get("k"), operations))
        figures[label] = {k: statistics.median(v) for k, v in samples.items()}
    peer.close()
    return figures


def measure_s3(rounds: int, operations: int, port: int) -> dict:
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    s3.create_bucket(Bucket="bench")
    cache = Client(S3Backend(s3, "bench", "ours/"), serializer())
    figures = {}
    for label, value in VALUES.items():
        cache.put("k", value, replace=True)
        stored = cache.backend.read("k")  # the same bytes and metadata for boto3
        samples = {k: [] for k in ("ours get", "ours put", "boto3 get", "boto3 put")}

        data = pack(stored.meta, stored.body)  # the very bytes ours stores

        def raw_put(data=data):
            s3.put_object(Bucket="bench", Key="raw/k", Body=data)

        def raw_get():
            s3.get_object(Bucket="bench", Key="raw/k")["Body"].read()

        for _ in range(rounds):
            samples["ours put"].append(
                per_op_us(lambda v=value: cache.put("k", v, replace=True), operations)
            )
            samples["boto3 put"].append(per_op_us(raw_put, operations))
            samples["ours get"].append(per_op_us(lambda: cache.get("k"), operations))
            samples["boto3 get"].append(per_op_us(raw_get, operations))
        figures[label] = {k: statistics.median(v) for k, v in samples.items()}
    return figures


def serializer() -> Serializer:
    return Serializer(Signer([os.urandom(32)], salt="benchmark"))


def report(local: dict, remote: dict, rounds: int) -> tuple[str, bool]:
    lines = ["## Cache backends", "", *machine_lines(PACKAGES)]
    lines += [
        "",
        "`uv run --group bench python bench/cache_backends.py`: median of "
        f"{rounds} interleaved rounds; microseconds per operation.",
        "",
        "Local directory (CloudCached `LocalBackend`) beside python-diskcache:",
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
            f"| {f['ours put']:.1f} | {f['peer set']:.1f} "
            f"| {f['ours put'] / f['peer set']:.2f} |"
        )
    lines += [
        "",
        "S3 (CloudCached `S3Backend`) beside raw boto3, same moto server:",
        "",
        "| value | our get | boto3 get_object | overhead | our put | boto3 put_object "
        "| overhead |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, f in remote.items():
        get_over = f["ours get"] / f["boto3 get"] - 1
        put_over = f["ours put"] / f["boto3 put"] - 1
        met &= get_over <= 0.10 and put_over <= 0.10
        lines.append(
            f"| {label} | {f['ours get']:.0f} | {f['boto3 get']:.0f} | {get_over:+.1%} "
            f"| {f['ours put']:.0f} | {f['boto3 put']:.0f} | {put_over:+.1%} |"
        )
    lines += [
        "",
        "Targets: local get within 2x of diskcache, S3 overhead at most 10%: "
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
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    ports = context.Queue()
    server = context.Process(target=serve_s3, args=(ports,), daemon=True)
    server.start()
    try:
        port = ports.get(timeout=120)
        with tempfile.TemporaryDirectory() as directory:
            local = measure_local(args.rounds, 2000, Path(directory))
        remote = measure_s3(args.rounds, 100, port)
    finally:
        server.kill()
    text, _ = report(local, remote, args.rounds)
    write_section(RESULTS, "## Cache backends", text + "\n")
    print(text)


if __name__ == "__main__":
    main()
