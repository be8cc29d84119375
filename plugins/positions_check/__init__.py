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
    """The pages and feeds this build wrote, and what each was made from."""

    def __init__(self):
        self.pages: dict[str, str | None] = {}

    def reset(self, pelican=None):
        self.pages.clear()

    def content(self, path, context=None, **_):
        if str(path).endswith((".html", ".htm", ".xml")):
            made_from = (context or {}).get("article") or (context or {}).get("page")
            source = getattr(made_from, "source_path", None)
            self.pages[str(Path(path).resolve())] = shown(source) if source else None


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
    problems = checker.run(pages, written.pages, shown)
    seconds = time.perf_counter() - started
    for problem in problems:
        logger.error("%s", problem)
    logger.info(
        "positions check: %d pages in %.2f s, %d problems",
        len(pages),
        seconds,
        len(problems),
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
