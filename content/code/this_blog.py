"""The blog's own posts, for the posts that look at themselves."""

import re
from pathlib import Path

import markdown

RUN_OPTIONS = re.compile(r"^(`{3,}|~{3,})python .*$", re.MULTILINE)
CLAIMS = re.compile(r"^(`{3,})output.*?\n.*?^\1\n", re.MULTILINE | re.DOTALL)

POSTS = Path(__file__).resolve().parent.parent / "posts"


def article_html(slug: str) -> str:
    """The article of ``content/posts/<slug>.md`` as HTML, rendered from its
    Markdown: without its metadata header, and without what its blocks print
    or claim to print (a block cannot read the page it is part of before it
    is made)."""
    text = (POSTS / f"{slug}.md").read_text(encoding="utf-8")
    _, _, body = text.partition("\n\n")
    body = CLAIMS.sub("", body)  # what blocks print is not in the article yet
    body = RUN_OPTIONS.sub(r"\1python", body)  # plain fenced code, as shown
    return markdown.markdown(
        body, extensions=["extra", "codehilite"], output_format="html"
    )
