"""executable_blocks.time_limit: a match a post controls cannot keep the
builder busy for ever."""

import re
import signal
import threading

import pytest

from block_results import plain_result
from executable_blocks import judge, time_limit
from executable_blocks.blocks import find_blocks
from executable_blocks.errors import TookTooLong
from executable_blocks.protocol import ExceptionInfo

BACKTRACKS = r"(a|a)*b"


def test_a_match_that_backtracks_is_stopped():
    stopped = pytest.raises(TookTooLong, match=r"took over 0\.2 s to match")
    with stopped, time_limit.within(0.2):
        re.search(BACKTRACKS, "a" * 64)


def test_the_previous_alarm_handler_comes_back_and_no_timer_is_left():
    def mine(number, frame):
        pass

    previous = signal.signal(signal.SIGALRM, mine)
    try:
        with time_limit.within(0.2):
            re.search(BACKTRACKS, "a" * 8)
        assert signal.getsignal(signal.SIGALRM) is mine
        assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_off_the_main_thread_the_body_runs_unbounded():
    found = []

    def match():
        with time_limit.within(0.01):
            found.append(re.search("b", "ab") is not None)

    thread = threading.Thread(target=match)
    thread.start()
    thread.join()
    assert found == [True]


def block_of(text: str):
    ((_, _, block),) = find_blocks(text.split("\n"), "post.md")
    return block


def test_a_match_option_that_backtracks_fails_its_block(monkeypatch):
    monkeypatch.setattr(time_limit, "MATCH_SECONDS", 0.2)
    block = block_of(
        f'```python exec="on" raises="ValueError" match="{BACKTRACKS}"\npass\n```'
    )
    exception = ExceptionInfo("ValueError", ("builtins.ValueError",), "a" * 64, "", 2)
    (error,) = judge.judge(block, plain_result("", exception=exception))
    assert str(error) == (
        f"post.md:1: match={BACKTRACKS!r} took over 0.2 s to match "
        "(a pattern that backtracks)"
    )


def test_a_claim_that_backtracks_fails_at_its_line(monkeypatch):
    monkeypatch.setattr(time_limit, "MATCH_SECONDS", 0.2)
    claim = "...x" * 40 + "y"
    block = block_of(
        f'```python exec="on"\npass\n```\n\n```output ellipsis="on"\n{claim}\n```'
    )
    (error,) = judge.judge(block, plain_result("x" * 20_000))
    assert str(error).startswith("post.md:5: the claim took over 0.2 s to match")


def test_a_timer_set_before_goes_on_after():
    """Another timer of the process (a test runner's, say) is not lost."""
    rang = []
    previous = signal.signal(signal.SIGALRM, lambda *_: rang.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with time_limit.within(0.2):
            re.search("b", "ab")
        left, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 29 < left <= 30
        assert rang == []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
