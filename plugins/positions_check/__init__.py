"""Positions check: after Pelican writes the site, scrape every page and feed
it wrote, with a parser that knows the absolute position of every tag, and
report each problem at its place, ``output/<page>:<line>:<column>``.

Checked: every internal link and image (a, img, link, script, source, ...)
resolves to a file of the output, every #fragment to an id of its page,
every image has alt text, no id is used twice on a page, and nothing is
linked to or loaded from another host unless a setting allows it
(``EXTERNAL_LINK_HOSTS`` for links, ``EXTERNAL_RESOURCE_HOSTS`` for the
rest). A URL that browsers would read otherwise than the check (one with a
backslash, whitespace or a control character, or three slashes where the
host goes) is a problem, and so are javascript: and vbscript: URLs, data:
URLs in links, frames and scripts, URLs Python cannot parse, and a ``<![``
other than ``<![CDATA[`` (browsers read it as a comment, hiding what
follows up to the next ">"). mailto: and tel: links are not checked.
Each scraped position is verified against the text: one that does
not point at its tag is a scraper bug and fails the build too.

A problem in a post's summary (the text the ``sharing`` plugin's
``listed_summary`` shows on the lists of posts: index, tag, category,
author pages...) is the post's: it is reported once, at the post's page
(and source), naming the lists whose copy of the summary has it too, not
once a list; a problem only a list has (its template's) is the list's.

Problems are logged as errors (so ``executable_posts``' error gate fails the
build) and, with the setting ``POSITIONS_REPORT`` or the environment
variable of that name (which wins), written as JSON.
"""

import json
import logging
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from executable_blocks.paths import shown
from pelican import signals
from pelican.plugins.executable_posts.settings import configured

from .site_check import Problem, SiteCheck

__all__ = ["Problem", "SiteCheck", "check_arguments", "register"]

logger = logging.getLogger(__name__)


class Written:
    """The pages and feeds this build wrote, what each was made from, and
    the posts each list of posts shows."""

    def __init__(self):
        self.pages: dict[str, str | None] = {}
        self.posts: dict[str, object] = {}  # a post's page -> the post
        self.lists: dict[str, list] = {}  # a list's page -> the posts it shows

    def reset(self, pelican=None):
        self.pages.clear()
        self.posts.clear()
        self.lists.clear()

    def content(self, path, context=None, **_):
        if str(path).endswith((".html", ".htm", ".xml")):
            context = context or {}
            made_from = context.get("article") or context.get("page")
            source = getattr(made_from, "source_path", None)
            page = str(Path(path).resolve())
            self.pages[page] = shown(source) if source else None
            if context.get("article") is not None:
                self.posts[page] = made_from
            # (Pelican's page of a paginated list: the index, a tag's,
            # category's or author's posts; the theme shows their summaries)
            listed = context.get("articles_page")
            if listed is not None:
                self.lists[page] = list(listed.object_list)

    def summaries(self) -> dict[str, dict[str, set[str]]]:
        """A list's page -> the page of each post it shows -> that post's
        summary as the lists showed it, which the ``sharing`` plugin's
        ``listed_summary`` keeps on the post (read once every page is
        written: a post's own page may be written before its lists)."""
        pages = {post: page for page, post in self.posts.items()}
        return {
            page: {
                pages[post]: post.listed_summaries
                for post in posts
                if post in pages and getattr(post, "listed_summaries", None)
            }
            for page, posts in self.lists.items()
        }


written = Written()


def check_arguments(settings: dict) -> dict:
    """SiteCheck's arguments from a site's settings (also the benchmark's)."""
    return {
        "own_origins": [settings.get("SITEURL", ""), settings.get("FEED_DOMAIN") or ""],
        "link_hosts": list(settings.get("EXTERNAL_LINK_HOSTS", [])),
        "resource_hosts": list(settings.get("EXTERNAL_RESOURCE_HOSTS", [])),
        "site_path": urlsplit(settings.get("SITEURL", "")).path,
    }


def check(pelican) -> None:
    # Blinker calls finalized receivers in no set order: files a plugin
    # writes then (the search index) must exist before the check.
    search = sys.modules.get("pagefind_search.plugin")
    if search is not None:
        search.index_written_site(pelican)
    settings = pelican.settings
    started = time.perf_counter()
    checker = SiteCheck(Path(pelican.output_path), **check_arguments(settings))
    pages = sorted(written.pages)
    problems = checker.run(pages, written.pages, shown, written.summaries())
    seconds = time.perf_counter() - started
    for problem in problems:
        logger.error("%s", problem)
    copies = sum(len(problem.also_on) for problem in problems)
    logger.info(
        "positions check: %d pages in %.2f s, %d problems%s",
        len(pages),
        seconds,
        len(problems),
        f" (and {copies} copies of them in summaries on lists)" if copies else "",
    )
    report = configured(settings, "POSITIONS_REPORT")
    if report:
        Path(report).parent.mkdir(parents=True, exist_ok=True)
        Path(report).write_text(
            json.dumps(
                {
                    "pages": len(pages),
                    "seconds": round(seconds, 3),
                    "problems": [
                        {
                            "page": p.path,
                            "line": p.line,
                            "column": p.column,
                            "problem": p.message,
                            "source": p.source,
                            "also_on": list(p.also_on),
                        }
                        for p in problems
                    ],
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )


def register():
    signals.initialized.connect(written.reset)
    signals.content_written.connect(written.content)
    signals.feed_written.connect(written.content)
    signals.finalized.connect(check)
