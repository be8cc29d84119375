"""Feeds with absolute links and ids, and approximate dates said.

Pelican makes an entry's link and id from ``SITEURL``, which is empty in
development: links were ``/2009/...`` and ids ``tag:None,...``; and it copies
the post's HTML as it is, so a ``#fragment`` link (a heading's ¶) pointed at
the feed, and ``/figures/...`` at the reader's host. Here, once Pelican has
made a feed (``feed_generated``) and before it is written:

- the feed's link is the site's absolute address and its id the feed's own
  URL (every feed had the id ``/``, or the site's address, before);
- each entry's link is absolute, its id the tag: URI of that link on the
  site's own host (``tag:localhost,2010-08-06:/2010/08/...`` in development;
  in production the same ids Pelican made before), and in RSS its ``guid``
  says ``isPermaLink="false"``: a tag: URI is no address to open;
- every ``href``, ``src``, ``srcset`` and ``poster`` of an entry's content and
  summary is resolved against the post's absolute URL (one Python cannot
  parse, ``http://[oops/``, is left as written: the positions check
  reports it in the post's page);
- the content and summary of a post whose date is approximate start by
  saying so.
"""

import html
import re
from urllib.parse import urljoin

from feedgenerator import Rss201rev2Feed, get_tag_uri

from tagpositions.scraper import BrowserLikeParser, line_starts

LINK_ATTRIBUTES = ("href", "src", "srcset", "poster")
# Text without this has no link attribute with a value for the parser to
# find (attribute names are case-insensitive; space may surround the "=").
MAY_LINK = re.compile(r"(?:href|src|srcset|poster)\s*=", re.IGNORECASE)
MAY_ID = re.compile(r"\bid\s*=", re.IGNORECASE)
APPROXIMATE = (
    '<p class="approximate-date"><em>The date of this post is approximate: '
    "the original blog did not keep it.</em></p>"
)

# absolute post URL -> whether its date is approximate, for each build
approximate_dates: dict[str, bool] = {}


def approximate(content) -> bool:
    """Whether a post's date is approximate (``Date_approximate: yes``)."""
    value = getattr(content, "date_approximate", None)
    if isinstance(value, str):
        return value.strip().lower() in ("yes", "true", "on", "1")
    return bool(value)


def remember_posts(generator) -> None:
    siteurl = generator.settings["ABSOLUTE_SITEURL"]
    for article in generator.articles:
        for post in (article, *getattr(article, "translations", ())):
            approximate_dates[joined(siteurl + "/", post.url)] = approximate(post)


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


def absolute_url(base: str, url: str, attribute: str) -> str:
    if attribute == "srcset":  # "a.png 1x, b.png 2x"
        candidates = []
        for candidate in url.split(","):
            parts = candidate.split()
            if parts:
                candidates.append(" ".join([joined(base, parts[0]), *parts[1:]]))
        return ", ".join(candidates)
    return joined(base, url.strip())


def absolute_links(
    text: str, base: str, without_ids: bool = False, fragments_only: bool = False
) -> str:
    """``text`` (HTML) with every link and source resolved against ``base``,
    an absolute URL: ``#frag`` becomes ``base#frag``, ``/x`` the site's
    ``/x``. Tags without a relative link are left as they were written.
    ``without_ids``: and no ``id``, for text shown on another page than
    its own, which holds those ids already; ``fragments_only``: only the
    ``#frag`` links are resolved (with ``RELATIVE_URLS`` Pelican makes the
    others relative to the page that shows the text)."""
    if not MAY_LINK.search(text) and not (without_ids and MAY_ID.search(text)):
        # Parsing costs about 20 µs a tag, and a highlighted block is
        # hundreds of <span>s: an entry without a single link skips it.
        return text
    pieces, done = [], 0
    for offset, raw, name, attrs in StartTags(text).tags:
        changed = [
            (key, absolute_url(base, value, key))
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


def absolute_link(link: str, context: dict) -> str:
    """An entry's link as Pelican made it (``SITEURL`` + the post's URL;
    ``/`` + the URL when ``SITEURL`` is empty), made absolute."""
    siteurl = context["ABSOLUTE_SITEURL"]
    made_with = (context.get("SITEURL") or "").rstrip("/") + "/"
    if link.startswith(made_with):
        return f"{siteurl}/{link[len(made_with) :]}"
    return joined(siteurl + "/", link)


def fix_feed(context, feed) -> None:
    siteurl = context["ABSOLUTE_SITEURL"]
    feed.feed["link"] = siteurl + "/"
    feed.feed["id"] = feed.feed.get("feed_url") or siteurl + "/"
    rss = isinstance(feed, Rss201rev2Feed)
    for item in feed.items:
        link = absolute_link(item["link"], context)
        item["link"] = link
        item["unique_id"] = get_tag_uri(link, item["pubdate"])
        if rss:
            item["unique_id_is_permalink"] = False
        for field in ("description", "content"):
            if item.get(field):
                if context.get("RELATIVE_URLS"):
                    # Pelican made the entry's links relative to the site's
                    # root, but for its fragments (relative to the post)
                    text = absolute_links(item[field], link, fragments_only=True)
                    text = absolute_links(text, siteurl + "/")
                else:
                    text = absolute_links(item[field], link)
                if approximate_dates.get(link.split("?", 1)[0]):
                    text = APPROXIMATE + text
                item[field] = text
