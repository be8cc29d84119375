"""plugins/sharing: canonical links, Open Graph and Twitter cards, the
sitemap, robots.txt and the feeds, on the real blog built for development
(the run's ``site``) and for production (``production_site``), plus
the link resolution feeds use, on its own."""

import logging
import re
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
from lxml import etree, html

import pelicanconf
import sharing.feeds
import sharing.sitemap
from helpers import PRODUCTION, BuiltSite, build_site, write_site
from seed import SEED_POSTS
from sharing import absolute_links, absolute_siteurl, approximate, shown_elsewhere
from sharing.feeds import remember_posts
from sharing.sharing import figure_images, set_up, share_image

DEV = pelicanconf.ABSOLUTE_SITEURL
ATOM = {"atom": "http://www.w3.org/2005/Atom"}
SITEMAP = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
# What Open Graph and Twitter cards accept, by the file's first bytes.
IMAGE_MAGIC = {
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/gif": b"GIF8",
    "image/jpeg": b"\xff\xd8\xff",
}


def meta(doc, prop: str) -> list[str]:
    return doc.xpath(f"/html/head/meta[@property='{prop}' or @name='{prop}']/@content")


def page_address(site: BuiltSite, path: Path, siteurl: str) -> str:
    relative = path.relative_to(site.output).as_posix()
    return siteurl + "/" + re.sub(r"(^|/)index\.html$", r"\1", relative)


def pages_but_404(site: BuiltSite) -> list[Path]:
    return [p for p in site.html_pages() if p.name != "404.html"]


def post_page(site: BuiltSite, title: str):
    for path in site.html_pages():
        doc = html.parse(str(path)).getroot()
        if doc.xpath("//article[contains(@class, 'post')]") and (
            " ".join(doc.xpath("//h1")[0].text_content().split()) == title
        ):
            return path, doc
    raise AssertionError(f"no page for {title!r}")


def feeds(site: BuiltSite) -> list[Path]:
    return sorted(site.output.glob("feeds/**/*.xml"))


def entry_html(feed: etree._Element) -> list[tuple[str, str]]:
    """(entry link, HTML) of every entry's content and summary."""
    found = []
    for entry in feed.xpath("//atom:entry", namespaces=ATOM):
        link = entry.xpath("atom:link[@rel='alternate']/@href", namespaces=ATOM)[0]
        for text in entry.xpath(
            "atom:content/text() | atom:summary/text()", namespaces=ATOM
        ):
            found.append((link, text))
    for item in feed.xpath("/rss/channel/item"):
        found += [
            (item.findtext("link"), text) for text in item.xpath("description/text()")
        ]
    return found


def links_in(text: str) -> list[str]:
    doc = html.fragment_fromstring(text, create_parent="div")
    urls = doc.xpath("//@href | //@src | //@poster")
    for srcset in doc.xpath("//@srcset"):
        urls += [part.split()[0] for part in srcset.split(",") if part.strip()]
    return urls


# -- canonical links and Open Graph -------------------------------------


def test_every_page_has_an_absolute_canonical_link_equal_to_og_url(site):
    pages = pages_but_404(site)
    assert len(pages) >= 40  # posts, pages, listings and their later pages
    for path in pages:
        doc = html.parse(str(path)).getroot()
        (canonical,) = doc.xpath("/html/head/link[@rel='canonical']/@href")
        assert canonical == page_address(site, path, DEV), path
        assert meta(doc, "og:url") == [canonical], path
        assert meta(doc, "og:site_name") == [pelicanconf.SITENAME]
        assert meta(doc, "og:title")[0] and meta(doc, "og:description")[0], path


def test_the_404_page_has_no_canonical_link_and_is_not_indexed(site):
    doc = site.page("404.html")
    assert not doc.xpath("//link[@rel='canonical']")
    assert not meta(doc, "og:url")
    assert meta(doc, "robots") == ["noindex"]


def test_production_canonical_links_are_on_siteurl(production_site):
    for path in pages_but_404(production_site):
        doc = html.parse(str(path)).getroot()
        (canonical,) = doc.xpath("/html/head/link[@rel='canonical']/@href")
        assert canonical == page_address(production_site, path, PRODUCTION), path
        assert meta(doc, "og:url") == [canonical]


def test_posts_are_og_articles_and_other_pages_websites(site):
    _, doc = post_page(site, "Making Python's pickle safe(r)")
    assert meta(doc, "og:type") == ["article"]
    assert meta(doc, "og:title") == ["Making Python's pickle safe(r)"]
    assert meta(doc, "article:published_time")[0].startswith("2009-10-10T")
    assert meta(doc, "article:tag") == ["programming", "python"]
    for listing in ("", "page/2/", "tag/python/", "archives/", "about/"):
        assert meta(site.page(listing), "og:type") == ["website"], listing


def test_fokker_planck_post_shares_its_first_figure(site):
    path, doc = post_page(site, "1d Fokker-Plank equation")
    first = doc.xpath("//div[@class='post-body']//figure//img")[0]
    (image,) = meta(doc, "og:image")
    assert image == urljoin(page_address(site, path, DEV), first.get("src"))
    assert image.startswith(DEV + "/figures/")
    (kind,) = meta(doc, "og:image:type")
    data = (site.output / urlsplit(image).path.lstrip("/")).read_bytes()
    assert data.startswith(IMAGE_MAGIC[kind])  # a format social sites show
    assert meta(doc, "og:image:alt") == [first.get("alt")]
    assert meta(doc, "og:image:width") == [first.get("width")]
    assert meta(doc, "twitter:card") == ["summary_large_image"]


def test_a_post_without_figures_has_no_image_and_a_summary_card(site):
    _, doc = post_page(site, "Making Python's pickle safe(r)")
    assert not meta(doc, "og:image")
    assert meta(doc, "twitter:card") == ["summary"]


TWO_SVG_FIGURES = (
    "Title: Plotted\nDate: 2009-07-18\nCategory: Test\n\n"
    "A parabola, then a line.\n\n"
    '```python exec="on" caption="A parabola"\n'
    "import matplotlib.pyplot as plt\n"
    "plt.plot([0, 1, 2], [0, 1, 4])\n"
    "```\n\n"
    '```python exec="on" caption="A line"\n'
    "plt.plot([0, 1, 2], [0, 1, 2])\n"
    "```\n"
)


def test_a_post_whose_first_figure_is_svg_shares_a_png_of_it(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "plotted.md").write_text(TWO_SVG_FIGURES)
    output = tmp_path / "output"
    result = build_site(content, output)
    assert result.returncode == 0, result.stdout + result.stderr
    doc = html.parse(str(output / "2009/07/plotted/index.html")).getroot()
    first, second = doc.xpath("//figure//img")
    assert first.get("src").endswith(".svg")  # the page keeps the SVG
    (image,) = meta(doc, "og:image")
    assert image.startswith(DEV + "/figures/") and image.endswith(".png")
    png = (output / urlsplit(image).path.lstrip("/")).read_bytes()
    assert png.startswith(IMAGE_MAGIC["image/png"])
    assert meta(doc, "og:image:type") == ["image/png"]
    assert meta(doc, "og:image:alt") == ["A parabola"]
    assert meta(doc, "og:image:width") == [first.get("width")]
    # only the shared PNG is published, not one for every SVG figure; the
    # SVGs are the page's (with their narrow variants for phones, if any)
    shown = doc.xpath("//figure//img/@src | //figure//source/@srcset")
    published = {p.name for p in (output / "figures").iterdir()}
    assert published == {u.rsplit("/", 1)[-1] for u in shown} | {
        image.rsplit("/", 1)[-1]
    }


# -- sitemap and robots.txt ---------------------------------------------


def test_sitemap_lists_every_page_and_post_but_the_404_page(site):
    sitemap = site.xml("sitemap.xml")
    listed = sitemap.xpath("//s:url/s:loc/text()", namespaces=SITEMAP)
    assert len(listed) == len(set(listed))
    pages = {page_address(site, path, DEV) for path in pages_but_404(site)}
    assert set(listed) == pages
    assert not [url for url in listed if "404" in url]
    for post in SEED_POSTS:
        path, _ = post_page(site, post.title)
        url = page_address(site, path, DEV)
        (lastmod,) = sitemap.xpath(
            f"//s:url[s:loc='{url}']/s:lastmod/text()", namespaces=SITEMAP
        )
        assert lastmod.startswith(post.date + "T"), url


def test_robots_txt_is_written_only_in_production_and_names_the_sitemap(
    site, production_site
):
    assert not (site.output / "robots.txt").exists()
    robots = (production_site.output / "robots.txt").read_text()
    assert re.search(r"^User-agent: \*$", robots, re.M)
    assert re.findall(r"^Sitemap: (\S+)$", robots, re.M) == [
        PRODUCTION + "/sitemap.xml"
    ]
    locations = production_site.xml("sitemap.xml").xpath(
        "//s:loc/text()", namespaces=SITEMAP
    )
    assert locations and all(url.startswith(PRODUCTION + "/") for url in locations)


@pytest.mark.parametrize("links", [False, True], ids=["copied", "linked"])
def test_a_sites_own_robots_txt_keeps_its_rules_and_names_the_sitemap(tmp_path, links):
    """(It was replaced by "Allow: /" without a word.) With
    STATIC_CREATE_LINKS the output's file is a link to the site's own, which
    must not change."""
    content = write_site(tmp_path, {"post": "Text.\n"})
    (content / "extra").mkdir()
    (content / "extra" / "robots.txt").write_text("User-agent: *\nDisallow: /drafts/\n")
    settings = [
        'STATIC_PATHS=["extra"]',
        'EXTRA_PATH_METADATA={"extra/robots.txt": {"path": "robots.txt"}}',
        "ROBOTS_TXT=true",
        f"STATIC_CREATE_LINKS={'true' if links else 'false'}",
    ]
    result = build_site(content, tmp_path / "output", None, "--", "-e", *settings)
    assert result.returncode == 0, result.stdout + result.stderr
    robots = (tmp_path / "output" / "robots.txt").read_text()
    assert robots == (
        f"User-agent: *\nDisallow: /drafts/\n\nSitemap: {DEV}/sitemap.xml\n"
    )
    own = (content / "extra" / "robots.txt").read_text()
    assert own == "User-agent: *\nDisallow: /drafts/\n"


# -- feeds ---------------------------------------------------------------


def test_rss_guids_are_tag_uris_marked_as_no_permalink(site):
    items = site.xml("feeds/all.rss.xml").xpath("/rss/channel/item")
    assert len(items) == len(SEED_POSTS)
    for item in items:
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "false"
        path = urlsplit(item.findtext("link")).path
        assert re.fullmatch(rf"tag:localhost,\d{{4}}-\d\d-\d\d:{path}", guid.text)


def test_development_feeds_have_absolute_ids_and_links_never_tag_none(site):
    for path in feeds(site):
        text = path.read_text(encoding="utf-8")
        assert "tag:None" not in text, path
        feed = etree.fromstring(text.encode())
        ids = feed.xpath("//atom:id/text()", namespaces=ATOM)
        links = feed.xpath(
            "//atom:link/@href | /rss/channel/link/text()", namespaces=ATOM
        )
        links += feed.xpath("/rss/channel/item/link/text()")
        assert links and all(link.startswith(DEV + "/") for link in links), path
        if ids:  # Atom: the feed's id is its own address, each entry's unique
            assert (
                ids[0] == feed.xpath("atom:link[@rel='self']/@href", namespaces=ATOM)[0]
            )
            assert all(i.startswith("tag:localhost,") for i in ids[1:]), path
            assert len(set(ids)) == len(ids)


def test_production_feed_ids_are_the_tag_uris_pelican_always_made(production_site):
    feed = production_site.xml("feeds/all.atom.xml")
    ids = feed.xpath("//atom:entry/atom:id/text()", namespaces=ATOM)
    assert "tag:blog.example.org,2010-08-06:/2010/08/websockets-in-python/" in ids


def test_feed_content_has_no_relative_or_fragment_only_links(site):
    checked = 0
    for path in feeds(site):
        for _, text in entry_html(site.xml(str(path.relative_to(site.output)))):
            for url in links_in(text):
                parts = urlsplit(url)
                assert parts.scheme in ("http", "https", "mailto"), (path, url)
                assert parts.scheme == "mailto" or parts.netloc, (path, url)
                checked += 1
    assert checked > 100


def test_feed_fragment_links_point_at_the_post(site):
    feed = site.xml("feeds/all.atom.xml")
    found = 0
    for link, text in entry_html(feed):
        for url in links_in(text):
            if "#" in url and url.split("#")[0] == link:
                page = site.page(urlsplit(link).path)
                assert url.split("#")[1] in page.xpath("//@id"), url
                found += 1
    assert found > 5  # the headings' ¶ links, above all


def test_with_relative_urls_feed_entries_and_summaries_link_where_the_post_does(
    tmp_path,
):
    """(Feed entries' links were resolved against the post's address where
    Pelican had made them relative to the site's root, and the summaries on
    lists of posts against the post's where Pelican had made them for the
    list's page: both led nowhere. A link the author wrote relative to the
    post, which Pelican leaves as it is, was then resolved against the
    site's root in feeds and left for the list's page on lists.)"""
    body = (
        "See [b]({filename}post-b.md#part), [x](#x) and [c](../post-c/).\n\n"
        "## X\n\n![red]({static}/images/red.png)\n"
    )
    posts = {"post-a": body, "post-b": "## Part\n\nB.\n", "post-c": "C.\n"}
    content = write_site(tmp_path, posts)
    (content / "images").mkdir()
    (content / "images" / "red.png").write_bytes(IMAGE_MAGIC["image/png"])
    settings = ["RELATIVE_URLS=true", 'STATIC_PATHS=["images"]']
    output = tmp_path / "output"
    result = build_site(content, output, None, "--", "-e", *settings)
    assert result.returncode == 0, result.stdout + result.stderr
    feed = etree.parse(str(output / "feeds" / "all.atom.xml"))
    (entry,) = feed.xpath(
        "//atom:entry[atom:title='Post A']/atom:content/text()", namespaces=ATOM
    )
    links = re.findall(r'(?:href|src)="([^"]*)"', entry)
    assert f"{DEV}/2009/07/post-b/#part" in links
    assert f"{DEV}/2009/07/post-a/#x" in links
    assert f"{DEV}/images/red.png" in links
    assert f"{DEV}/2009/07/post-c/" in links
    (summary,) = feed.xpath(
        "//atom:entry[atom:title='Post A']/atom:summary/text()", namespaces=ATOM
    )
    assert f'href="{DEV}/2009/07/post-c/"' in summary
    home = (output / "index.html").read_text()
    assert 'href="./2009/07/post-b/#part"' in home
    assert 'href="./2009/07/post-a/#x"' in home
    assert 'href="./2009/07/post-c/"' in home
    tag = (output / "tag" / "t" / "index.html").read_text()
    assert 'href="../../2009/07/post-c/"' in tag


def test_feed_entries_of_posts_with_approximate_dates_say_so(site):
    approximate_titles = {post.title for post in SEED_POSTS if post.approximate}
    rss = site.xml("feeds/all.rss.xml")
    for item in rss.xpath("/rss/channel/item"):
        says = "date of this post is approximate" in item.findtext("description")
        assert says == (item.findtext("title") in approximate_titles)
    atom = site.xml("feeds/all.atom.xml")
    for entry in atom.xpath("//atom:entry", namespaces=ATOM):
        title = entry.findtext("atom:title", namespaces=ATOM)
        for text in entry.xpath(
            "atom:content/text() | atom:summary/text()", namespaces=ATOM
        ):
            assert ("date of this post is approximate" in text) == (
                title in approximate_titles
            ), title


# -- the pieces on their own ---------------------------------------------

POST = "http://localhost:8000/2009/07/post/"


@pytest.mark.parametrize(
    "settings, address",
    [
        (
            {"ABSOLUTE_SITEURL": "http://localhost:8000", "SITEURL": ""},
            "http://localhost:8000",
        ),
        (
            {
                "ABSOLUTE_SITEURL": "http://localhost:8000",
                "SITEURL": "https://e.org/blog/",
            },
            "https://e.org/blog",
        ),
        ({"SITEURL": "/blog", "FEED_DOMAIN": "https://e.org"}, "https://e.org"),
    ],
)
def test_an_absolute_siteurl_is_the_sites_address(settings, address):
    """(A publish settings file that imports the development one and sets
    SITEURL published canonical links, the sitemap and feeds on localhost.)"""
    assert absolute_siteurl(settings) == address


@pytest.mark.parametrize(
    "feed_domain, expected",
    [
        (pelicanconf.FEED_DOMAIN, "https://e.org/blog"),  # inherited: it follows
        ("", "https://e.org/blog"),
        ("https://feeds.e.org", "https://feeds.e.org"),  # its own: kept
    ],
)
def test_the_feeds_domain_follows_an_absolute_siteurl_unless_set_apart(
    feed_domain, expected
):
    settings = {
        "ABSOLUTE_SITEURL": pelicanconf.ABSOLUTE_SITEURL,
        "SITEURL": "https://e.org/blog",
        "FEED_DOMAIN": feed_domain,
    }
    set_up(SimpleNamespace(settings=settings))
    assert settings["ABSOLUTE_SITEURL"] == "https://e.org/blog"
    assert settings["FEED_DOMAIN"] == expected


def test_absolute_links_resolves_fragment_root_and_relative_links():
    text = (
        '<h2 id="x">X<a class="headerlink" href="#x" title="Link">¶</a></h2>'
        '<p><a href="/tag/python/">python</a> <a href="../other/">other</a> '
        '<a href="https://docs.python.org/3/">docs</a> <a href="mailto:d@x.org">d</a>'
        '<img src="/figures/a.svg" alt="A" width="4" height="3"></p>'
    )
    assert absolute_links(text, POST) == (
        '<h2 id="x">X<a class="headerlink" href="http://localhost:8000/2009/07/post/#x"'
        ' title="Link">¶</a></h2>'
        '<p><a href="http://localhost:8000/tag/python/">python</a> '
        '<a href="http://localhost:8000/2009/07/other/">other</a> '
        '<a href="https://docs.python.org/3/">docs</a> <a href="mailto:d@x.org">d</a>'
        '<img src="http://localhost:8000/figures/a.svg" alt="A" width="4"'
        ' height="3"></p>'
    )


def test_absolute_links_resolves_srcset_and_poster():
    text = '<img srcset="/a.png 1x, b.png 2x" alt=""><video poster="/p.png" controls>'
    assert absolute_links(text, POST) == (
        '<img srcset="http://localhost:8000/a.png 1x, '
        'http://localhost:8000/2009/07/post/b.png 2x" alt="">'
        '<video poster="http://localhost:8000/p.png" controls>'
    )


def test_absolute_links_finds_attributes_in_any_case_and_spacing():
    text = "<A HREF = '/tag/python/'>python</A><IMG Src=/a.png alt=''>"
    assert absolute_links(text, POST) == (
        '<a href="http://localhost:8000/tag/python/">python</A>'
        '<img src="http://localhost:8000/a.png" alt="">'
    )


def test_absolute_links_leaves_text_code_and_other_tags_as_written():
    text = (
        '<p>Use <code>&lt;a href="#top"&gt;</code> &amp; <em>so</em></p>\n'
        "<pre><code>print(\"&lt;img src='/x.png'&gt;\")</code></pre>"
        '<math display="block"><mi>x</mi></math><br/>'
    )
    assert absolute_links(text, POST) == text


def test_approximate_dates_are_the_ones_marked_yes():
    class Post:
        def __init__(self, value):
            self.date_approximate = value

    assert approximate(Post("yes")) and approximate(Post("True"))
    assert not approximate(Post("no")) and not approximate(Post(""))
    assert not approximate(object())


def test_figure_images_finds_figures_in_any_case_and_with_attributes():
    text = (
        '<p><img src="/inline.png" alt="not a figure"></p>'
        '<FIGURE class="exec-figure"><IMG SRC="/a.png" ALT="A" width="4" height="3">'
        "<figcaption>A</figcaption></FIGURE>"
        '<figure\nid="b"><img src="/b.gif" alt="B"></figure>'
    )
    assert figure_images(text) == [("/a.png", "A", "4", "3"), ("/b.gif", "B", "", "")]


def test_figure_images_ignores_images_outside_figures_and_look_alike_tags():
    text = (
        '<p><img src="/a.png" alt="A"></p><figcaption><img src="/b.png" alt="B">'
        "</figcaption><code>&lt;figure&gt;&lt;img src='/c.png'&gt;</code>"
    )
    assert figure_images(text) == []


# -- what a post from a stranger's pull request could do -----------------


def test_absolute_links_leaves_a_url_python_cannot_parse_as_written():
    """urljoin raises on "http://[oops/" (Invalid IPv6 URL): the feeds
    stopped the build with a traceback; the positions check reports it."""
    text = '<a href="http://[oops/">x</a> <img srcset="http://[oops/a.png 2x" alt="">'
    assert absolute_links(text, POST) == text


def test_a_post_url_python_cannot_parse_is_remembered_as_written(monkeypatch):
    """``URL: http://[oops/`` in a post: urljoin raised when the feeds
    noted which posts have approximate dates."""
    monkeypatch.setattr(sharing.feeds, "approximate_dates", {})
    post = SimpleNamespace(url="http://[oops/", date_approximate="yes")
    generator = SimpleNamespace(settings={"ABSOLUTE_SITEURL": DEV}, articles=[post])
    remember_posts(generator)
    assert sharing.feeds.approximate_dates == {"http://[oops/": True}


def test_absolute_links_reads_malformed_markup_as_browsers_do():
    """``<![<![`` raised "expected name token" in Python 3.11's parser."""
    text = '<p><![<![</p><a href="/tag/python/">python</a>'
    assert absolute_links(text, POST) == (
        '<p><![<![</p><a href="http://localhost:8000/tag/python/">python</a>'
    )


def test_figure_images_reads_malformed_markup_as_browsers_do():
    text = '<figure><![<![><img src="/a.png" alt="A"></figure>'
    assert figure_images(text) == [("/a.png", "A", "", "")]


def test_a_figure_whose_url_python_cannot_parse_is_not_shared():
    """urlsplit raised on it: the next figure is the post's image."""
    post = SimpleNamespace(
        save_as="2009/07/post/index.html",
        content='<figure><img src="http://[oops/a.png" alt="x"></figure>'
        '<figure><img src="b.png" alt="B"></figure>',
    )
    assert share_image(post, "http://localhost:8000")["url"] == (
        "http://localhost:8000/2009/07/post/b.png"
    )


def written_sitemap(tmp_path, monkeypatch, paths: list[str], **context):
    """sitemap.xml (parsed, strictly) of pages written to ``paths``, relative
    to an output folder in ``tmp_path``."""
    monkeypatch.setattr(sharing.sitemap, "pages", sharing.sitemap.Pages())
    output = tmp_path / "output"
    output.mkdir()
    for path in paths:
        sharing.sitemap.pages.written(str(output / path), context)
    pelican = SimpleNamespace(
        settings={"ABSOLUTE_SITEURL": "http://localhost:8000"},
        output_path=str(output),
    )
    sharing.sitemap.write(pelican)
    return etree.parse(str(output / "sitemap.xml")).getroot()


def test_sitemap_locs_are_percent_encoded_and_the_xml_well_formed(
    tmp_path, monkeypatch
):
    """A slug's control character made sitemap.xml not well-formed, and its
    spaces and quotes went into <loc> raw."""
    paths = ["a\x01b/index.html", 'it\'s "quoted" & <odd>/index.html']
    paths += ["café/index.html", "100%/x.html", "a:b@c;d=e/index.html"]
    sitemap = written_sitemap(tmp_path, monkeypatch, paths)
    assert sitemap.xpath("//s:loc/text()", namespaces=SITEMAP) == [
        "http://localhost:8000/100%25/x.html",
        "http://localhost:8000/a%01b/",
        "http://localhost:8000/a:b@c;d=e/",
        "http://localhost:8000/caf%C3%A9/",
        "http://localhost:8000/it's%20%22quoted%22%20&%20%3Codd%3E/",
    ]


def test_a_page_written_outside_the_output_is_an_error_not_a_traceback(
    tmp_path, monkeypatch, caplog
):
    """``Save_as: ../out-evil/x.html``: relative_to raised ValueError."""
    post = SimpleNamespace(
        source_path=str(tmp_path / "content/posts/evil.md"),
        status="published",
        date=datetime(2009, 7, 18),
    )
    with caplog.at_level(logging.ERROR):
        sitemap = written_sitemap(
            tmp_path, monkeypatch, ["../out-evil/x.html", "index.html"], article=post
        )
    assert sitemap.xpath("//s:loc/text()", namespaces=SITEMAP) == [
        "http://localhost:8000/"
    ]
    (error,) = caplog.messages
    assert "posts/evil.md: its page was written to " in error
    assert "out-evil/x.html, outside the output folder" in error


def failed_build(tmp_path, body: str, metadata: str = "") -> str:
    """The log of a small site with a good post and a stranger's of ``body``
    and ``metadata`` lines, which fails."""
    content = write_site(tmp_path, {"good": "Fine.\n", "stranger": body})
    post = content / "posts" / "stranger.md"
    post.write_text(post.read_text().replace("\n\n", f"\n{metadata}\n", 1))
    result = build_site(content, tmp_path / "output")
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "Traceback" not in log
    return log


def named(log: str, problem: str) -> bool:
    """Whether ``problem`` is reported on the stranger's page, naming the post."""
    return any(
        problem in entry and entry.endswith("posts/stranger.md)")
        for entry in log.splitlines()
    )


def test_a_link_python_cannot_parse_fails_the_build_naming_the_post(tmp_path):
    log = failed_build(tmp_path, "A [x](http://[oops/) link.\n")
    assert named(log, '<a href="http://[oops/">: not a valid URL (Invalid IPv6 URL)')


def test_a_figure_python_cannot_parse_fails_the_build_naming_the_post(tmp_path):
    body = '<figure><img src="http://[oops/a.png" alt="x"></figure>\n'
    log = failed_build(tmp_path, body)
    assert named(log, '<img src="http://[oops/a.png">: not a valid URL')


def test_a_slug_with_a_control_character_leaves_the_sitemap_well_formed(tmp_path):
    """The page's URL is reported; sitemap.xml is still XML."""
    log = failed_build(tmp_path, "Text.\n", metadata="Slug: a\x01b")
    assert named(log, "whitespace or a control character (0x01) in a URL")
    sitemap = etree.parse(str(tmp_path / "output" / "sitemap.xml")).getroot()
    locations = sitemap.xpath("//s:loc/text()", namespaces=SITEMAP)
    assert f"{DEV}/2009/07/a%01b/" in locations


def test_text_shown_elsewhere_resolves_the_authors_links_against_the_post():
    """Made again on the marker, Pelican's links are told from the
    author's: each is resolved where it belongs, for a list two levels down."""
    marker = shown_elsewhere.MARKER
    text = (
        f'<a href="../b/">b</a><a href="{marker}/2009/07/c/">c</a>'
        '<a href="#x" id="y">x</a><img src="https://other.org/i.png">'
    )
    assert shown_elsewhere.rebased(text, "2009/07/a/", "../..", without_ids=True) == (
        '<a href="../../2009/07/b/">b</a><a href="../../2009/07/c/">c</a>'
        '<a href="../../2009/07/a/#x">x</a><img src="https://other.org/i.png">'
    )


def test_only_links_made_on_the_marker_are_moved_onto_the_site():
    """Text that merely holds the marker's address is left as it is (the
    whole text was searched and replaced), and the marker is a new host
    each process, so no post can write one of Pelican's links."""
    marker = shown_elsewhere.MARKER
    text = f"<p>{marker}/x <a href='{marker}/2009/07/c/'>c</a></p>"
    assert shown_elsewhere.rebased(text, "2009/07/a/", "") == (
        f'<p>{marker}/x <a href="/2009/07/c/">c</a></p>'
    )
    assert marker.endswith(".invalid") and marker != "https://site-address.invalid"


def test_a_summary_of_the_posts_metadata_is_not_made_again():
    """Pelican makes a ``Summary:``'s links once, on SITEURL: made again on
    the marker it would hold none, and its links were taken for the
    author's (resolved against the post)."""

    class Post:
        metadata = {"summary": '<p><a href="posts/x/">x</a></p>'}

        def get_content(self, siteurl):
            return "<p>All of it.</p>"

    assert shown_elsewhere.marked(Post(), Post.metadata["summary"], "..") is None
