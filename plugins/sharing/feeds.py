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

from feedgenerator import Rss201rev2Feed, get_tag_uri

from . import shown_elsewhere
from .links import absolute_links, joined

APPROXIMATE = (
    '<p class="approximate-date"><em>The date of this post is approximate: '
    "the original blog did not keep it.</em></p>"
)

# absolute post URL -> whether its date is approximate, and the post, for
# each build
approximate_dates: dict[str, bool] = {}
posts: dict[str, object] = {}


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
            address = joined(siteurl + "/", post.url)
            approximate_dates[address] = approximate(post)
            posts[address] = post


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
        address = link.split("?", 1)[0]  # (FEED_APPEND_REF's ?ref=feed)
        post = posts.get(address)
        for field in ("description", "content"):
            if item.get(field):
                text = entry_text(item[field], link, post, context)
                if approximate_dates.get(address):
                    text = APPROXIMATE + text
                item[field] = text


def entry_text(shown: str, link: str, post, context: dict) -> str:
    """An entry's content or summary, every link absolute, leading where it
    did on the post's page."""
    siteurl = context["ABSOLUTE_SITEURL"]
    made_on = context.get("SITEURL") or ""
    text = post and shown_elsewhere.marked(post, shown, made_on)
    if text:
        return shown_elsewhere.rebased(text, post.url, siteurl)
    if context.get("RELATIVE_URLS"):
        # Pelican made its links relative to the site's root, and the
        # author's relative to the post cannot be told from them here
        text = absolute_links(shown, link, fragments_only=True)
        return absolute_links(text, siteurl + "/")
    return absolute_links(shown, link)
