"""Every page, feed, stylesheet and SVG image of the built site, checked by the
current Nu Html Checker (``vnu.jar``, pinned in ``tests/nu-checker/``) on
Debian's Java. Its errors fail the tests, each as ``path:line:col: message``
with the checker's extract; its warnings show in pytest's warnings summary.

The checker starts once for the session (a JVM start costs seconds), over
all the files at once, together with a few broken files of the test's own
(``canary``) whose errors must come out at the places written down here, so
a run that checked nothing, or misplaced what it found, cannot pass.

Skipped without Java or the jar (with what to install), unless
``REQUIRE_NU_CHECKER=1``, as in ``.ci/run``, which makes that a failure."""

import re
import warnings
from pathlib import Path

import pytest
from lxml import etree

import pelicanconf
from nu_checker import (
    Checker,
    FeedDocument,
    Report,
    Unavailable,
    Unchecked,
    describe,
    feed_documents,
    find_checker,
    required,
    run,
    shown,
)
from seed import SEED_POSTS

ATOM = "http://www.w3.org/2005/Atom"

# Warnings that say nothing about the site. Each needs its reason.
IGNORED_WARNINGS = [
    # Matplotlib writes Dublin Core metadata (creator, date) into every SVG
    # figure as RDF, which the checker leaves alone and says so.
    (r"\.svg$", r"^This validator does not validate RDF\."),
]


class NuCheckerWarning(UserWarning):
    """A warning of the Nu Html Checker about a file of the site."""


# The test's own broken files; each error below must come out, in that place.
CANARY_HTML = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Canary</title></head>
<body>
<p>A <frob>made-up</frob> element.</p>
</body>
</html>
"""
CANARY_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1">
<frob/>
</svg>
"""
CANARY_CSS = """p {
  colour: red;
}
"""
CANARY_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Canary</title><id>urn:canary</id><updated>2010-01-01T00:00:00Z</updated>
<entry><title>Fine</title><id>urn:canary:1</id><updated>2010-01-01T00:00:00Z</updated>
<content type="html">&lt;p&gt;Nothing wrong.&lt;/p&gt;</content></entry>
<entry><title>Broken</title><id>urn:canary:2</id><updated>2010-01-01T00:00:00Z</updated>
<summary type="html">&lt;p&gt;Fine here.&lt;/p&gt;</summary>
<content type="html">&lt;p&gt;One,
two &lt;frob&gt;three&lt;/frob&gt;.&lt;/p&gt;</content></entry>
</feed>
"""
CANARY_RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Canary</title><link>/</link>
<description>Canary</description>
<item><title>Broken</title><link>/broken/</link><description>&lt;p&gt;One,
two &lt;frob&gt;three&lt;/frob&gt;.&lt;/p&gt;</description></item>
</channel></rss>
"""
CANARY_MALFORMED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Canary</feed>
"""
CANARY_ERRORS = {
    "bad.html": "output/bad.html:5:6: error: Element “frob” not allowed as child of element “p”",  # noqa: E501
    "bad.svg": "output/bad.svg:2:1: error: Element “frob” not allowed as child of element “svg”",  # noqa: E501
    # (the checker places a CSS error at the value, "red", not the property)
    "bad.css": "output/bad.css:2:11: error: CSS: “colour”: Property “colour” doesn't exist.",  # noqa: E501
    "bad.atom.xml": 'output/feeds/bad.atom.xml:8: entry 2 "Broken", <content type="html">, line 2, column 5 of its HTML: error: Element “frob” not allowed as child of element “p”',  # noqa: E501
    # the same HTML in another feed is told once, with the other feed named
    "bad.rss.xml": "    (the same entry in 1 more feed: output/feeds/bad.rss.xml)",
    "malformed.atom.xml": "output/feeds/malformed.atom.xml: not well-formed XML: Opening and ending tag mismatch: title line 2 and feed",  # noqa: E501
}


class Checked:
    """What the session's checker runs found, for one directory of files."""

    def __init__(self, root: Path, report: Report, feeds, broken_feeds):
        self.root = root
        self.report = report
        self.feeds: dict[Path, list[FeedDocument]] = feeds
        self.broken_feeds: dict[Path, str] = broken_feeds

    def problems(self, files: list[Path]) -> tuple[list[str], list[str]]:
        """Errors and warnings about ``files``, described; every one of the
        files must have been checked."""
        unchecked = [shown(path, self.root) for path in files if path.resolve()
                     not in self.report.checked]  # fmt: skip
        assert not unchecked, f"never given to the checker: {unchecked}"
        errors, warned = [], []
        for path in files:
            for message in self.report.of(path):
                if message.is_error:
                    errors.append(describe(message, self.root))
                elif message.kind == "warning" and not ignored(path, message.text):
                    warned.append(describe(message, self.root))
        return errors, warned

    def feed_problems(self) -> tuple[list[str], list[str]]:
        """Errors and warnings about the feeds' entries, described. A post is
        an entry of several feeds (all, its category's, each tag's): the same
        message about the same HTML is told once, naming the other feeds."""
        told: dict[tuple, tuple[bool, str, list[str]]] = {}  # in order found
        for documents in self.feeds.values():
            for document in documents:
                assert document.document.resolve() in self.report.checked
                for message in self.report.of(document.document):
                    if not message.is_error and (
                        message.kind != "warning"
                        or ignored(document.feed, message.text)
                    ):
                        continue
                    key = (document.html, message.text, message.line, message.column)
                    if key in told:
                        told[key][2].append(shown(document.feed, self.root))
                    else:
                        described = document.describe(message, self.root)
                        told[key] = (message.is_error, described, [])
        errors, warned = list(self.broken_feeds.values()), []
        for is_error, described, others in told.values():
            if others:
                feeds = "feed" if len(others) == 1 else "feeds"
                described += (
                    f"\n    (the same entry in {len(others)} more {feeds}: "
                    + ", ".join(others)
                    + ")"
                )
            (errors if is_error else warned).append(described)
        return errors, warned


def ignored(path: Path, text: str) -> bool:
    return any(
        re.search(where, path.name) and re.search(what, text)
        for where, what in IGNORED_WARNINGS
    )


def stylesheets(root: Path) -> list[Path]:
    """The site's own stylesheets: the theme's (static and generated)."""
    return sorted((root / "theme").rglob("*.css"))


def feeds_of(root: Path, scratch: Path, lang: str):
    """Every Atom and RSS feed under ``root``, as documents made of their
    entries' HTML, and every XML file that is not well-formed (or holds HTML
    this cannot check), described."""
    feeds, broken = {}, {}
    for number, path in enumerate(sorted(root.rglob("*.xml"))):
        try:
            kind = etree.parse(str(path)).getroot().tag
        except etree.XMLSyntaxError as error:
            broken[path] = f"{shown(path, root)}: not well-formed XML: {error}"
            continue
        if kind not in (f"{{{ATOM}}}feed", "rss"):
            continue  # another kind of XML (a sitemap, say): not a feed
        into = scratch / f"{number:03d}"
        into.mkdir(parents=True)
        try:
            feeds[path] = feed_documents(path, into, lang)
        except Unchecked as error:
            broken[path] = f"{shown(path, root)}:{error.line}: {error}"
    return feeds, broken


def write_canary(root: Path) -> None:
    (root / "feeds").mkdir(parents=True)
    (root / "bad.html").write_text(CANARY_HTML, encoding="utf-8")
    (root / "bad.svg").write_text(CANARY_SVG, encoding="utf-8")
    (root / "bad.css").write_text(CANARY_CSS, encoding="utf-8")
    (root / "feeds" / "bad.atom.xml").write_text(CANARY_FEED, encoding="utf-8")
    (root / "feeds" / "bad.rss.xml").write_text(CANARY_RSS, encoding="utf-8")
    (root / "feeds" / "malformed.atom.xml").write_text(
        CANARY_MALFORMED, encoding="utf-8"
    )


@pytest.fixture(scope="session")
def nu_checker() -> Checker:
    """Java and the pinned ``vnu.jar`` (``npm ci`` in ``tests/nu-checker`` if
    the jar is missing and npm is there)."""
    try:
        return find_checker()
    except Unavailable as error:
        if required():
            pytest.fail(f"REQUIRE_NU_CHECKER=1, but {error}", pytrace=False)
        pytest.skip(str(error))


@pytest.fixture(scope="session")
def nu_checked(nu_checker, site, tmp_path_factory) -> tuple[Checked, Checked]:
    """The site and the canary, checked in one run for the pages, feeds and
    SVG images and one for the stylesheets, the two at the same time.

    (Stylesheets get a run of their own with ``--css``: with
    ``--also-check-css`` the checker of 26.9.27 reports every line of an HTML
    document one too low.)"""
    scratch = tmp_path_factory.mktemp("nu-checker")
    canary_root = scratch / "canary" / "output"
    write_canary(canary_root)
    lang = pelicanconf.DEFAULT_LANG
    site_feeds, site_broken = feeds_of(site.output, scratch / "site-feeds", lang)
    canary_feeds, canary_broken = feeds_of(canary_root, scratch / "canary-feeds", lang)
    documents = [
        *site.html_pages(),
        *sorted(site.output.rglob("*.svg")),
        *[doc.document for docs in site_feeds.values() for doc in docs],
        canary_root / "bad.html",
        canary_root / "bad.svg",
        *[doc.document for docs in canary_feeds.values() for doc in docs],
    ]
    css = [*stylesheets(site.output), canary_root / "bad.css"]
    report = run(nu_checker, [(documents, ("--also-check-svg",)), (css, ("--css",))])
    return (
        Checked(site.output, report, site_feeds, site_broken),
        Checked(canary_root, report, canary_feeds, canary_broken),
    )


def fail_on(kind: str, errors: list[str], warned: list[str], checked: int) -> None:
    for warning in warned:
        warnings.warn(NuCheckerWarning(warning), stacklevel=2)
    if errors:
        pytest.fail(
            f"the Nu Html Checker found {len(errors)} errors in the site's {kind} "
            f"({checked} checked):\n" + "\n".join(errors),
            pytrace=False,
        )


def test_the_nu_checker_reports_errors_at_their_place(nu_checked):
    """The canary's broken files, checked in the same runs as the site."""
    _, canary = nu_checked
    files = sorted(canary.root.glob("bad.*"))
    errors, _ = canary.problems(files)
    feed_errors, _ = canary.feed_problems()
    found = errors + feed_errors
    for name, expected in CANARY_ERRORS.items():
        assert any(
            error.startswith(expected) or f"\n{expected}" in error for error in found
        ), f"{name}: expected {expected!r}, the checker said:\n" + "\n".join(found)
    # the entry without errors brought none, and an extract shows the place
    assert not [error for error in feed_errors if '"Fine"' in error]
    html_error = next(e for e in errors if e.startswith("output/bad.html:5:6:"))
    assert "\n    " in html_error and "<frob>" in html_error and "^" in html_error


def test_every_html_page_passes_the_nu_checker(nu_checked, site):
    checked, _ = nu_checked
    pages = site.html_pages()
    assert len(pages) > len(SEED_POSTS)
    fail_on("pages", *checked.problems(pages), len(pages))


def test_every_feed_passes_the_nu_checker(nu_checked, site):
    """Every feed is well-formed XML and the HTML of every entry is valid as
    the body of an HTML document (Atom: each ``type="html"`` text construct;
    RSS: each item's ``description``)."""
    checked, _ = nu_checked
    feeds = checked.feeds
    assert len(feeds) > 2 and site.output / "feeds" / "all.atom.xml" in feeds
    assert site.output / "feeds" / "all.rss.xml" in feeds
    documents = [doc for docs in feeds.values() for doc in docs]
    # every post's summary and content in the Atom feed, its description in RSS
    assert len(feeds[site.output / "feeds" / "all.atom.xml"]) == 2 * len(SEED_POSTS)
    assert len(feeds[site.output / "feeds" / "all.rss.xml"]) == len(SEED_POSTS)
    errors, warned = checked.feed_problems()
    fail_on("feeds", errors, warned, len(documents))


def test_every_stylesheet_passes_the_nu_checker(nu_checked, site):
    checked, _ = nu_checked
    css = stylesheets(site.output)
    assert {path.name for path in css} >= {"style.css", "pygments.css"}
    fail_on("stylesheets", *checked.problems(css), len(css))


def test_every_svg_image_passes_the_nu_checker(nu_checked, site):
    """The favicon and the figures the posts draw."""
    checked, _ = nu_checked
    images = sorted(site.output.rglob("*.svg"))
    assert len(images) > 1
    fail_on("SVG images", *checked.problems(images), len(images))
