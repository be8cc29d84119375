"""Refusals, logged in aggregate.

A client that floods the server with bad messages must not flood its log
too: refusals are counted by rule and by address, and written as one line
per interval (``{"event": "refused", "rules": {...}, "addresses": {...}}``),
naming the addresses that were refused most. The count of distinct
addresses kept is bounded; the rest are summed as ``others``.
"""

import time
from collections import Counter

TOP = 5
TRACKED = 1000


class RefusalLog:
    def __init__(self, emit, interval: float = 10.0, clock=time.monotonic):
        self.emit, self.interval, self.clock = emit, interval, clock
        self.rules: Counter[str] = Counter()
        self.addresses: Counter[str] = Counter()
        self.others = 0
        self.since = clock()

    def add(self, rule: str, address: str | None) -> None:
        self.rules[rule] += 1
        if address is None:
            return
        if address in self.addresses or len(self.addresses) < TRACKED:
            self.addresses[address] += 1
        else:
            self.others += 1

    def flush(self) -> None:
        """One line for what was refused since the last, if anything was."""
        now = self.clock()
        if self.rules:
            fields = {
                "seconds": round(now - self.since, 1),
                "count": self.rules.total(),
                "rules": dict(self.rules.most_common()),
                "addresses": dict(self.addresses.most_common(TOP)),
                "distinct_addresses": len(self.addresses) + (self.others > 0),
            }
            if self.others:
                fields["others"] = self.others
            self.emit("refused", **fields)
        self.rules.clear()
        self.addresses.clear()
        self.others = 0
        self.since = now
