"""Refusals: counted, and written as one line per interval."""

from chatroom import refusals
from chatroom.refusals import RefusalLog


def log():
    lines = []
    return RefusalLog(lambda kind, **fields: lines.append((kind, fields))), lines


def test_many_refusals_make_one_line_with_the_top_addresses():
    refused, lines = log()
    for n in range(100):
        refused.add("rate-limited", f"10.0.0.{n % 7}")
    refused.add("bad-json", "10.0.0.1")
    refused.flush()
    [(kind, fields)] = lines
    assert kind == "refused" and fields["count"] == 101
    assert fields["rules"] == {"rate-limited": 100, "bad-json": 1}
    assert len(fields["addresses"]) == refusals.TOP
    assert fields["addresses"]["10.0.0.1"] == 16


def test_a_quiet_interval_writes_nothing():
    refused, lines = log()
    refused.flush()
    assert lines == []


def test_distinct_addresses_kept_are_bounded():
    refused, lines = log()
    for n in range(refusals.TRACKED + 50):
        refused.add("origin", f"address {n}")
    assert len(refused.addresses) == refusals.TRACKED
    refused.flush()
    assert lines[0][1]["others"] == 50
