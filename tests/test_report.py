"""What the author sees of execution: progress off a terminal, and the
summary table in the words the pages use."""

import io

from rich.console import Console

from executable_blocks.blocks import Block
from executable_blocks.engine import Outcome
from executable_blocks.protocol import Status
from executable_blocks.report import (
    BlockProgress,
    reasons_table,
    slowest_table,
    summary_table,
)


def progress(every: float, blocks: dict[str, int]) -> BlockProgress:
    off_terminal = Console(file=io.StringIO(), force_terminal=False)
    bar = BlockProgress(off_terminal, every=every)
    for path, count in blocks.items():
        bar.add(count, path)
    return bar


def test_off_a_terminal_each_post_that_ran_gets_a_line_when_time_allows(capsys):
    bar = progress(every=0, blocks={"a.md": 1, "b.md": 1, "c.md": 1})
    bar.advance(1, "a.md")
    bar.advance(1, "b.md", ran=False)  # from the cache: no line
    bar.advance(1, "c.md")
    assert capsys.readouterr().err.splitlines() == [
        "ran a.md (1/3 blocks done)",
        "ran c.md (3/3 blocks done)",
    ]


def test_off_a_terminal_a_fast_build_says_only_when_it_is_done(capsys):
    bar = progress(every=3600, blocks={"a.md": 1, "b.md": 1, "c.md": 1})
    for name in "abc":
        bar.advance(1, f"{name}.md")
    assert capsys.readouterr().err.splitlines() == [
        "ran a.md, b.md, c.md (3/3 blocks done)"
    ]


def test_off_a_terminal_a_post_of_several_sessions_is_named_once(capsys):
    bar = progress(every=0, blocks={"a.md": 3, "b.md": 2})
    bar.advance(1, "a.md")  # its first session
    bar.advance(2, "b.md")
    bar.advance(2, "a.md")  # its second session, last of all
    assert capsys.readouterr().err.splitlines() == [
        "ran b.md (3/5 blocks done)",
        "ran a.md (5/5 blocks done)",
    ]


def test_the_summary_calls_display_only_blocks_what_pages_call_them():
    table = summary_table([], 1.0)
    headers = [column.header for column in table.columns]
    assert headers == ["ran", "cached", "failed", "did not run", "shown, not run"]


def test_a_file_name_with_an_escape_sequence_reaches_the_terminal_as_text(capsys):
    evil = "posts/gone\x1b[1A\x1b[2K.md"
    bar = progress(every=0, blocks={evil: 1})
    bar.advance(1, evil)
    assert (
        capsys.readouterr().err
        == "ran posts/gone\\x1b[1A\\x1b[2K.md (1/1 blocks done)\n"
    )


def test_the_slowest_blocks_table_shows_paths_and_reasons_as_text():
    block = Block("posts/gone\x1b[2K.md", 3, 5, "print(1)\n", {"exec": "on"})
    outcome = Outcome(block, Status.RAN, "dependency changed: code/\x07.py")
    outcome.seconds = 1.0
    console = Console(file=io.StringIO(), width=200, force_terminal=False)
    console.print(slowest_table([outcome]))
    console.print(reasons_table([outcome]))
    shown = console.file.getvalue()
    assert "posts/gone\\x1b[2K.md:3" in shown and "code/\\x07.py" in shown
    assert "\x1b" not in shown and "\x07" not in shown
