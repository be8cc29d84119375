"""How much a client may do: messages per time, per connection and per
address, and connections per address and in all."""

import time
from collections import Counter, deque


class RateLimit:
    """At most ``count`` events in any ``seconds`` (a sliding window)."""

    def __init__(self, count: int, seconds: float, clock=time.monotonic):
        self.count, self.seconds, self.clock = count, seconds, clock
        self.events: deque[float] = deque()

    def allow(self) -> bool:
        now = self.clock()
        self.forget(now)
        if len(self.events) >= self.count:
            return False
        self.events.append(now)
        return True

    def forget(self, now: float) -> None:
        while self.events and self.events[0] <= now - self.seconds:
            self.events.popleft()

    def idle(self) -> bool:
        self.forget(self.clock())
        return not self.events


class AddressRates:
    """A sliding window per address, kept after its connections close, so
    that reconnecting starts nothing afresh. Windows that have emptied are
    dropped now and then, so an address costs memory only while it talks."""

    def __init__(self, count: int, seconds: float, clock=time.monotonic):
        self.count, self.seconds, self.clock = count, seconds, clock
        self.windows: dict[str, RateLimit] = {}
        self.checks = 0

    def allow(self, address: str) -> bool:
        window = self.windows.get(address)
        if window is None:
            window = self.windows[address] = RateLimit(
                self.count, self.seconds, self.clock
            )
        self.checks += 1
        if self.checks % 1024 == 0:
            self.sweep()
        return window.allow()

    def sweep(self) -> None:
        for address in [a for a, w in self.windows.items() if w.idle()]:
            del self.windows[address]


class ConnectionLimits:
    """Open connections, per address and in all."""

    def __init__(self, per_address: int, total: int):
        self.per_address, self.total = per_address, total
        self.open: Counter[str] = Counter()

    def refusal(self, address: str) -> str | None:
        """Why a new connection from ``address`` is refused, if it is."""
        if self.open.total() >= self.total:
            return f"the server is full ({self.total} connections)"
        if self.open[address] >= self.per_address:
            return self.too_many_from_one_address()
        return None

    def too_many_from_one_address(self) -> str:
        return f"too many connections from one address ({self.per_address})"

    def opened(self, address: str) -> None:
        self.open[address] += 1

    def closed(self, address: str) -> None:
        self.open[address] -= 1
        if self.open[address] <= 0:
            del self.open[address]
