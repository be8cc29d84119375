"""The positions check: a written site with broken links, a missing fragment,
a missing image and an image without alt fails, naming each at path:line:col."""

import json
import re
from pathlib import Path

import pytest
from lxml import html

import pelicanconf
from helpers import build_site, write_site
from positions_check import Problem, SiteCheck

BROKEN = """Some text first.

A [broken link](/no/such/page/) and a [missing fragment](#nowhere).

<img src="/figures/missing.png" alt="A picture that is not there">

<img src="/theme/favicon.svg">

<p id="twice">one</p>

<p id="twice">two</p>
"""


def where(page: Path, snippet: str) -> tuple[int, int]:
    """Line and column (1-based) of ``snippet`` in ``page``, found by hand."""
    text = page.read_text()
    offset = text.index(snippet)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_every_problem_is_reported_at_its_place(tmp_path):
    content = write_site(tmp_path, {"broken": BROKEN})
    result = build_site(content, tmp_path / "output")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Build failed (errors above); the output is incomplete." in log
    page = tmp_path / "output" / "2009" / "07" / "broken" / "index.html"
    shown = str(page)
    expected = {
        '<a href="/no/such/page/">': "no such file in the site",
        '<a href="#nowhere">': 'no element with id "nowhere" on that page',
        '<img src="/figures/missing.png"': "no such file in the site",
        '<img src="/theme/favicon.svg">': "image without alt text",
        '<p id="twice">two': 'duplicate id "twice"',
    }
    for snippet, problem in expected.items():
        line, column = where(page, snippet)
        prefix = f"{shown}:{line}:{column}: "
        matching = [entry for entry in log.splitlines() if prefix in entry]
        assert any(problem in entry for entry in matching), (snippet, prefix, log)
        assert all(
            "(from " in entry and "posts/broken.md)" in entry for entry in matching
        )


def test_a_clean_site_passes_and_the_report_says_so(tmp_path, monkeypatch):
    report = tmp_path / "positions.json"
    monkeypatch.setenv("POSITIONS_REPORT", str(report))
    content = write_site(
        tmp_path, {"fine": "A [link to itself](#top) is not needed.\n"}
    )
    (content / "posts" / "fine.md").write_text(
        (content / "posts" / "fine.md").read_text().replace("(#top)", "(/tags/)")
    )
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(report.read_text())
    assert document["problems"] == [] and document["pages"] > 5


def page(root: Path, name: str, body: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!DOCTYPE html>\n<html><body>\n{body}\n</body></html>\n")
    return path


def messages(root: Path, **options) -> list[str]:
    check = SiteCheck(
        root,
        **{
            "own_origins": ["https://blog.example.org"],
            "link_hosts": ["github.com"],
            "resource_hosts": [],
            **options,
        },
    )
    pages = sorted(root.rglob("*.html"))
    return [f"{p.line}:{p.column}: {p.message}" for p in check.run(pages, {}, str)]


def test_fragments_on_other_pages_and_directories(tmp_path):
    page(tmp_path, "a/index.html", '<h2 id="there">x</h2>')
    page(tmp_path, "index.html", '<a href="a/#there">ok</a> <a href="/a/#gone">no</a>')
    assert messages(tmp_path) == [
        '3:27: <a href="/a/#gone">: no element with id "gone" on that page'
    ]


def test_the_sites_own_absolute_urls_are_internal(tmp_path):
    page(
        tmp_path,
        "index.html",
        '<a href="https://blog.example.org/">home</a>'
        '<a href="https://blog.example.org/missing.html">gone</a>',
    )
    assert messages(tmp_path) == [
        '3:45: <a href="https://blog.example.org/missing.html">: '
        "no such file in the site"
    ]


def test_under_a_site_path_a_link_from_the_hosts_root_must_stay_inside_it(tmp_path):
    """Served at https://example.org/blog/, "/2009/x/" is the host's, not
    the site's: it was a broken link in production that the check passed."""
    page(tmp_path, "2009/x/index.html", "x")
    page(
        tmp_path,
        "index.html",
        '<a href="/blog/2009/x/">in</a> <a href="/2009/x/">out</a>'
        ' <a href="https://example.org/blog/2009/x/">own</a> <a href="2009/x/">rel</a>'
        ' <a href="/blog#top">top</a> <a href="/blog?page=2">query</a>'
        ' <a href="https://example.org/2009/x/">feed domain</a>',
    )
    out = "the site is served at /blog/ (SITEURL), and this link leads out of it"
    assert messages(
        tmp_path,
        # (a FEED_DOMAIN of the bare host is the host's too, not the site's)
        own_origins=["https://example.org/blog", "https://example.org"],
        site_path="/blog",
    ) == [
        f'3:32: <a href="/2009/x/">: {out}',
        f'3:197: <a href="https://example.org/2009/x/">: {out}',
    ]


def test_a_site_served_below_a_path_links_inside_it(tmp_path):
    """A production build with SITEURL https://example.org/blog (a project
    site on GitHub Pages has that shape): every link the theme and posts
    make stays below /blog/ (the macros' links had no SITEURL: /2009/...)."""
    content = write_site(tmp_path, {"first": "One.\n", "second": "Two.\n"})
    env = {"SITEURL": "https://example.org/blog"}
    result = build_site(content, tmp_path / "output", env=env, task="preview")
    assert result.returncode == 0, result.stdout + result.stderr
    pages = list((tmp_path / "output").rglob("*.html"))
    assert len(pages) > 8
    for page_file in pages:
        for url in re.findall(r'(?:href|src)="([^"]*)"', page_file.read_text()):
            if url.startswith("/") and not url.startswith("//"):
                assert url.startswith("/blog/"), (page_file, url)
            elif "://" in url and "example.org" in url:
                assert url.startswith("https://example.org/blog/"), (page_file, url)


def test_a_heading_named_like_an_element_of_the_theme_gets_an_id_of_its_own(
    tmp_path,
):
    """ "## Content" made a second id="content", the main landmark's."""
    content = write_site(tmp_path, {"toc": "## Content\n\nText.\n\n## Chat log\n"})
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "output" / "2009" / "07" / "toc" / "index.html").read_text()
    assert page.count('id="content"') == 1 and '<h2 id="content-1">' in page
    assert '<h2 id="chat-log-1">' in page


@pytest.mark.parametrize(
    "heading, taken",
    [("Content", "content-1"), ("Exec 8", "exec-8-1"), ("Search", "search-1")],
)
def test_a_heading_never_takes_an_id_the_theme_or_a_block_has(heading, taken):
    """(A block's region is exec-<its line>: "## Exec 8" above a block on
    line 8 was the same id twice.)"""
    assert pelicanconf.heading_id(heading, "-") == taken
    assert pelicanconf.heading_id("Exec eight", "-") == "exec-eight"


def test_a_post_without_a_category_is_filed_under_the_default_one(tmp_path):
    content = write_site(tmp_path, {})
    (content / "posts" / "loose.md").write_text(
        "Title: Loose\nDate: 2009-07-18\n\nX.\n"
    )
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "output" / "category" / "misc" / "index.html").exists()
    assert not (tmp_path / "output" / "category" / "posts").exists()


def test_footnotes_and_fragments_in_a_summary_lead_to_the_post(tmp_path):
    """A first paragraph is each post's summary on the lists of posts: its
    "#fn:1" led nowhere there and two posts' "fnref:1" were one id twice."""
    body = "A claim.[^1] See [below](#details).\n\n## Details\n\n[^1]: A source.\n"
    content = write_site(tmp_path, {"one": body, "two": body})
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    home = (tmp_path / "output" / "index.html").read_text()
    assert (
        'href="/2009/07/one/#fn:1"' in home and 'href="/2009/07/one/#details"' in home
    )
    assert 'id="fnref:1"' not in home
    post = (tmp_path / "output" / "2009" / "07" / "one" / "index.html").read_text()
    assert 'id="fnref:1"' in post and 'href="#fn:1"' in post


def test_top_and_named_anchors_are_places_a_fragment_leads_to(tmp_path):
    """HTML scrolls to an <a name> as to an id, and "#top" to the page's
    top where no element is named so; anything else still leads nowhere."""
    page(tmp_path, "old/index.html", '<a name="the-end"></a>')
    page(
        tmp_path,
        "index.html",
        '<a href="#top">up</a> <a href="#TOP">up</a> <a href="old/#the-end">end</a>'
        ' <a href="#gone">no</a>',
    )
    assert messages(tmp_path) == [
        '3:76: <a href="#gone">: no element with id "gone" on that page'
    ]


@pytest.mark.parametrize(
    "authors, shown",
    [
        ("Ada", "by Ada in"),
        ("Ada, Bob", "by Ada and Bob in"),
        ("Ada, Bob, Cy", "by Ada, Bob and Cy in"),
    ],
)
def test_every_author_of_a_post_is_named_and_linked(tmp_path, authors, shown):
    content = write_site(tmp_path, {})
    (content / "posts" / "joint.md").write_text(
        f"Title: Joint\nDate: 2009-07-18\nAuthors: {authors}\n\nX.\n"
    )
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "output" / "2009" / "07" / "joint" / "index.html").read_text()
    assert shown in re.sub(r"<[^>]+>", "", page)
    for name in authors.split(", "):
        assert f'href="/author/{name.lower()}/" rel="author">{name}</a>' in page


def test_every_page_of_a_paginated_site_has_a_title_and_description_of_its_own(
    tmp_path,
):
    """(A tag's, a category's and an author's later pages had their first
    page's title; a post of code alone had an empty description.)"""
    posts = {f"post-{n}": "Text.\n" for n in range(3)}
    posts["code-only"] = "```text\nprint(1)\n```\n"
    content = write_site(tmp_path, posts)
    result = build_site(
        content, tmp_path / "output", None, "--", "-e", "DEFAULT_PAGINATION=1"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    titles = {}
    for page_file in (tmp_path / "output").rglob("*.html"):
        doc = html.fromstring(page_file.read_text())
        titles.setdefault(doc.findtext(".//title"), []).append(page_file)
        (description,) = doc.xpath("//meta[@name='description']/@content")
        assert description.strip(), page_file
    assert len(titles) > 10
    assert [files for files in titles.values() if len(files) > 1] == []


def test_year_and_month_archives_are_pages_of_the_site_linked_from_the_archives(
    tmp_path,
):
    """(They fell back to Pelican's unstyled template, with no heading, and
    nothing linked to them.)"""
    content = write_site(tmp_path, {"post": "Text.\n"})
    settings = [
        'YEAR_ARCHIVE_SAVE_AS="{date:%Y}/index.html"',
        'YEAR_ARCHIVE_URL="{date:%Y}/"',
        'MONTH_ARCHIVE_SAVE_AS="{date:%Y}/{date:%m}/index.html"',
    ]
    result = build_site(content, tmp_path / "output", None, "--", "-e", *settings)
    assert result.returncode == 0, result.stdout + result.stderr
    for folder, heading in [
        ("2009", "Posts of 2009"),
        ("2009/07", "Posts of July 2009"),
    ]:
        doc = html.fromstring((tmp_path / "output" / folder / "index.html").read_text())
        assert doc.findtext(".//h1") == heading
        assert doc.xpath("//ul[@class='title-list']//a[@href='/2009/07/post/']")
    archives = tmp_path / "output" / "archives" / "index.html"
    archives = html.fromstring(archives.read_text())
    assert archives.xpath("//h2[@id='year-2009']/a[@href='/2009/']")


def test_a_translation_and_its_original_link_to_each_other(tmp_path):
    """(Neither linked to the other, and the translation was written to
    Pelican's default hello-fr.html beside the site's pretty addresses.)"""
    content = write_site(tmp_path, {"hello": "Hello.\n"})
    (content / "posts" / "hello-fr.md").write_text(
        "Title: Bonjour\nDate: 2009-07-18\nCategory: Test\nLang: fr\n"
        "Slug: hello\n\nBonjour.\n"
    )
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    english = tmp_path / "output" / "2009" / "07" / "hello" / "index.html"
    french = tmp_path / "output" / "2009" / "07" / "hello-fr" / "index.html"
    page = html.fromstring(english.read_text())
    assert page.xpath("//link[@rel='alternate'][@hreflang='fr']/@href") == [
        "/2009/07/hello-fr/"
    ]
    assert page.xpath("//p[@class='translations']/a[@hreflang='fr']/@href") == [
        "/2009/07/hello-fr/"
    ]
    page = html.fromstring(french.read_text())
    assert page.get("lang") == "fr"
    assert page.xpath("//p[@class='translations']/a[@hreflang='en']/@href") == [
        "/2009/07/hello/"
    ]


def test_the_menu_and_footer_follow_pelicans_menu_and_link_settings(tmp_path):
    """(DISPLAY_PAGES_ON_MENU, MENUITEMS, LINKS and SOCIAL did nothing.)"""
    content = write_site(tmp_path, {"post": "Text.\n"})
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text("Title: About\n\nMe.\n")
    settings = [
        "DISPLAY_PAGES_ON_MENU=false",
        'MENUITEMS=[["Projects", "/projects.html"]]',
        'LINKS=[["Python", "https://www.python.org/"]]',
        'SOCIAL=[["Mastodon", "https://mastodon.social/@me"]]',
        'EXTERNAL_LINK_HOSTS=["www.python.org", "mastodon.social"]',
    ]
    (content / "pages" / "projects.md").write_text(
        "Title: Projects\nSave_as: projects.html\nURL: projects.html\n\nP.\n"
    )
    result = build_site(content, tmp_path / "output", None, "--", "-e", *settings)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = html.fromstring((tmp_path / "output" / "index.html").read_text())
    menu = doc.xpath("//nav[@aria-label='Main']//a/text()")
    assert "About" not in menu and menu[-1] == "Projects"
    footer = doc.xpath("//footer[@class='site-footer']//a/@href")
    assert "https://www.python.org/" in footer
    assert "https://mastodon.social/@me" in footer


def test_a_site_without_author_category_tag_or_archive_pages_links_to_none(
    tmp_path,
):
    """Turned off the Pelican way (their SAVE_AS empty), the theme linked to
    them all the same, and the check failed the build blaming the posts."""
    content = write_site(tmp_path, {"post": "Text.\n"})
    off = ["AUTHOR", "AUTHORS", "CATEGORY", "CATEGORIES", "TAG", "TAGS", "ARCHIVES"]
    settings = [f'{kind}_SAVE_AS=""' for kind in off]
    result = build_site(content, tmp_path / "output", None, "--", "-e", *settings)
    assert result.returncode == 0, result.stdout + result.stderr
    for page_file in (tmp_path / "output").rglob("*.html"):
        text = page_file.read_text()
        for gone in ("/author/", "/category/", "/tag/", "/tags/", "/archives/"):
            assert f'href="{gone}' not in text, (page_file, gone)
    post = (tmp_path / "output" / "2009" / "07" / "post" / "index.html").read_text()
    assert "by David in Test" in re.sub(r"<[^>]+>", "", post)


def test_a_draft_without_a_date_says_so_rather_than_the_year_9999(tmp_path):
    content = write_site(tmp_path, {"post": "Text.\n"})
    (content / "posts" / "later.md").write_text("Title: Later\nStatus: draft\n\nX.\n")
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "output" / "drafts" / "later.html").read_text()
    assert "Not dated yet" in page and "9999" not in page


@pytest.mark.parametrize(
    "feeds, shown",
    [
        (["FEED_ALL_RSS=null"], "Subscribe: Atom"),
        (["FEED_ALL_ATOM=null"], "Subscribe: RSS"),
        (["FEED_ALL_ATOM=null", "FEED_ALL_RSS=null"], None),
    ],
)
def test_the_footer_offers_the_feeds_there_are(tmp_path, feeds, shown):
    content = write_site(tmp_path, {"post": "Text.\n"})
    result = build_site(content, tmp_path / "output", None, "--", "-e", *feeds)
    assert result.returncode == 0, result.stdout + result.stderr
    footer = html.fromstring((tmp_path / "output" / "index.html").read_text())
    (footer,) = footer.xpath("//footer[@class='site-footer']")
    text = " ".join(footer.text_content().split())
    if shown:
        assert text.endswith(f"{shown}")
    else:
        assert "Subscribe" not in text


def test_an_image_marked_decorative_needs_no_alt_text_and_a_forgotten_one_does(
    tmp_path,
):
    page(tmp_path, "a.png", "")
    page(
        tmp_path,
        "index.html",
        '<img src="a.png" alt="" role="presentation">'
        '<img src="a.png" alt="" aria-hidden="true">'
        '<img src="a.png" alt="">'
        '<img src="a.png" role="presentation">',
    )
    assert messages(tmp_path) == [
        "3:88: image without alt text",
        "3:112: image without alt text",
    ]


def test_other_hosts_only_when_allowed(tmp_path):
    page(
        tmp_path,
        "index.html",
        '<a href="https://github.com/x">ok</a>\n'
        '<a href="http://example.com/">no</a>\n'
        '<script src="https://cdn.example.net/x.js"></script>\n'
        '<a href="mailto:david@example.org">mail</a>',
    )
    assert messages(tmp_path) == [
        '4:1: <a href="http://example.com/">: link to another host (example.com), '
        "not in EXTERNAL_LINK_HOSTS",
        '5:1: <script src="https://cdn.example.net/x.js">: loads from another host '
        "(cdn.example.net)",
    ]


def test_srcset_urls_are_each_checked(tmp_path):
    page(tmp_path, "i.png", "")
    page(
        tmp_path,
        "index.html",
        '<img alt="x" src="i.png" srcset="i.png 1x, big.png 2x">',
    )
    assert messages(tmp_path) == [
        '3:1: <img srcset="big.png">: no such file in the site'
    ]


def test_links_may_not_climb_out_of_the_site(tmp_path):
    site = tmp_path / "site"
    page(site, "index.html", '<a href="../../etc/passwd">x</a>')
    assert messages(site) == [
        '3:1: <a href="../../etc/passwd">: no such file in the site'
    ]


def test_many_pages_are_checked_in_parallel_with_the_same_result(tmp_path):
    for n in range(250):
        page(tmp_path, f"p{n}.html", f'<a href="p{2 * n}.html">twice as far</a>')
    found = messages(tmp_path)  # pages 250 to 498 do not exist
    assert len(found) == 125 and all("no such file" in m for m in found)


# -- what a post from a stranger's pull request could do -----------------


def test_a_url_python_cannot_parse_is_a_problem_at_its_place(tmp_path):
    """urlsplit raises on "http://[oops/" (Invalid IPv6 URL): the check
    stopped the build with a traceback naming no post."""
    page(tmp_path, "index.html", '<a href="http://[oops/">x</a>')
    assert messages(tmp_path) == [
        '3:1: <a href="http://[oops/">: not a valid URL (Invalid IPv6 URL)'
    ]


def test_malformed_markup_is_a_problem_at_its_place(tmp_path):
    """A "<![" browsers read as a comment hides what follows it up to ">"."""
    page(tmp_path, "index.html", '<p>x <![<![</p> <a href="#gone">y</a>')
    assert messages(tmp_path) == [
        "3:6: malformed markup '<![<![</p>': browsers read a \"<![\" other than "
        '"<![CDATA[" as a comment up to the next ">", hiding what it holds',
        '3:17: <a href="#gone">: no element with id "gone" on that page',
    ]


def test_a_backslash_in_a_url_is_a_problem(tmp_path):
    """Browsers read "\\" as "/": the first link goes to evil.example, not
    to the allowed docs.python.org urlsplit saw, and the image loads from
    evil.example, not from this site."""
    page(tmp_path, "evil.example/p.png", "")
    page(
        tmp_path,
        "index.html",
        '<a href="http://evil.example\\@docs.python.org/3/">docs</a>\n'
        '<img alt="a pixel" src="/\\evil.example/p.png">',
    )
    why = (
        'a backslash in a URL: browsers read it as "/", so the host or path '
        'they open is not the one checked; write "/" or "%5C"'
    )
    assert messages(tmp_path, link_hosts=["docs.python.org"]) == [
        f'3:1: <a href="http://evil.example\\@docs.python.org/3/">: {why}',
        f'4:1: <img src="/\\evil.example/p.png">: {why}',
    ]


def test_whitespace_or_a_control_character_in_a_url_is_a_problem(tmp_path):
    """Browsers drop a tab or newline inside a URL ("java&#9;script:" is
    javascript:) and encode spaces and control characters."""
    page(
        tmp_path,
        "index.html",
        '<a href="java&#9;script:alert(1)">a</a>\n'
        '<a href="/a b/">b</a>\n'
        '<a href="/\x01">c</a>\n'
        '<a href=" / ">spaces around a URL are not part of it</a>',
    )
    why = "in a URL: browsers drop or encode it, so what they open is not what"
    assert messages(tmp_path) == [
        '3:1: <a href="java\tscript:alert(1)">: whitespace or a control '
        f"character (0x09) {why} is checked; percent-encode it",
        f'4:1: <a href="/a b/">: a space (0x20) {why} is checked; percent-encode it',
        '5:1: <a href="/\x01">: whitespace or a control character (0x01) '
        f"{why} is checked; percent-encode it",
    ]


def test_links_that_run_code_are_problems_not_skipped(tmp_path):
    """javascript: and vbscript: run code when followed, and a data: link or
    frame or script is a document or script of the post's own."""
    page(
        tmp_path,
        "index.html",
        '<a href="javascript:alert(1)">a</a>\n'
        '<a href="VBScript:MsgBox(1)">b</a>\n'
        '<a href="data:text/html,<script>alert(1)</script>">c</a>\n'
        '<iframe src="data:text/html,x"></iframe>',
    )
    data = "a data: URL here is a document or script of its own: not allowed"
    assert messages(tmp_path) == [
        '3:1: <a href="javascript:alert(1)">: a javascript: URL runs code: not allowed',
        '4:1: <a href="VBScript:MsgBox(1)">: a vbscript: URL runs code: not allowed',
        f'5:1: <a href="data:text/html,<script>alert(1)</script>">: {data}',
        f'6:1: <iframe src="data:text/html,x">: {data}',
    ]


def test_mail_phone_fragment_and_data_image_links_still_pass(tmp_path):
    """What posts and the theme use stays fine."""
    page(
        tmp_path,
        "index.html",
        '<h2 id="top">t</h2><a href="mailto:david@example.org">m</a>'
        '<a href="tel:+15555550100">t</a><a href="#top">f</a>'
        '<img alt="dot" src="data:image/png;base64,iVBORw0KGgo=">',
    )
    assert messages(tmp_path) == []


def test_three_slashes_are_a_problem(tmp_path):
    """Browsers read the host after any number of slashes: "///evil.example/"
    is evil.example, where urlsplit saw the path of a page of the site."""
    page(tmp_path, "evil.example/index.html", "")
    page(tmp_path, "index.html", '<a href="///evil.example/">x</a>')
    assert messages(tmp_path) == [
        '3:1: <a href="///evil.example/">: browsers read the host after any '
        "number of slashes (this check, after two): write two or one"
    ]


def test_the_log_shows_control_characters_escaped():
    """A page's text goes into the log: no escape sequence of a post's
    reaches the terminal of whoever builds it."""
    problem = Problem("index.html", 1, 2, 'id "\x1b[2J"', "posts/x.md")
    assert str(problem) == r'index.html:1:2: id "\x1b[2J" (from posts/x.md)'


def test_a_problem_in_a_summary_names_a_few_of_its_lists_and_then_its_post():
    """(The post last, as on every line: its source ends it.)"""
    lists = tuple(f"tag/{n}/index.html" for n in range(5))
    problem = Problem("p/index.html", 1, 2, "gone", "posts/p.md", lists[:1])
    assert str(problem) == (
        "p/index.html:1:2: gone; also in its summary on 1 list of posts: "
        "tag/0/index.html (from posts/p.md)"
    )
    assert str(Problem("p/index.html", 1, 2, "gone", None, lists)) == (
        "p/index.html:1:2: gone; also in its summary on 5 lists of posts: "
        "tag/0/index.html, tag/1/index.html, tag/2/index.html and 2 more"
    )


def build_log(
    tmp_path, posts: dict[str, str], status=None, settings=()
) -> tuple[int, str]:
    """Exit code and log of building a small site of ``posts`` (with one
    good post, so that listing pages exist); ``status`` (hidden, draft):
    that of every post but the good one; ``settings``: Pelican's ``-e``."""
    content = write_site(tmp_path, {"good": "Fine.\n", **posts})
    for name in posts if status else ():
        post = content / "posts" / f"{name}.md"
        post.write_text(f"Status: {status}\n" + post.read_text())
    options = ("--", "-e", *settings) if settings else ()
    result = build_site(content, tmp_path / "output", None, *options)
    return result.returncode, result.stdout + result.stderr


def test_a_hidden_post_with_a_url_python_cannot_parse_fails_the_build(tmp_path):
    """A hidden post is in no feed: the check itself raised on its page."""
    code, log = build_log(
        tmp_path, {"hidden": "A [x](http://[oops/) link.\n"}, status="hidden"
    )
    assert "0 hidden articles" not in log
    assert code != 0
    assert "Traceback" not in log
    (line,) = [entry for entry in log.splitlines() if "Invalid IPv6" in entry]
    assert '<a href="http://[oops/">: not a valid URL' in line
    assert "posts/hidden.md)" in line


@pytest.mark.parametrize(
    "status, written", [("draft", "drafts/soon.html"), ("hidden", "2009/07/soon")]
)
def test_an_unlisted_post_of_its_own_category_author_and_tag_builds(
    tmp_path, status, written
):
    """Pelican makes no page for a category, author or tag that only drafts
    or hidden posts have: their pages name them without linking to pages
    that are not there (the check failed the build on those links)."""
    content = write_site(tmp_path, {"good": "Fine.\n"})
    (content / "posts" / "soon.md").write_text(
        f"Title: Soon\nDate: 2009-07-19\nStatus: {status}\nAuthor: Newcomer\n"
        "Category: Plans\nTags: later, t\n\nSoon.\n"
    )
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    page = tmp_path / "output" / written
    page = (page / "index.html" if page.is_dir() else page).read_text()
    assert "Newcomer" in page and "Plans" in page and "later" in page
    for missing in ("/category/plans", "/author/newcomer", "/tag/later"):
        assert missing not in page
    assert 'href="/tag/t/"' in page  # a tag that has its page is linked


def test_malformed_markup_in_a_post_fails_the_build(tmp_path):
    """(After a first paragraph: Pelican's own summary parser raises on it.)"""
    body = "A first paragraph.\n\n<p>a <![<![ b</p>\n"
    code, log = build_log(tmp_path, {"marked": body})
    assert code != 0
    assert "Traceback" not in log
    assert any(
        "malformed markup '<![<![ b</p>'" in entry and "posts/marked.md)" in entry
        for entry in log.splitlines()
    )


# The lists of posts that show every post of a small site's summary.
LISTS = ("index.html", "tag/t/index.html", "category/test/index.html")
LISTS += ("author/david/index.html",)


def test_a_broken_link_in_a_summary_is_one_error_at_its_post(tmp_path, monkeypatch):
    """A first paragraph is its post's summary on every list of posts: its
    broken link was an error once a list, naming the list and not the post,
    and none of them said which post to fix."""
    report = tmp_path / "positions.json"
    monkeypatch.setenv("POSITIONS_REPORT", str(report))
    code, log = build_log(tmp_path, {"stale": "See [the old page](/old/page/).\n"})
    assert code != 0
    output = tmp_path / "output"
    post = output / "2009" / "07" / "stale" / "index.html"
    (error,) = [entry for entry in log.splitlines() if "/old/page/" in entry]
    line, column = where(post, '<a href="/old/page/">')
    assert f"{post}:{line}:{column}: " in error
    assert error.endswith(
        "no such file in the site; also in its summary on 4 lists of posts: "
        f"{output / 'author' / 'david' / 'index.html'}, "
        f"{output / 'category' / 'test' / 'index.html'}, {output / 'index.html'} "
        f"and 1 more (from {tmp_path / 'content' / 'posts' / 'stale.md'})"
    )
    (problem,) = json.loads(report.read_text())["problems"]
    assert problem["page"] == str(post)
    assert sorted(problem["also_on"]) == sorted(str(output / name) for name in LISTS)


def test_a_summarys_broken_link_is_one_error_on_a_site_with_an_absolute_address(
    tmp_path,
):
    """On a production build (an absolute ``SITEURL``) a list shows a
    summary's links on the site's address (``https://blog.example.org/...``)
    and the post's page as the author wrote them (``../gone/``): the two led
    to the same place unrecognised, and the error came once a list again."""
    code, log = build_log(
        tmp_path,
        {"stale": "See [the old page](../gone/).\n"},
        settings=['SITEURL="https://blog.example.org"'],
    )
    assert code != 0
    errors = [entry for entry in log.splitlines() if "gone/" in entry]
    assert len(errors) == 1, errors
    assert "also in its summary on 4 lists of posts" in errors[0]


def test_a_lists_own_broken_link_is_the_lists_even_where_a_summary_has_one_too(
    tmp_path,
):
    """The menu's broken link is the template's, on every page: each list
    reports its own, though the summary it shows breaks the same way, and
    only the summaries' copies are the post's."""
    code, log = build_log(
        tmp_path,
        {"stale": "See [the old page](/old/page/).\n"},
        settings=['MENUITEMS=[["Old", "/old/page/"]]'],
    )
    assert code != 0
    output = tmp_path / "output"
    errors = [entry for entry in log.splitlines() if "/old/page/" in entry]
    for name in LISTS:
        page = output / name
        line, column = where(page, '<a href="/old/page/">')  # the menu's, first
        (own,) = [entry for entry in errors if f"{page}:" in entry]
        assert f"{page}:{line}:{column}: " in own and "also in its" not in own
    post = output / "2009" / "07" / "stale" / "index.html"
    on_post = [entry for entry in errors if f"{post}:" in entry]
    assert len(on_post) == 2
    assert any("also in its summary on 4 lists of posts" in e for e in on_post)
    written = [page.read_text() for page in output.rglob("*.html")]
    copies = sum(text.count('href="/old/page/"') for text in written)
    assert len(errors) == copies - len(LISTS)  # all but the summaries' copies


def test_different_broken_links_in_summaries_stay_different_errors(tmp_path):
    """Two links of one summary, and the same link in two posts' summaries
    on the same lists, are three errors, each at its post."""
    code, log = build_log(
        tmp_path,
        {
            "first": "See [one](/gone/one/) and [two](/gone/two/).\n",
            "second": "Also [one](/gone/one/).\n",
        },
    )
    assert code != 0
    errors = [entry for entry in log.splitlines() if "/gone/" in entry]
    output = tmp_path / "output" / "2009" / "07"
    found = sorted((e.split()[1].split(":")[0], e.split('"')[1]) for e in errors)
    assert found == [
        (str(output / "first" / "index.html"), "/gone/one/"),
        (str(output / "first" / "index.html"), "/gone/two/"),
        (str(output / "second" / "index.html"), "/gone/one/"),
    ]
    assert all("also in its summary on 4 lists of posts" in e for e in errors)


def test_a_summarys_link_broken_on_a_list_alone_is_the_lists(tmp_path):
    """A problem inside a post's summary on a list is the post's only if
    the post's page has it too (the same element leading to the same
    place): one of the list's copy alone stays at the list, naming the
    post, and so does the list's own."""
    page(tmp_path, "p/index.html", '<p>See <a href="nope/">x</a> <a href="/o/">o</a>')
    page(tmp_path, "p/nope/index.html", "here")
    summary = '<p>See <a href="nope/">x</a> <a href="/o/">o</a>'
    page(tmp_path, "index.html", f'<a href="/o/">menu</a>\n<div>{summary}</div>')
    check = SiteCheck(tmp_path, [], [], [])
    pages = sorted(tmp_path.rglob("*.html"))
    post, listing = str(tmp_path / "p" / "index.html"), str(tmp_path / "index.html")
    found = check.run(pages, {post: "p.md"}, str, {listing: {post: {summary}}})
    found = [(p.path, p.line, p.column, p.message, p.source, p.also_on) for p in found]
    missing = "no such file in the site"
    assert found == [
        (listing, 3, 1, f'<a href="/o/">: {missing}', None, ()),
        (listing, 4, 13, f'<a href="nope/">: {missing}', "p.md", ()),
        (post, 3, 30, f'<a href="/o/">: {missing}', "p.md", (listing,)),
    ]


def test_a_post_cannot_get_past_the_host_allowlist(tmp_path):
    """The three ways the review found: a backslash before "@" (another
    host for browsers), one after "/" (the same), and javascript:."""
    body = (
        "[the docs](http://evil.example\\@docs.python.org/3/), "
        "![a pixel](/\\evil.example/p.png) and [a script](javascript:alert(1)).\n"
    )
    code, log = build_log(tmp_path, {"stranger": body})
    assert code != 0
    assert "Traceback" not in log
    own = [e for e in log.splitlines() if "2009/07/stranger/index.html:" in e]
    assert all("(from " in e and "posts/stranger.md)" in e for e in own)
    for element in (
        '<a href="http://evil.example\\@docs.python.org/3/">: a backslash',
        '<img src="/\\evil.example/p.png">: a backslash',
        '<a href="javascript:alert(1)">: a javascript: URL runs code',
    ):
        assert any(element in entry for entry in own), (element, log)


def test_every_element_that_loads_sends_or_leads_elsewhere_is_held_to_the_hosts(
    tmp_path,
):
    """The check looked at links, images, scripts and media only: a post's
    raw HTML could load from or send to any host through the rest."""
    page(
        tmp_path,
        "index.html",
        '<object data="https://evil.example/o"></object>\n'
        '<embed src="https://evil.example/e">\n'
        '<form action="https://evil.example/f"><button formaction='
        '"https://evil.example/b">go</button></form>\n'
        '<a href="/" ping="/ https://evil.example/p">home</a>\n'
        '<meta http-equiv="refresh" content="0; url=https://evil.example/m">\n'
        '<svg><image href="https://evil.example/i.png"/>'
        '<use xlink:href="https://evil.example/u#x"/></svg>',
    )
    assert messages(tmp_path) == [
        '3:1: <object data="https://evil.example/o">: loads from another host '
        "(evil.example)",
        '4:1: <embed src="https://evil.example/e">: loads from another host '
        "(evil.example)",
        '5:1: <form action="https://evil.example/f">: link to another host '
        "(evil.example), not in EXTERNAL_LINK_HOSTS",
        '5:39: <button formaction="https://evil.example/b">: link to another host '
        "(evil.example), not in EXTERNAL_LINK_HOSTS",
        '6:1: <a ping="https://evil.example/p">: loads from another host '
        "(evil.example)",
        '7:1: <meta content="https://evil.example/m">: link to another host '
        "(evil.example), not in EXTERNAL_LINK_HOSTS",
        '8:6: <image href="https://evil.example/i.png">: loads from another host '
        "(evil.example)",
        '8:48: <use xlink:href="https://evil.example/u#x">: loads from another '
        "host (evil.example)",
    ]


def test_a_base_element_is_a_problem(tmp_path):
    """A <base href> changes what every relative URL of the page points at,
    the site's own scripts included, past everything else checked."""
    page(tmp_path, "index.html", '<base href="https://evil.example/">')
    assert messages(tmp_path) == [
        "3:1: <base href>: it changes what every relative URL of the page (the "
        "site's own scripts and styles included) points at: not allowed"
    ]


def test_what_css_in_a_page_loads_is_held_to_the_resource_hosts(tmp_path):
    """url() and @import in a style attribute or a <style> element load from
    anywhere the check did not look."""
    page(tmp_path, "bg.png", "")
    page(
        tmp_path,
        "index.html",
        "<div style=\"background: url(/bg.png), url('https://evil.example/a.png')\">"
        "</div>\n"
        '<style>@import "https://evil.example/b.css";\n'
        "p { background: url(https://evil.example/c.png) }</style>",
    )
    assert messages(tmp_path) == [
        '3:1: <div style="https://evil.example/a.png">: loads from another host '
        "(evil.example)",
        '4:1: <style url="https://evil.example/b.css">: loads from another host '
        "(evil.example)",
        '4:1: <style url="https://evil.example/c.png">: loads from another host '
        "(evil.example)",
    ]
