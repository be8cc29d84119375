"""The wiring, the site's absolute address and each post's shared image."""

import logging
import re
import sys
from urllib.parse import urljoin, urlsplit

from pelican import signals
from tagpositions.scraper import BrowserLikeParser

from . import feeds, shown_elsewhere, sitemap
from .urls import absolute_siteurl, page_url

logger = logging.getLogger(__name__)

# What Open Graph and Twitter cards show (no SVG, no video).
IMAGE_TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
# HTML without this holds no <figure> (tag names are case-insensitive).
MAY_HAVE_FIGURE = re.compile(r"<figure[\s>/]", re.IGNORECASE)


class FigureImages(BrowserLikeParser):
    """The images inside ``<figure>`` elements, in order: (src, alt, width,
    height) each."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.found: list[tuple[str, str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "figure":
            self.depth += 1
        elif tag == "img" and self.depth:
            values = dict(attrs)
            names = ("src", "alt", "width", "height")
            self.found.append(tuple(values.get(name) or "" for name in names))

    def handle_endtag(self, tag):
        if tag == "figure" and self.depth:
            self.depth -= 1


def figure_images(html: str) -> list[tuple[str, str, str, str]]:
    if not MAY_HAVE_FIGURE.search(html):
        # Parsing costs about 20 µs a tag, and a highlighted block is
        # hundreds of <span>s: a post without a figure skips it.
        return []
    parser = FigureImages()
    parser.feed(html)
    parser.close()
    return parser.found


def raster_of(url: str) -> str | None:
    """A PNG of an SVG figure, when ``executable_posts`` drew it."""
    engine = sys.modules.get("pelican.plugins.executable_posts.wiring")
    return engine.raster_url(url) if engine is not None else None


def share_image(content, siteurl: str) -> dict | None:
    """The first figure of ``content`` in a format social sites show, as
    absolute URL, alt text, size and type; None if it has none."""
    base = page_url(siteurl, content.save_as)
    for src, alt, width, height in figure_images(content.content):
        try:
            extension = urlsplit(src).path.rsplit(".", 1)[-1].lower()
        except ValueError:  # "http://[oops/a.png": the positions check says so
            continue
        if extension == "svg":
            src, extension = raster_of(src), "png"
            if src is None:
                continue
        if extension not in IMAGE_TYPES:
            continue
        return {
            "url": urljoin(base, src),
            "alt": alt,
            "width": width,
            "height": height,
            "type": IMAGE_TYPES[extension],
        }
    return None


def set_up(pelican) -> None:
    """The site's absolute address for every page, and for the feeds unless
    the site gave them a domain of their own (one other than the address
    SITEURL overrode, which a production settings file inherits)."""
    settings = pelican.settings
    given = (settings.get("ABSOLUTE_SITEURL") or "").rstrip("/")
    settings["ABSOLUTE_SITEURL"] = absolute_siteurl(settings)
    if (settings.get("FEED_DOMAIN") or "").rstrip("/") in ("", given):
        settings["FEED_DOMAIN"] = settings["ABSOLUTE_SITEURL"]


def add_template_helpers(generator) -> None:
    """Templates ask ``article is approximate_date`` as the feeds do, and
    show a post's summary on other pages through ``listed_summary``."""
    generator.env.tests["approximate_date"] = feeds.approximate
    generator.env.filters["listed_summary"] = listed_summary


def listed_summary(post, siteurl: str, relative_urls: bool = False) -> str:
    """A post's summary on a list of posts: its links lead where they did
    on the post's page (a footnote's ``#fn:1`` led nowhere on the list, and
    with ``RELATIVE_URLS`` so did a link the author wrote relative to the
    post) and it holds no id (two posts' ``fnref:1`` were one id twice).
    What it gives is kept on the post, ``listed_summaries``: the positions
    check finds it on the lists, to report a broken link of a summary once,
    at its post, not once a list."""
    shown = post.summary
    text = shown_elsewhere.marked(post, shown, siteurl)
    if text is not None:
        listed = shown_elsewhere.rebased(text, post.url, siteurl, without_ids=True)
    else:
        # (a summary Pelican's functions do not make again, another
        # plugin's): with RELATIVE_URLS Pelican made its links for the
        # list's page already
        listed = feeds.absolute_links(
            shown,
            f"{siteurl}/{post.url}",
            without_ids=True,
            fragments_only=relative_urls,
        )
    if "listed_summaries" not in vars(post):
        post.listed_summaries = set()
    post.listed_summaries.add(listed)
    return listed


def find_images(generators) -> None:
    """Every post's and page's ``share_image``, before anything is written
    (so the PNG of an SVG figure is written with the other figures)."""
    for generator in generators:
        siteurl = generator.settings["ABSOLUTE_SITEURL"]
        for name in ("articles", "drafts", "pages", "hidden_pages", "draft_pages"):
            for content in getattr(generator, name, None) or []:
                content.share_image = share_image(content, siteurl)


def register():
    signals.initialized.connect(set_up)
    signals.generator_init.connect(add_template_helpers)
    signals.all_generators_finalized.connect(find_images)
    signals.article_generator_finalized.connect(feeds.remember_posts)
    signals.feed_generated.connect(feeds.fix_feed)
    signals.content_written.connect(sitemap.pages.written)
    signals.static_generator_finalized.connect(sitemap.pages.static_files)
    signals.finalized.connect(sitemap.write)
