"""Unit tests of executable_blocks.claims: comparing claimed and real output."""

import pytest

from executable_blocks.claims import DIFF_LINES, Tolerance, diff, matches


def test_equal_text_matches():
    assert matches("[1, 1]\n", "[1, 1]\n")


def test_trailing_whitespace_is_ignored():
    assert matches("a  \nb\n\n", "a\nb   \n")


def test_leading_and_inner_whitespace_matter():
    assert not matches("a b", "a  b")
    assert not matches(" a", "a")


def test_different_text_does_not_match():
    assert not matches("[1, 1]", "[1,1]")


def test_ellipsis_is_literal_unless_asked_for():
    assert not matches("4 failed in ...", "4 failed in 0.12s")
    assert matches("4 failed in ...", "4 failed in 0.12s", ellipsis=True)


def test_ellipsis_matches_across_lines():
    assert matches("start\n...\nend", "start\nx\ny\nend", ellipsis=True)
    assert not matches("start\n...\nend", "start\nx\nfinish", ellipsis=True)


TINY = Tolerance.parse("1e-6")


def test_numbers_match_within_the_tolerance():
    assert matches("mean 276.21", "mean 276.2100004", tolerance=TINY)
    assert not matches("mean 276.21", "mean 276.3", tolerance=TINY)
    assert matches("1e-10 and 2", "1.00000001e-10 and 2.0000001", tolerance=TINY)


def test_a_plain_tolerance_is_absolute_too_so_small_numbers_all_match():
    assert matches("error 3.2e-02", "error 9e-02", tolerance=Tolerance.parse("0.1"))


def test_a_percentage_is_relative_only():
    five = Tolerance.parse("5%")
    assert matches("error 3.2e-02", "error 3.3e-02", tolerance=five)
    assert not matches("error 3.2e-02", "error 3.4e-02", tolerance=five)
    assert not matches("error 3.2e-02", "error 9e-02", tolerance=five)
    assert not matches("min p 0e+00", "min p -1e-300", tolerance=five)
    assert matches("order 2.00", "order 2.09", tolerance=five)


@pytest.mark.parametrize("text", ["-1e-6", "nan", "inf", "-5%", "tiny", "5 %%", ""])
def test_a_tolerance_is_a_finite_number_of_at_least_zero(text):
    with pytest.raises(ValueError):
        Tolerance.parse(text)


def test_a_tolerance_says_what_it_is():
    assert str(Tolerance.parse("1e-6")) == "1e-06"
    assert str(Tolerance.parse("5%")) == "5%"
    assert str(Tolerance.parse("0.5 %")) == "0.5%"
    assert str(Tolerance.parse("0")) == str(Tolerance.parse("-0")) == "0"
    assert str(Tolerance.parse("0%")) == "0%"


def test_without_tolerance_numbers_must_be_written_the_same():
    assert not matches("0.5", "0.50")


def test_tolerance_and_ellipsis_together():
    assert matches(
        "x = 1.0 (...)", "x = 1.0000001 (took 3 s)", ellipsis=True, tolerance=TINY
    )


def test_diff_is_unified_from_claim_to_printed():
    text = diff("a\nb\n", "a\nc\n", "post.md:7")
    assert text.splitlines() == [
        "--- claimed (post.md:7)",
        "+++ printed",
        "@@ -1,2 +1,2 @@",
        " a",
        "-b",
        "+c",
    ]


def test_an_ellipsis_right_after_a_digit_is_still_an_ellipsis():
    assert matches("difference: ...e-1...", "difference: 6e-15", ellipsis=True)
    assert matches("took 1...", "took 1.25 s", ellipsis=True)


def test_a_long_diff_is_cut_to_its_first_lines():
    """A block can print a megabyte; the build's log gets the diff's start."""
    printed = "\n".join(str(n) for n in range(10_000))
    text = diff("nothing like it", printed, "post.md:9")
    lines = text.splitlines()
    assert len(lines) == DIFF_LINES + 1
    assert lines[0] == "--- claimed (post.md:9)"
    # (two file lines, a hunk line, the claim's line, then 10,000 printed)
    assert lines[-1] == f"[... {10_004 - DIFF_LINES} more lines of the diff]"
