"""The eight posts of the original blog, as its text gives them.

Titles and "Filed under" tags are copied from the original blog's text; the
two dates it keeps are exact, the others approximate, in the order the blog
listed its posts (each post's Markdown says so with ``Date_approximate``).
"""

from typing import NamedTuple


class SeedPost(NamedTuple):
    title: str
    date: str  # ISO date
    approximate: bool
    tags: tuple[str, ...]


SEED_POSTS = (
    SeedPost("WebSockets in Python", "2010-08-06", True, ("Python", "WebSockets")),
    SeedPost(
        "Making Python's pickle safe(r)", "2009-10-10", True, ("programming", "python")
    ),
    SeedPost(
        "API Functional Testing with Python",
        "2009-07-18",
        False,
        (
            "functional testing",
            "programming",
            "py.test",
            "python",
            "unit testing",
            "xml",
        ),
    ),
    SeedPost(
        "Weekend Project - CloudCached",
        "2009-06-20",
        False,
        ("Amazon Web Services", "aws", "cache", "python", "s3"),
    ),
    SeedPost(
        "Python unit testing super fun time",
        "2009-03-03",
        True,
        ("py.test", "python", "unit testing"),
    ),
    SeedPost(
        "Python static class members and You",
        "2008-10-15",
        True,
        ("programming", "python"),
    ),
    SeedPost(
        "HTMLParser, not for the faint of heart",
        "2008-09-10",
        True,
        ("python", "trade secrets"),
    ),
    SeedPost(
        "1d Fokker-Plank equation",
        "2008-04-20",
        True,
        ("School", "math", "pde", "python", "scipy"),
    ),
)

SEED_TAGS = sorted({tag.lower() for post in SEED_POSTS for tag in post.tags})


def posts_tagged(tag: str) -> set[str]:
    return {post.title for post in SEED_POSTS if tag in map(str.lower, post.tags)}
