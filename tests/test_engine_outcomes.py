"""executable_blocks.engine: the outcomes of a post's blocks, once its
sessions have run, for every placeholder of the post and for a post read
again."""

import os
from types import SimpleNamespace

import pytest

from block_results import plain_result
from executable_blocks.blocks import Block
from executable_blocks.cache import ResultStore, key_parts
from executable_blocks.engine import Engine, Session, malformed
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


def test_a_result_may_list_only_files_of_the_code_directories(tmp_path):
    """The builder reads each code file a result lists (for its digest): a
    block that made the list anything could have it read any file, or wait
    for ever on a FIFO."""
    code, elsewhere = tmp_path / "code", tmp_path / "elsewhere"
    code.mkdir()
    elsewhere.mkdir()
    (code / "helper.py").write_text("VALUE = 1\n")
    (elsewhere / "secret").write_text("key\n")
    (code / "link.py").symlink_to(elsewhere / "secret")
    os.mkfifo(code / "fifo")
    roots = [code.resolve()]
    assert malformed(plain_result(modules=(str(code / "helper.py"),)), roots) is None
    for path in (elsewhere / "secret", code / "link.py", code / "fifo", code / "gone"):
        reason = malformed(plain_result(modules=(str(path),)), roots)
        assert reason == (
            f"the result.modules[0] {str(path)!r} is not a file of the code directories"
        )
