"""Functional tests of the built site, in the spirit of the API-testing post:
build once, parse every page and ask XPath questions of it."""

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from lxml import html

import pelicanconf
from helpers import ROOT
from seed import SEED_POSTS, SEED_TAGS, posts_tagged

ATOM = {"atom": "http://www.w3.org/2005/Atom"}
# Attributes through which an element makes the browser fetch something (a
# canonical link names the page's own absolute address; nothing is fetched).
LOADING_XPATH = (
    "//@src | //@srcset | //@poster | //object/@data | //form/@action"
    " | //link[not(@rel='canonical')]/@href | //@style[contains(., 'url(')]"
)


def text(element) -> str:
    return " ".join(element.text_content().split())


def resolve(site, page: Path, url: str) -> tuple[Path, str]:
    """The output file and fragment an internal URL on ``page`` points at."""
    parts = urlsplit(url)
    path = unquote(parts.path)
    if not path:
        return page, parts.fragment
    if path.startswith("/"):
        target = site.output / path.lstrip("/")
    else:
        target = page.parent / path
    if path.endswith("/") or target.is_dir():
        target = target / "index.html"
    return target.resolve(), parts.fragment


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) and parts.scheme != "data"


def article_pages(site):
    pages = {}
    for path in site.html_pages():
        doc = html.parse(str(path)).getroot()
        if doc.xpath("//article[contains(@class, 'post')]"):
            pages[text(doc.xpath("//h1")[0])] = doc
    return pages


def titles_listed(site, first_page: str) -> list[str]:
    """Post titles on a paginated listing, following its "next" links."""
    titles, url = [], first_page
    while url:
        doc = site.page(url)
        titles += [text(a) for a in doc.xpath("//article[@class='summary']//h2/a")]
        titles += [text(a) for a in doc.xpath("//article[@class='summary']//h3/a")]
        following = doc.xpath("//nav[@class='pagination']/a[@rel='next']/@href")
        url = following[0] if following else None
    return titles


def test_eight_article_pages_with_the_seed_titles(site):
    assert sorted(article_pages(site)) == sorted(post.title for post in SEED_POSTS)


@pytest.mark.parametrize("post", SEED_POSTS, ids=lambda post: post.title)
def test_article_page_shows_posted_date(site, post):
    doc = article_pages(site)[post.title]
    (time,) = doc.xpath("//article//p[@class='meta']/time")
    assert time.get("datetime").startswith(post.date)
    meta = text(time.getparent())
    assert meta.startswith("Posted ")
    assert ("(approximate date)" in meta) == post.approximate


@pytest.mark.parametrize("post", SEED_POSTS, ids=lambda post: post.title)
def test_article_page_is_filed_under_its_seed_tags(site, post):
    doc = article_pages(site)[post.title]
    (filed,) = doc.xpath("//article//p[@class='filed-under']")
    assert text(filed).startswith("Filed under //")
    tags = [text(a).lower() for a in filed.xpath("a[@rel='tag']")]
    assert tags == [tag.lower() for tag in post.tags]


def test_every_seed_tag_has_a_tag_page_listing_its_posts(site):
    tags_page = site.page("tags/")
    links = {text(a).lower(): a.get("href") for a in tags_page.xpath("//main//li/a")}
    assert sorted(links) == SEED_TAGS
    for tag, href in links.items():
        assert set(titles_listed(site, href)) == posts_tagged(tag), tag


def test_index_is_paginated_and_lists_every_post_newest_first(site):
    first = site.page("")
    assert (
        len(first.xpath("//article[@class='summary']"))
        == pelicanconf.DEFAULT_PAGINATION
    )
    listed = titles_listed(site, "/")
    assert listed == [post.title for post in SEED_POSTS]
    (back,) = site.page("page/2/").xpath("//nav[@class='pagination']/a[@rel='prev']")
    assert back.get("href") == "/"


def test_index_summaries_are_the_opening_words_of_each_post(site):
    pages = article_pages(site)
    for page_url in ("/", "/page/2/"):
        for summary in site.page(page_url).xpath("//article[@class='summary']"):
            title = text(summary.xpath(".//h3/a")[0])
            opening = text(pages[title].xpath("//div[@class='post-body']/p[1]")[0])
            summary_text = text(summary.xpath(".//div[@class='summary-text']")[0])
            assert summary_text
            assert opening.startswith(summary_text.rstrip(" …"))


def test_archives_list_every_post_by_year(site):
    doc = site.page("archives/")
    years = [text(h) for h in doc.xpath("//main//section/h2")]
    assert years == ["2010", "2009", "2008"]
    assert [text(a) for a in doc.xpath("//main//li/a")] == [p.title for p in SEED_POSTS]


def test_every_date_shown_says_when_it_is_approximate(site):
    approximate = {
        p.stem
        for p in (ROOT / "content" / "posts").glob("*.md")
        if "Date_approximate: yes" in p.read_text()
    }
    assert approximate
    pages = ["", "page/2/", "archives/", "tag/python/", "category/python/"]
    seen = 0
    for url in [*pages, "author/david/"]:
        for item in site.page(url).xpath("//main//li[.//time]"):
            link = item.xpath(".//a[contains(@href, '/20')]")[0]
            slug = link.get("href").rstrip("/").rsplit("/", 1)[-1]
            marked = bool(item.xpath(".//*[@class='approximate']"))
            assert marked == (slug in approximate), (url, slug)
            seen += 1
    assert seen >= 16


def test_category_and_author_pages_list_their_posts(site):
    categories = site.page("categories/").xpath("//main//li/a")
    assert categories
    listed = []
    for link in categories:
        listed += titles_listed(site, link.get("href"))
    assert sorted(listed) == sorted(post.title for post in SEED_POSTS)
    (author,) = site.page("authors/").xpath("//main//li/a")
    assert text(author) == "David"
    assert titles_listed(site, author.get("href")) == [p.title for p in SEED_POSTS]


def test_article_pages_link_to_older_and_newer_posts(site):
    doc = article_pages(site)["Python static class members and You"]
    assert text(doc.xpath("//nav[@class='post-nav']/a[@rel='prev']")[0]).endswith(
        "HTMLParser, not for the faint of heart"
    )
    assert text(doc.xpath("//nav[@class='post-nav']/a[@rel='next']")[0]).startswith(
        "Python unit testing super fun time"
    )


def test_atom_feed_is_well_formed_and_lists_all_posts(site):
    feed = site.xml("feeds/all.atom.xml")
    titles = feed.xpath("/atom:feed/atom:entry/atom:title/text()", namespaces=ATOM)
    assert sorted(titles) == sorted(post.title for post in SEED_POSTS)
    for link in feed.xpath("//atom:entry/atom:link/@href", namespaces=ATOM):
        target, _ = resolve(site, site.output / "index.html", urlsplit(link).path)
        assert target.is_file(), link


def test_rss_feed_is_well_formed_and_lists_all_posts(site):
    feed = site.xml("feeds/all.rss.xml")
    titles = feed.xpath("/rss/channel/item/title/text()")
    assert sorted(titles) == sorted(post.title for post in SEED_POSTS)
    assert len(feed.xpath("/rss/channel/item/pubDate")) == len(SEED_POSTS)


def test_every_feed_is_well_formed_xml(site):
    feeds = sorted(site.output.glob("feeds/**/*.xml"))
    assert len(feeds) > 2
    for feed in feeds:
        site.xml(str(feed.relative_to(site.output)))  # raises on malformed XML


def test_every_page_is_well_formed_html5_with_one_h1_and_a_lang(site):
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    for path in site.html_pages():
        source = path.read_text(encoding="utf-8")
        parser.parse(source)  # raises html5lib's ParseError on any parse error
        doc = html.fromstring(source)
        assert len(doc.xpath("//h1")) == 1, path
        assert doc.get("lang"), path
        assert doc.xpath("/html/head/title/text()"), path


def test_every_page_has_the_landmarks_and_a_working_skip_link(site):
    for path in site.html_pages():
        doc = html.parse(str(path)).getroot()
        assert len(doc.xpath("//body/header")) == 1, path
        assert len(doc.xpath("//main")) == 1, path
        assert len(doc.xpath("//body/footer")) == 1, path
        assert doc.xpath("//nav[@aria-label='Main']"), path
        (skip,) = doc.xpath("//a[@class='skip-link']")
        assert doc.xpath(f"//*[@id='{skip.get('href')[1:]}']"), path
        assert doc.xpath("//meta[@name='viewport']"), path


def test_every_internal_link_and_image_resolves_to_a_file(site):
    checked = 0
    for page in site.html_pages():
        doc = html.parse(str(page)).getroot()
        for url in doc.xpath("//a/@href | //link/@href | //img/@src | //script/@src"):
            if is_external(url) or url.startswith(("mailto:", "data:")):
                continue
            target, fragment = resolve(site, page, url)
            assert target.is_file(), f"{page.relative_to(site.output)}: {url}"
            if fragment and target.suffix == ".html":
                ids = html.parse(str(target)).getroot().xpath("//@id")
                assert fragment in ids, f"{page.relative_to(site.output)}: {url}"
            checked += 1
    assert checked > 100


def test_no_element_loads_anything_from_another_host(site):
    for page in site.html_pages():
        doc = html.parse(str(page)).getroot()
        for url in doc.xpath(LOADING_XPATH):
            assert not is_external(url) and "//" not in url, f"{page}: {url}"
        assert not doc.xpath("//iframe | //embed"), page
    for stylesheet in site.output.rglob("*.css"):
        css = stylesheet.read_text(encoding="utf-8")
        assert "@import" not in css, stylesheet
        # Pagefind's stylesheets draw their icons from data: URLs, in the file.
        for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
            assert url.startswith("data:"), f"{stylesheet}: {url}"


def test_outbound_links_go_only_to_allowed_hosts(site):
    allowed = set(pelicanconf.EXTERNAL_LINK_HOSTS)
    for page in site.html_pages():
        for url in html.parse(str(page)).getroot().xpath("//a/@href"):
            if is_external(url):
                assert urlsplit(url).hostname in allowed, f"{page}: {url}"


def test_images_have_alt_text(site):
    for page in site.html_pages():
        for image in html.parse(str(page)).getroot().xpath("//img"):
            assert image.get("alt", "").strip(), f"{page}: {html.tostring(image)}"


def test_code_samples_are_highlighted_by_pygments(site):
    doc = article_pages(site)["Python static class members and You"]
    blocks = doc.xpath("//div[@class='post-body']//div[@class='highlight']")
    assert len(blocks) == 5
    assert blocks[0].xpath(".//span[@class='k' and text()='class']")
    css = (site.output / "theme/css/pygments.css").read_text(encoding="utf-8")
    assert ".highlight .k " in css
    assert "@media (prefers-color-scheme: dark)" in css


def test_not_found_page_works_from_any_address(site):
    doc = site.page("404.html")
    assert text(doc.xpath("//h1")[0]) == "Page not found"
    for url in doc.xpath("//a/@href | //link/@href"):
        assert url.startswith(("/", "#")), url


def test_about_page_lists_which_dates_are_approximate(site):
    doc = site.page("about/")
    rows = {
        text(row.xpath("td[1]")[0]): text(row.xpath("td[3]")[0])
        for row in doc.xpath("//main//table//tr[td]")
    }
    assert rows == {
        post.title: "approximate" if post.approximate else "exact"
        for post in SEED_POSTS
    }


@pytest.mark.parametrize(
    "url, current",
    [("", "Home"), ("archives/", "Archives"), ("tags/", "Tags")]
    + [("categories/", "Categories"), ("about/", "About")],
)
def test_the_menu_marks_the_page_the_reader_is_on(site, url, current):
    marked = site.page(url).xpath("//nav[@aria-label='Main']//a[@aria-current]")
    assert [a.text_content() for a in marked] == [current]
