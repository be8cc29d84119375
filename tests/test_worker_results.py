"""What workers send has a result's shape, and what does not fails its
block instead of reaching the judge, the cache or a page."""

from dataclasses import replace
from types import SimpleNamespace

import pytest

from block_results import plain_result
from executable_blocks import worker
from executable_blocks.blocks import Block
from executable_blocks.cache import ResultStore, key_parts
from executable_blocks.engine import Engine, Session
from executable_blocks.protocol import (
    BlockRequest,
    Highlighted,
    HighlightRequest,
    Status,
)
from executable_blocks.render import code_tokens
from executable_blocks.result_shape import check_result
from executable_blocks.zygote_client import ZygoteClient

BLOCKS = [
    ("on", "print('out')\nimport sys\nprint('err', file=sys.stderr)\n", None),
    ("on", "raise ValueError('expected')\n", None),
    ("on", "import matplotlib.pyplot as plt\nplt.plot([0, 1])\n", None),
    ("on", "import matplotlib.pyplot as plt\nplt.imshow([[0, 1], [1, 0]])\n", None),
    (
        "on",
        "import matplotlib.pyplot as plt\n"
        "from matplotlib.animation import FuncAnimation\n"
        "fig, ax = plt.subplots(figsize=(1, 1))\n"
        "anim = FuncAnimation(fig, lambda i: [], frames=2, interval=100)\n",
        "gif",
    ),
    ("pytest", "def test_a():\n    assert 1 == 0\n\ndef test_b():\n    pass\n", None),
]


def test_every_kind_of_result_a_worker_sends_has_the_shape(tmp_path):
    zygote = ZygoteClient(["matplotlib.pyplot"], [str(tmp_path)])
    try:
        requests = [
            BlockRequest(code, "content/posts/post.md", 1, mode, animation=animation)
            for mode, code, animation in BLOCKS
        ]
        run = zygote.submit(requests, [60] * len(requests))
        zygote.wait(run)
    finally:
        zygote.close()
    assert len(run.results) == len(BLOCKS)
    for result in run.results:
        assert check_result(result) is result
    assert run.results[1].exception and run.results[5].tests
    assert run.results[2].figures and run.results[4].animations


@pytest.fixture
def engine(tmp_path):
    return Engine(ResultStore(tmp_path / "cache", tmp_path), [tmp_path])


def one_block_session(code="print(1)\n") -> Session:
    block = Block("content/posts/post.md", 6, 8, code, {"exec": "on"})
    return Session(
        "content/posts/post.md",
        "main",
        [block],
        key_parts([block], "e"),
        [None],
        ["new"],
    )


@pytest.mark.parametrize(
    ("sent", "why"),
    [
        ({"stdout": "1"}, "the result is a dict, not a BlockResult"),
        (Highlighted(()), "the result is a Highlighted, not a BlockResult"),
        ("a string", "the result is a str, not a BlockResult"),
        (None, "the result is a NoneType, not a BlockResult"),
    ],
)
def test_a_malformed_worker_result_fails_its_block_and_is_not_cached(engine, sent, why):
    session = one_block_session()
    outcome = engine.settle(session, 0, [sent])
    assert outcome.status is Status.FAILED and outcome.result is None
    (error,) = outcome.errors
    assert str(error) == (
        f"content/posts/post.md:6: the worker sent a malformed result: {why}"
    )
    engine.store_results(session, [sent])
    assert engine.writeback.entries == []


def test_a_malformed_stdout_is_named_in_the_failure(engine):
    result = replace(plain_result(), stdout=1)
    outcome = engine.settle(one_block_session(), 0, [result])
    assert str(outcome.errors[0]).endswith(
        "the worker sent a malformed result: the result.stdout is an int, not text"
    )


def test_tokens_a_worker_forged_are_lexed_again(engine):
    code = "print('<b>')\n"
    engine.highlighting = SimpleNamespace(
        done=True,
        requests=[HighlightRequest((code,))],
        results=[Highlighted(((("k", "import os; os.system('x')\n"),),))],
    )
    assert engine.tokens(code) == code_tokens(code)


def test_depends_files_are_linked_by_their_names_unless_they_lead_out(
    tmp_path, monkeypatch
):
    """A name that stays in the working directory is linked there (one
    starting with two dots, ``..data.csv``, too); ``../x`` and an absolute
    name are left to their paths."""
    target = tmp_path / "target.csv"
    target.write_text("1\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    names = ["..data.csv", "data/x.csv", "../x.csv", str(tmp_path / "abs.csv")]
    worker.link_files(tuple((name, str(target)) for name in names))
    linked = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_symlink())
    assert linked == ["..data.csv", "data/x.csv"]
    assert not (tmp_path / "x.csv").exists() and not (tmp_path / "abs.csv").exists()
