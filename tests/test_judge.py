"""Unit tests of executable_blocks.judge: does a result contradict the post?"""

from block_results import plain_result
from executable_blocks.blocks import Block, Claim
from executable_blocks.judge import judge
from executable_blocks.protocol import ExceptionInfo, Picture, PytestOutcome


def block(code="pass\n", claim=None, **options) -> Block:
    options.setdefault("exec", "on")
    return Block("post.md", 10, 12, code, options, claim)


def result(stdout="", exception=None, **extra):
    return plain_result(stdout, exception=exception, **extra)


def exception(kind="ValueError", message="bad", line=11, types=None):
    return ExceptionInfo(
        kind,
        types or (f"builtins.{kind}", "builtins.Exception", "builtins.object"),
        message,
        f"Traceback...\n{kind}: {message}\n",
        line,
    )


def messages(errors) -> list[str]:
    return [str(error) for error in errors]


def test_clean_result_has_no_errors():
    assert judge(block(), result("hi\n")) == []


def test_unexpected_exception_fails_at_its_line_with_the_traceback():
    (error,) = judge(block(), result(exception=exception()))
    assert str(error).startswith("post.md:11: ValueError: bad\nTraceback...")


def test_expected_exception_passes():
    assert judge(block(raises="ValueError"), result(exception=exception())) == []


def test_expected_exception_may_name_a_base_class_or_qualified_name():
    assert judge(block(raises="Exception"), result(exception=exception())) == []
    assert (
        judge(block(raises="builtins.ValueError"), result(exception=exception())) == []
    )


def test_other_exception_than_expected_fails():
    (error,) = judge(block(raises="KeyError"), result(exception=exception()))
    assert str(error).startswith("post.md:11: expected KeyError, got ValueError: bad")


def test_missing_expected_exception_fails_at_the_block():
    (error,) = judge(block(raises="AssertionError"), result())
    assert str(error) == "post.md:10: expected AssertionError; nothing was raised"


def test_exception_message_must_match_when_asked():
    ok = block(raises="ValueError", match="ba+d")
    assert judge(ok, result(exception=exception())) == []
    wrong = block(raises="ValueError", match="^good$")
    (error,) = judge(wrong, result(exception=exception()))
    assert "does not match '^good$'" in str(error)


def test_exception_in_an_included_file_points_at_that_file():
    included = block()
    included.source_file = "content/code/mod.py"
    (error,) = judge(included, result(exception=exception(line=3)))
    assert str(error).startswith("content/code/mod.py:3: ValueError: bad")
    assert "(in the file included by post.md:10)" in str(error)


def test_an_included_file_is_named_as_a_log_shows_a_post(tmp_path, monkeypatch):
    """Relative to the folder the build runs in, as posts are (it was
    named by its absolute path, a block resolves it)."""
    monkeypatch.chdir(tmp_path)
    included = block()
    included.source_file = str(tmp_path / "content" / "code" / "mod.py")
    (error,) = judge(included, result(exception=exception(line=3)))
    assert str(error).startswith("content/code/mod.py:3: ValueError: bad")


def test_claim_mismatch_fails_at_the_claim_with_a_diff():
    claimed = block(claim=Claim("[1, 1]", 14))
    (error,) = judge(claimed, result("[1, 2]\n"))
    assert messages([error])[0].splitlines() == [
        "post.md:14: the output differs from what the post claims:",
        "--- claimed (post.md:14)",
        "+++ printed",
        "@@ -1 +1 @@",
        "-[1, 1]",
        "+[1, 2]",
    ]


def test_claim_is_checked_with_its_options():
    claimed = block(claim=Claim("took ... s", 14, ellipsis=True))
    assert judge(claimed, result("took 3 s\n")) == []


def test_failing_tests_fail_a_pytest_block_without_a_claim():
    tests = (
        PytestOutcome("test_a", "passed"),
        PytestOutcome("test_b", "failed", "assert 1 == 0", 13),
    )
    (error,) = judge(block(exec="pytest"), result(tests=tests))
    assert str(error) == "post.md:13: test test_b failed: assert 1 == 0"


def test_claimed_failures_are_what_a_pytest_block_is_held_to():
    tests = (PytestOutcome("test_b", "failed", "x", 13),)
    claimed = block(exec="pytest", claim=Claim("FAILED test_b - x\n1 failed", 16))
    assert judge(claimed, result("FAILED test_b - x\n1 failed\n", tests=tests)) == []


def test_figures_need_a_caption_for_their_alt_text():
    figure = Picture("svg", 1, 1, b"<svg/>")
    (error,) = judge(block(), result(figures=(figure,)))
    assert "made 1 figure(s); give it a caption" in str(error)
    assert judge(block(caption="A plot"), result(figures=(figure,))) == []
