"""A piece of a page's HTML with its links resolved against another
address: what a post's text needs to lead where it did when it is shown
elsewhere (a list of posts, a feed entry)."""

import html
import re
from urllib.parse import urljoin

from tagpositions.scraper import BrowserLikeParser, line_starts

LINK_ATTRIBUTES = ("href", "src", "srcset", "poster")
# Text without this has no link attribute with a value for the parser to
# find (attribute names are case-insensitive; space may surround the "=").
MAY_LINK = re.compile(r"(?:href|src|srcset|poster)\s*=", re.IGNORECASE)
MAY_ID = re.compile(r"\bid\s*=", re.IGNORECASE)


class StartTags(BrowserLikeParser):
    """The start tags of a document: offset, raw text, name and attributes."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.starts = line_starts(text)
        self.tags: list[tuple[int, str, str, list]] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        line, column = self.getpos()
        raw = self.get_starttag_text() or ""
        self.tags.append((self.starts[line - 1] + column, raw, tag, attrs))

    handle_startendtag = handle_starttag


def joined(base: str, url: str) -> str:
    """``url`` resolved against ``base``; as written if it is no URL
    (``http://[oops/`` in a post, or its ``URL:``), which the positions
    check then reports where a page holds it."""
    try:
        return urljoin(base, url)
    except ValueError:
        return url


def absolute_url(base: str, url: str, attribute: str, then=None) -> str:
    """``url`` (a ``srcset``'s every candidate) resolved against ``base``,
    and given to ``then`` if set."""

    def resolved(one: str) -> str:
        return then(joined(base, one)) if then else joined(base, one)

    if attribute == "srcset":  # "a.png 1x, b.png 2x"
        candidates = []
        for candidate in url.split(","):
            parts = candidate.split()
            if parts:
                candidates.append(" ".join([resolved(parts[0]), *parts[1:]]))
        return ", ".join(candidates)
    return resolved(url.strip())


def absolute_links(
    text: str,
    base: str,
    without_ids: bool = False,
    fragments_only: bool = False,
    then=None,
) -> str:
    """``text`` (HTML) with every link and source resolved against ``base``,
    an absolute URL: ``#frag`` becomes ``base#frag``, ``/x`` the site's
    ``/x``. Tags without a relative link are left as they were written.
    ``without_ids``: and no ``id``, for text shown on another page than
    its own, which holds those ids already; ``fragments_only``: only the
    ``#frag`` links are resolved (with ``RELATIVE_URLS`` Pelican makes the
    others relative to the page that shows the text); ``then``: a function
    each resolved link is given to, whose result is written."""
    if not MAY_LINK.search(text) and not (without_ids and MAY_ID.search(text)):
        # Parsing costs about 20 µs a tag, and a highlighted block is
        # hundreds of <span>s: an entry without a single link skips it.
        return text
    pieces, done = [], 0
    for offset, raw, name, attrs in StartTags(text).tags:
        changed = [
            (key, absolute_url(base, value, key, then))
            if key in LINK_ATTRIBUTES
            and value is not None
            and (not fragments_only or value.startswith("#"))
            else (key, value)
            for key, value in attrs
            if not (without_ids and key == "id")
        ]
        if changed == attrs or text[offset : offset + len(raw)] != raw:
            continue
        written = "".join(
            f" {key}" if value is None else f' {key}="{html.escape(value)}"'
            for key, value in changed
        )
        closing = "/>" if raw.endswith("/>") else ">"
        pieces += [text[done:offset], f"<{name}{written}{closing}"]
        done = offset + len(raw)
    pieces.append(text[done:])
    return "".join(pieces)
