"""A time limit on matching a post's patterns, in the builder.

A post chooses both the patterns the builder matches (``match=``, a claim's
``...`` and numbers) and, through its block, the text they are matched
against: a pattern that backtracks could keep the builder, which has no
timeout of its own, busy for ever. Python's regular expressions stop for a
signal, so a timer in the builder's main thread bounds each match.
"""

import signal
import threading
import time
from contextlib import contextmanager

from .errors import TookTooLong

MATCH_SECONDS = 5.0


@contextmanager
def within(seconds: float | None = None):
    """Raise ``TookTooLong`` if the body runs longer than ``seconds``
    (``MATCH_SECONDS``). Off the main thread (where no signal arrives) the
    body runs unbounded."""
    seconds = MATCH_SECONDS if seconds is None else seconds
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(number, frame):
        raise TookTooLong(seconds)

    previous = signal.signal(signal.SIGALRM, expire)
    started = time.monotonic()
    pending, interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if pending:  # someone else's timer: it goes on, less the time spent
            left = pending - (time.monotonic() - started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-6), interval)
