"""executable_blocks.engine: the outcomes of a post's blocks, once its
sessions have run, for every placeholder of the post and for a post read
again."""

from types import SimpleNamespace

import pytest

from block_results import plain_result
from executable_blocks.blocks import Block
from executable_blocks.cache import ResultStore, key_parts
from executable_blocks.engine import Engine, Session
from executable_blocks.protocol import Status

POST = "content/posts/post.md"


@pytest.fixture
def engine(tmp_path):
    return Engine(ResultStore(tmp_path / "cache", tmp_path), [tmp_path])


def read(count: int) -> list[Block]:
    """The blocks of the post, as the reader finds them: new objects each
    time, with the same lines, code and options."""
    return [
        Block(POST, 6 + 4 * n, 8 + 4 * n, f"print({n})\n", {"exec": "on"})
        for n in range(count)
    ]


def ran(engine, blocks: list[Block]) -> None:
    """``blocks`` submitted as one session that has finished: block n
    printed n."""
    session = Session(
        POST,
        "main",
        blocks,
        key_parts(blocks, "e"),
        [None] * len(blocks),
        ["new"] * len(blocks),
    )
    results = [plain_result(f"{n}\n") for n in range(len(blocks))]
    session.run = SimpleNamespace(done=True, results=results)
    engine.sessions[POST] = [session]


def test_every_placeholder_of_a_post_gets_the_outcomes_judged_once(engine):
    blocks = read(50)
    ran(engine, blocks)
    first = engine.outcomes(POST, blocks)
    assert [o.result.stdout for o in first] == [f"{n}\n" for n in range(50)]
    assert all(o.status is Status.RAN for o in first)
    assert all(engine.outcomes(POST, blocks) is first for _ in range(50))


def test_a_post_read_again_gets_the_outcomes_of_the_blocks_that_ran(engine):
    ran(engine, read(50))
    again = read(50)
    outcomes = engine.outcomes(POST, again)
    assert [o.result.stdout for o in outcomes] == [f"{n}\n" for n in range(50)]
    # each outcome names the block as read this time, not the one that ran
    assert all(o.block is b for o, b in zip(outcomes, again, strict=True))
