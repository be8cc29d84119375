"""Keys as the plan shows them: every character that would not show as
itself escaped, so the plan on screen is what the publish will do."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publish_helpers import SITE, write
from sitepublish import plan, shown, target


def unshown(text: str) -> str:
    """The inverse of `shown`."""
    return re.sub(
        r"\\(\\|x[0-9a-f]{2}|u[0-9a-f]{4}|U[0-9a-f]{8})",
        lambda match: "\\" if match[1] == "\\" else chr(int(match[1][1:], 16)),
        text,
    )


@pytest.mark.parametrize(
    "key",
    [
        "2009/06/post/index.html",
        "café/naïve.html",
        "שלום/index.html",
        "figures/🙂.png",
        "with space.html",
    ],
)
def test_a_key_that_shows_as_itself_is_not_escaped(key):
    assert shown(key) == key


@pytest.mark.parametrize(
    ("key", "escaped"),
    [
        ("evil\u202elmth.exe", r"evil\u202elmth.exe"),  # right-to-left override
        ("\u2066x\u2069.html", r"\u2066x\u2069.html"),  # isolates
        ("a\u200fb", r"a\u200fb"),  # right-to-left mark
        ("a\u200bb", r"a\u200bb"),  # zero-width space
        ("a\nb", r"a\x0ab"),
        ("a\x1b[31mb", r"a\x1b[31mb"),  # a terminal's escape sequence
        ("a\x7fb", r"a\x7fb"),
        ("a\u00a0b", r"a\xa0b"),  # no-break space
        ("a\u2028b", r"a\u2028b"),  # line separator
        ("a\U000e0041b", r"a\U000e0041b"),  # tag character
        ("a\udcffb", r"a\udcffb"),  # a byte that was not UTF-8
        ("a\\u202e", r"a\\u202e"),  # a backslash, so escapes are unambiguous
    ],
)
def test_a_key_with_a_control_or_bidirectional_character_shows_escaped(key, escaped):
    assert shown(key) == escaped


@given(st.text())
def test_what_is_shown_is_printable_and_says_exactly_which_key(key):
    assert shown(key).isprintable()
    assert unshown(shown(key)) == key


def test_the_plan_shows_every_key_escaped(tmp_path, s3, bucket):
    site = write(tmp_path / "output", {**SITE, "evil\u202elmth.exe": "x"})
    s3.put_object(Bucket=bucket, Key="site/\u2066theirs\u2069.txt", Body=b"y")
    changes = plan(site, s3, target(f"s3://{bucket}/site"))
    printed = "\n".join([*changes.lines(), changes.summary()])
    assert "upload  site/evil\\u202elmth.exe (new, 1 B)" in printed
    assert "leave   site/\\u2066theirs\\u2069.txt (not ours, 1 B)" in printed
    assert all(c == "\n" or c.isprintable() for c in printed)
