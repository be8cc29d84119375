"""How much a client may do: messages per time, connections per address."""

import time
from collections import Counter, deque


class RateLimit:
    """At most ``count`` events in any ``seconds`` (a sliding window)."""

    def __init__(self, count: int, seconds: float, clock=time.monotonic):
        self.count, self.seconds, self.clock = count, seconds, clock
        self.events: deque[float] = deque()

    def allow(self) -> bool:
        now = self.clock()
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()
        if len(self.events) >= self.count:
            return False
        self.events.append(now)
        return True


class ConnectionLimits:
    """Open connections, per address and in all."""

    def __init__(self, per_address: int, total: int):
        self.per_address, self.total = per_address, total
        self.open: Counter[str] = Counter()

    def refusal(self, address: str) -> str | None:
        """Why a new connection from ``address`` is refused, if it is."""
        if sum(self.open.values()) >= self.total:
            return f"the server is full ({self.total} connections)"
        if self.open[address] >= self.per_address:
            return f"too many connections from one address ({self.per_address})"
        return None

    def opened(self, address: str) -> None:
        self.open[address] += 1

    def closed(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]
