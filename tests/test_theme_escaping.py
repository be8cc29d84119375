"""Post and page metadata is text, whoever wrote it: the theme escapes it
wherever it prints it, so that a post from a stranger's pull request cannot
put markup or script on any page, its own or the listings and navigation of
the others, without a line of raw HTML. The attacks are carried out on
small sites built once a run; only the rendered content and summary of
posts and pages, which the build made, are printed as HTML."""

import pytest
from lxml import html
from markupsafe import escape

import pelicanconf
from helpers import ROOT, BuiltSite, build_site, built_once, write_site

TITLE = "A harmless post<script>alert('title')</script>"
PAGE_TITLE = "About<script>alert('page')</script>"
CATEGORY = "Hostile<svg onload=alert('category')>"
TAG = "hostile<svg onload=alert('tag')>"
KEYWORD = "k\" onmouseover=\"alert('keyword')"  # a tag that ends an attribute
AUTHOR = "Mallory<svg onload=alert('author')>"
# No spaces (an attribute needs none before it): the link check refuses a
# URL with a space. (A Lang that is no language tag, one with a quote, is
# refused before anything is written: tests/test_content_paths.py.)
SLUG = 'x"onmouseover="alert(1)"style="position:fixed;inset:0"data-x="'
# The security review's slug, spaces and all.
SPACED_SLUG = 'x" onmouseover="alert(1)" style="position:fixed;inset:0" data-x="'
CODE = "\"><script>alert('summary')</script>"  # an inline code span

# A post as the blog's own are: HTML the build made, which must stay HTML.
PLAIN = (
    "A *plain* post.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    '```python exec="on"\nprint("1 < 2")\n```\n'
)
# The hostile posts, newest first (the first two are the neighbours of
# write_site's post "plain", dated 2009-07-18): name -> header and body.
HOSTILE = {
    "title": f"Title: {TITLE}\nDate: 2009-07-19\nSlug: title\n\nBody.\n",
    "slug": f"Title: Slug\nDate: 2009-07-17\nSlug: {SLUG}\n\nBody.\n",
    "summary": (
        f"Title: Summary\nDate: 2009-07-16\nSlug: summary\n\nLook: `{CODE}` here.\n"
    ),
    "terms": (
        f"Title: Terms\nDate: 2009-07-15\nSlug: terms\nCategory: {CATEGORY}\n"
        f"Tags: {TAG}, {KEYWORD}\nAuthor: {AUTHOR}\n\nBody.\n"
    ),
}
HEADER_TERMS = "Category: Test\nTags: t\n"  # those of write_site's posts
# Pages a hostile post is in, besides its own and its terms' pages.
LISTINGS = [
    "index.html",
    "archives/index.html",
    "author/david/index.html",
    "category/test/index.html",
    "tag/t/index.html",
]
SLUG_PAGE = f"2009/07/{SLUG}/index.html"
TERMS_PAGE = "2009/07/terms/index.html"


def write_hostile_site(directory):
    content = write_site(directory, {"plain": PLAIN})
    for name, text in HOSTILE.items():
        header = "" if "\nCategory:" in text else HEADER_TERMS
        (content / "posts" / f"{name}.md").write_text(header + text)
    (content / "pages").mkdir()
    (content / "pages" / "about.md").write_text(
        f"Title: {PAGE_TITLE}\nSlug: about\n\nAbout.\n"
    )
    return content


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> BuiltSite:
    def build(directory):
        return build_site(write_hostile_site(directory), directory / "output")

    directory, built = built_once(tmp_path_factory, "hostile-metadata", build)
    return BuiltSite(directory / "output", built)


@pytest.fixture(scope="module")
def spaced_site(tmp_path_factory) -> BuiltSite:
    def build(directory):
        content = write_site(directory, {"plain": "Body.\n"})
        post = f"Title: Spaced\nDate: 2009-07-17\nSlug: {SPACED_SLUG}\n\nBody.\n"
        (content / "posts" / "spaced.md").write_text(HEADER_TERMS + post)
        return build_site(content, directory / "output")

    directory, built = built_once(tmp_path_factory, "spaced-slug", build)
    return BuiltSite(directory / "output", built)


def texts(site: BuiltSite) -> dict[str, str]:
    """Every HTML page of the site, by its path in the output."""
    return {
        path.relative_to(site.output).as_posix(): path.read_text()
        for path in site.html_pages()
    }


def assert_only_escaped(site: BuiltSite, payload: str, reached: list[str]) -> None:
    """``payload`` is on every page of ``reached``, escaped, and raw on none."""
    pages = texts(site)
    escaped = str(escape(payload))
    missing = [path for path in reached if escaped not in pages[path]]
    assert not missing, f"{escaped!r} not on {missing}"
    raw = [path for path, text in pages.items() if payload in text]
    assert not raw, f"{payload!r} raw on {raw}"


def test_site_with_hostile_metadata_builds_normally(site):
    """Escaping changes what is printed, not whether the site builds."""
    assert site.built.returncode == 0, site.built.stdout + site.built.stderr
    for path in [*LISTINGS, SLUG_PAGE, TERMS_PAGE]:
        assert (site.output / path).is_file(), path


def test_no_page_gets_elements_or_handlers_from_metadata(site):
    """Whatever the metadata says, no page has a script of its own, an SVG or
    an event handler: the theme makes none of them."""
    found = []
    for path in site.html_pages():
        doc = html.parse(str(path)).getroot()
        for element in doc.iter():
            if element.tag in ("svg", "script") and not element.get("src"):
                found.append((path, element.tag))
            found += [(path, name) for name in element.attrib if name.startswith("on")]
    assert not found


def test_title_is_escaped_in_listings_and_the_neighbours_navigation(site):
    """A post's title is in every listing and in the next post's links."""
    reached = [*LISTINGS, "2009/07/title/index.html", "2009/07/plain/index.html"]
    assert_only_escaped(site, TITLE, reached)


def test_page_title_is_escaped_in_every_pages_navigation(site):
    """A page's title is in the header of every page of the site."""
    assert_only_escaped(site, PAGE_TITLE, list(texts(site)))


def test_category_is_escaped_as_the_heading_of_its_pages(site):
    """A category names its own page, the categories page and the listings."""
    reached = [
        "category/hostile/index.html",
        "categories/index.html",
        "index.html",
        "author/mallory/index.html",
        TERMS_PAGE,
    ]
    assert_only_escaped(site, CATEGORY, reached)


def test_tag_is_escaped_as_the_heading_of_its_pages(site):
    """A tag names its own page, the tags page and its posts' footers."""
    reached = ["tag/hostile/index.html", "tags/index.html", TERMS_PAGE]
    assert_only_escaped(site, TAG, reached)


def test_tag_stays_inside_the_keywords_attribute(site):
    """A quote in a tag does not end the keywords meta's content."""
    reached = ["tag/k-onmouseoveralertkeyword/index.html", "tags/index.html"]
    assert_only_escaped(site, KEYWORD, [*reached, TERMS_PAGE])
    doc = site.page(TERMS_PAGE)
    keywords = doc.xpath("//meta[@name='keywords']/@content")
    assert keywords == [f"{TAG}, {KEYWORD}"]


def test_author_is_escaped_as_the_heading_of_their_pages(site):
    """An author names their own page, the authors page and the post's meta."""
    reached = ["author/mallory/index.html", "authors/index.html", TERMS_PAGE]
    assert_only_escaped(site, AUTHOR, reached)


def test_slug_stays_inside_links_and_the_canonical_address(site):
    """A quote in a slug does not end any href, canonical link or og:url."""
    reached = [
        *LISTINGS,
        "2009/07/plain/index.html",  # the neighbours' navigation
        "2009/07/summary/index.html",
        SLUG_PAGE,
    ]
    assert_only_escaped(site, SLUG, reached)
    doc = site.page(SLUG_PAGE)
    address = f"{pelicanconf.ABSOLUTE_SITEURL}/2009/07/{SLUG}/"
    assert doc.xpath("//link[@rel='canonical']/@href") == [address]
    assert doc.xpath("//meta[@property='og:url']/@content") == [address]
    links = site.page("index.html").xpath("//a/@href")
    assert f"/2009/07/{SLUG}/" in links


def test_slug_with_spaces_stays_inside_links_and_the_canonical_address(spaced_site):
    """The review's own slug. Its build's exit status is not asked: the link
    check, which reads the pages once they are written, refuses a URL with
    spaces; the pages it read are what a reader would have had."""
    page = f"2009/07/{SPACED_SLUG}/index.html"
    reached = [*LISTINGS, "2009/07/plain/index.html", page]
    assert_only_escaped(spaced_site, SPACED_SLUG, reached)
    address = f"{pelicanconf.ABSOLUTE_SITEURL}/2009/07/{SPACED_SLUG}/"
    doc = spaced_site.page(page)
    assert doc.xpath("//link[@rel='canonical']/@href") == [address]


def test_description_of_a_code_span_is_text(site):
    """striptags decodes a code span's &lt; in the summary; the description
    escapes the text again, so it stays inside its content attribute."""
    assert_only_escaped(site, CODE, ["2009/07/summary/index.html"])
    doc = site.page("2009/07/summary/index.html")
    description = f"Look: {CODE} here."
    assert doc.xpath("//meta[@name='description']/@content") == [description]
    assert doc.xpath("//meta[@property='og:description']/@content") == [description]


def test_content_and_summaries_stay_html(site):
    """What the build made is HTML: Markdown's, the scroll regions' and the
    executed block's output, each escaped once, not twice."""
    doc = site.page("2009/07/plain/")
    body = doc.xpath("//div[@class='post-body']")[0]
    assert body.xpath(".//p/em/text()") == ["plain"]
    assert body.xpath(".//div[@class='table-scroll']/table")
    assert body.xpath(".//pre[@class='exec-stdout']")[0].text_content() == "1 < 2\n"
    summaries = site.page("index.html").xpath("//div[@class='summary-text']")
    assert any(summary.xpath("p/em") for summary in summaries)
    assert "&lt;p&gt;" not in texts(site)["index.html"]


@pytest.mark.parametrize("settings", ["pelicanconf.py", "publishconf.py"])
def test_settings_turn_on_autoescape(settings, monkeypatch):
    """Development and production builds both escape (publishconf.py takes
    pelicanconf.py's settings), with Pelican's own defaults kept."""
    from pelican.settings import read_settings

    monkeypatch.setenv("SITEURL", "https://blog.example.org")
    environment = read_settings(str(ROOT / settings))["JINJA_ENVIRONMENT"]
    assert environment["autoescape"] is True
    assert environment["trim_blocks"] and environment["lstrip_blocks"]
