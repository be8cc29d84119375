"""What the author sees of execution: progress off a terminal."""

import io

from executable_posts.report import BlockProgress
from rich.console import Console


def progress(every: float) -> BlockProgress:
    off_terminal = Console(file=io.StringIO(), force_terminal=False)
    bar = BlockProgress(off_terminal, every=every)
    bar.add(3)
    return bar


def test_off_a_terminal_each_post_that_ran_gets_a_line_when_time_allows(capsys):
    bar = progress(every=0)
    bar.advance(1, "content/posts/a.md")
    bar.advance(1, "content/posts/b.md", ran=False)  # from the cache: no line
    bar.advance(1, "content/posts/c.md")
    assert capsys.readouterr().err.splitlines() == [
        "ran content/posts/a.md (1/3 blocks)",
        "ran content/posts/c.md (3/3 blocks)",
    ]


def test_off_a_terminal_a_fast_build_says_only_when_it_is_done(capsys):
    bar = progress(every=3600)
    for name in "abc":
        bar.advance(1, f"content/posts/{name}.md")
    assert capsys.readouterr().err.splitlines() == [
        "ran content/posts/c.md (3/3 blocks)"
    ]
