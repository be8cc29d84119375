"""The CloudCached post's benchmark, run again: GET and PUT of an integer, a
32-byte string and a 512 KB string, 10 runs each, beside the 2009 figures."""

import time

VALUES = {
    "integer": 1_245_456_000,
    "string (32 byte)": "x" * 32,
    "string (512KB)": "x" * 512 * 1024,
}
FIGURES_2009 = {  # average seconds, from the post
    "GET integer": 0.0283360004425,
    "GET string (32 byte)": 0.0315794944763,
    "GET string (512KB)": 0.1265994787220,
    "PUT integer": 0.0650457143784,
    "PUT string (32 byte)": 0.0563205003738,
    "PUT string (512KB)": 0.1773290872570,
}


def timed(action, runs: int) -> float:
    started = time.perf_counter()
    for _ in range(runs):
        action()
    return time.perf_counter() - started


def run(cache, runs: int = 10) -> dict[str, float]:
    """Total seconds of ``runs`` GETs and PUTs of each value, by test name,
    each after one that is not timed: the first request of a kind costs
    boto3 loading that operation's model, which the first timed test would
    pay for all the others."""
    totals = {}
    for name, value in VALUES.items():
        key = f"benchmark/{name}"
        cache.put(key, value, replace=True)
        cache.get(key)
        totals[f"GET {name}"] = timed(lambda key=key: cache.get(key), runs)
    for name, value in VALUES.items():
        key = f"benchmark/{name}"
        cache.put(key, value, replace=True)
        totals[f"PUT {name}"] = timed(
            lambda key=key, value=value: cache.put(key, value, replace=True), runs
        )
    return totals


def table(totals: dict[str, float], runs: int = 10) -> str:
    """The 2009 table's rows, with today's averages and totals beside them."""
    header = (
        f"{'Test':<22}{'2009 average (s)':>18}{'now average (s)':>18}"
        f"{'now total (s)':>16}"
    )
    lines = [f"CloudCached Benchmarks ({runs} runs)", header, "-" * len(header)]
    for test, then in FIGURES_2009.items():
        total = totals[test]
        lines.append(f"{test:<22}{then:>18.10f}{total / runs:>18.6f}{total:>16.6f}")
    return "\n".join(lines)
