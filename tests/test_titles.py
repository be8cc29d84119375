"""Titles as their reader made them (plugins/titles): HTML for
reStructuredText and HTML posts and for typogrify's output, kept to
phrasing markup; text for Markdown posts. No entity is shown escaped twice,
no markup of a stranger's reaches a page."""

from types import SimpleNamespace

import pytest

from helpers import BuiltSite, build_site, built_once, write_site
from titles import phrasing_markup, title_html, title_text


def content(title: str, reader: str = "markdown", **settings) -> SimpleNamespace:
    return SimpleNamespace(title=title, reader=reader, settings=settings)


def test_markdown_title_is_text():
    """Pelican's Markdown reader keeps a title as written: text."""
    title = "Why x<y> & <b>bold</b>"
    assert title_html(content(title)) == "Why x&lt;y&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    assert title_text(content(title)) == title


def test_rst_title_entity_is_shown_once():
    """docutils escapes ``&`` in a title: printed as HTML, it reads ``&``."""
    title = "Fish &amp; chips, <code>x &lt; y</code>"
    assert title_html(content(title, "rst")) == title
    assert title_text(content(title, "rst")) == "Fish & chips, x < y"


def test_typogrify_makes_a_markdown_title_html():
    """typogrify's entities and spans in a Markdown title are markup."""
    title = '<span class="dquo">&#8220;</span>Q&amp;A&#8221;'
    shown = title_html(content(title, TYPOGRIFY=True))
    assert shown == '<span class="dquo">\u201c</span>Q&amp;A\u201d'
    assert title_text(content(title, TYPOGRIFY=True)) == "\u201cQ&A\u201d"


def test_docutils_tt_becomes_code():
    assert phrasing_markup("<tt>x</tt>") == "<code>x</code>"


@pytest.mark.parametrize(
    "fragment, kept",
    [
        ("a<script>alert(1)</script>b", "ab"),
        ("a<style>*{}</style>b", "ab"),
        ('<img src=x onerror="alert(1)">t', "t"),
        ('<em onclick="alert(1)" style="x">t</em>', "<em>t</em>"),
        ('<a href="javascript:alert(1)">t</a>', "t"),
        ('<span class="caps" id="x">NASA</span>', '<span class="caps">NASA</span>'),
        ('<abbr title="a &quot; b">AB</abbr>', '<abbr title="a &#34; b">AB</abbr>'),
        ("<em>open", "<em>open</em>"),
        ("<em><code>x</em>y", "<em><code>x</code></em>y"),
        ("x</code>y", "xy"),
        ("<svg><title>t</title></svg>u", "u"),
    ],
)
def test_only_phrasing_markup_is_kept(fragment, kept):
    """An HTML title keeps inline text markup; elements, attributes and
    handlers that could act, link, load or restyle are dropped."""
    assert phrasing_markup(fragment) == kept


RST_POST = """\
Fish & chips, ``x < y``
#######################

:date: 2009-07-19
:category: Test
:slug: fish

Body.
"""
HTML_POST = """\
<html><head><title>Q&amp;A &lt;now&gt; &#8212; &copy;</title>
<meta name="date" content="2009-07-17"><meta name="category" content="Test">
<meta name="slug" content="qa"></head><body><p>Body.</p></body></html>
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> BuiltSite:
    def build(directory):
        posts = write_site(directory, {"plain": "Body.\n"}) / "posts"
        (posts / "fish.rst").write_text(RST_POST)
        (posts / "qa.html").write_text(HTML_POST)
        return build_site(posts.parent, directory / "output")

    directory, built = built_once(tmp_path_factory, "rst-html-titles", build)
    assert built.returncode == 0, built.stdout + built.stderr
    return BuiltSite(directory / "output", built)


def test_rst_title_reads_as_written_on_its_page_and_lists(site):
    """On its page, the lists and its neighbour's links: ``&`` once, its
    inline literal as code."""
    for path in ("2009/07/fish/", "", "archives/", "2009/07/plain/"):
        page = site.page(path)
        links = [a for a in page.iter("a", "h1") if "Fish" in a.text_content()]
        assert links, path
        assert all("Fish & chips, x < y" in a.text_content() for a in links)
        assert "&amp;" not in page.findtext(".//title")
    heading = site.page("2009/07/fish/").find(".//h1")
    assert [e.tag for e in heading.iter()] == ["h1", "code"]
    assert (
        site.page("2009/07/fish/")
        .findtext(".//title")
        .startswith("Fish & chips, x < y \u2014")
    )


def test_html_title_reads_as_written(site):
    """An HTML post's ``<title>`` holds text with character references
    (Pelican's reader keeps them): each is shown as its character."""
    page = site.page("2009/07/qa/")
    assert page.find(".//h1").text_content() == "Q&A <now> \u2014 \u00a9"
    assert page.findtext(".//title").startswith("Q&A <now> \u2014 \u00a9 \u2014")
    og = page.find(".//meta[@property='og:title']").get("content")
    assert og == "Q&A <now> \u2014 \u00a9"
    listed = [a.text_content() for a in site.page("").iter("a")]
    assert "Q&A <now> \u2014 \u00a9" in listed
