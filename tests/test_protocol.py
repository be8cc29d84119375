"""executable_blocks.protocol: every message is plain data that the
restricted unpicklers (of the cache, and of the builder's client of the
zygote) take back as it was; any other class is refused."""

import dataclasses
import io
import os
import pickle

import pytest

from block_results import plain_result
from cloudcached import CorruptEntry
from executable_blocks import cache, protocol, zygote_client
from executable_blocks.blocks import Block
from executable_blocks.cache import ResultStore, key_parts
from executable_blocks.engine import Engine, Session
from executable_blocks.errors import NotRun, WorkerLost
from executable_blocks.protocol import (
    BlockRequest,
    BlockResult,
    CacheEntry,
    Confinement,
    ExceptionInfo,
    Highlighted,
    HighlightRequest,
    Picture,
    Preload,
    PytestOutcome,
    RunSession,
    Status,
    Stop,
)
from signed_pickle.serializer import RestrictedUnpickler

REQUEST = BlockRequest("print(1)\n", "content/posts/p.md", 3, "on", "svg", "gif")
RESULT = BlockResult(
    stdout="1\n",
    stderr="",
    exception=ExceptionInfo("ValueError", ("builtins.ValueError",), "x", "tb", 4),
    figures=(
        Picture(
            "svg",
            640,
            480,
            b"<svg/>",
            13.89,
            narrow=Picture("svg", 375, 256, b"<svg/>", 13.89),
            raster=Picture("png", 640, 480, b"\x89PNG\r\n\x1a\n", 13.89),
        ),
    ),
    animations=(Picture("gif", 1, 1, b"GIF89a"),),
    tests=(PytestOutcome("test_a", "failed", "assert 0", 5),),
    seconds=0.5,
    modules=("/site/content/code/mod.py",),
    tokens=(("nb", "print"), ("", "\n")),
)
MESSAGES = [
    REQUEST,
    HighlightRequest(("print(1)\n", "x = 2\n")),
    Confinement(network=True, read=("/site/content/posts/data.csv",)),
    Preload(("numpy", "matplotlib.pyplot")),
    RunSession(7, (REQUEST, HighlightRequest(("x",))), (60.0, 5.0), True),
    Stop(),
    RESULT.exception,
    RESULT.figures[0],
    RESULT.tests[0],
    RESULT,
    Highlighted(((("k", "x"),), None)),
    CacheEntry(RESULT, (("/site/content/code/mod.py", "ab" * 32), ("gone", None))),
]


def restricted(payload: bytes):
    return RestrictedUnpickler(io.BytesIO(payload), protocol.ALLOWED).load()


def test_the_messages_cover_every_class_of_the_protocol():
    defined = {
        value
        for value in vars(protocol).values()
        if isinstance(value, type) and dataclasses.is_dataclass(value)
    }
    assert defined == set(protocol.CLASSES) == {type(m) for m in MESSAGES}
    names = {("executable_blocks.protocol", cls.__name__) for cls in protocol.CLASSES}
    assert names == protocol.ALLOWED


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_every_message_round_trips_through_the_restricted_unpickler(message):
    payload = pickle.dumps(message, protocol=5)
    assert restricted(payload) == message
    assert cache.protocol_data(payload) == message
    assert zygote_client.protocol_data(payload) == message


def test_messages_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RESULT.stdout = "changed"


class Smuggled:
    """A class of no protocol's, that unpickling would build."""

    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_a_result_holding_another_class_is_refused():
    payload = pickle.dumps(dataclasses.replace(RESULT, stdout=Smuggled()))
    with pytest.raises(Exception, match="posix.system, which is not allowed"):
        restricted(payload)
    lost = zygote_client.protocol_data(payload)
    assert isinstance(lost, WorkerLost)
    assert str(lost).startswith("the worker sent a result that is not plain data")


def test_an_entry_holding_another_class_is_refused(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path)
    entry = CacheEntry(dataclasses.replace(RESULT, figures=(Smuggled(),)), ())
    store.put("ab" * 32, entry)  # signed by the builder's own key
    with pytest.raises(CorruptEntry, match="posix.system, which is not allowed"):
        store.get("ab" * 32)


def test_an_entry_of_dicts_is_refused_not_a_crash(tmp_path):
    store = ResultStore(tmp_path / "cache", tmp_path)
    old = {"result": {"stdout": "1\n"}, "dependencies": {}}  # the cache's first form
    store.put("cd" * 32, old)
    with pytest.raises(CorruptEntry, match="not a block's result"):
        store.get("cd" * 32)


def test_the_protocol_is_part_of_every_key():
    """Entries of another form are misses: their keys are not asked for."""
    assert "protocol.py" in cache.ENGINE_FILES


def session_of_one_block() -> Session:
    block = Block("content/posts/post.md", 6, 8, "print(1)\n", {"exec": "on"})
    parts = key_parts([block], "e")
    return Session("content/posts/post.md", "main", [block], parts, [None], ["new"])


def test_a_block_that_never_started_is_recognised_by_its_type(tmp_path):
    engine = Engine(ResultStore(tmp_path / "cache", tmp_path), [tmp_path])
    lost = WorkerLost("the worker process exited with code 3")
    not_run = engine.settle(session_of_one_block(), 0, [NotRun(lost)])
    assert not_run.status is Status.NOT_RUN
    assert str(not_run.errors[0]).endswith(
        ":6: not run: the worker process exited with code 3"
    )
    # a loss whose text happens to say "not run" is still a failure
    failed = engine.settle(session_of_one_block(), 0, [WorkerLost("not run: x")])
    assert failed.status is Status.FAILED


def test_a_result_a_worker_sent_is_judged_and_kept(tmp_path):
    engine = Engine(ResultStore(tmp_path / "cache", tmp_path), [tmp_path])
    session = session_of_one_block()
    outcome = engine.settle(session, 0, [plain_result("1\n")])
    assert outcome.status is Status.RAN and outcome.errors == []
    results = [plain_result("1\n")]
    engine.store_results(session, results)
    ((key, entry),) = engine.writeback.entries
    assert key == session.parts[0].key
    assert entry == CacheEntry(results[0], ()) and results[0].tokens  # shown code's
    assert results[0] == plain_result("1\n", tokens=results[0].tokens)
