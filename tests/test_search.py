"""Site search (plugins/pagefind_search): the build indexes the written site
with Pagefind's own binary, the search page loads Pagefind's UI from the site
itself, and a failed index fails the build."""

import gzip
import json
import stat
import subprocess

import pytest

from helpers import ROOT, build_site
from pagefind_search import IndexFailed, index_site
from pagefind_search.indexer import MOST_ALTERNATIVES, body_glob, default_binary
from seed import SEED_POSTS


def test_the_built_site_has_a_pagefind_index_of_the_posts_and_pages(site):
    bundle = site.output / "pagefind"
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    pages = len(list((ROOT / "content" / "pages").glob("*.md")))
    # Only article and page bodies are indexed: no listing, no 404 page.
    assert entry["languages"]["en"]["page_count"] == len(SEED_POSTS) + pages
    assert list(bundle.glob("fragment/*.pf_fragment"))
    assert (bundle / "pagefind-ui.js").is_file()
    assert (bundle / "pagefind-ui.css").is_file()
    # Each build writes a new bundle in place of the old: no leftovers.
    assert not list(site.output.glob(".pagefind-*"))


def test_posts_mark_their_body_and_title_for_the_index_and_listings_do_not(site):
    post = site.page("2009/10/making-pythons-pickle-safer/")
    (body,) = post.xpath("//*[@data-pagefind-body]")
    (title,) = body.xpath(".//h1[@data-pagefind-meta='title']")
    assert title.text_content() == "Making Python's pickle safe(r)"
    for listing in ("", "archives/", "tags/", "tag/python/", "search/"):
        assert not site.page(listing).xpath("//*[@data-pagefind-body]"), listing


def test_the_search_page_loads_pagefind_from_the_site_and_says_when_it_cannot(site):
    page = site.page("search/")
    scripts = page.xpath("//script/@src")
    assert "/pagefind/pagefind-ui.js" in scripts
    assert "/pagefind/pagefind-ui.css" in page.xpath("//link[@rel='stylesheet']/@href")
    assert all(src.startswith("/") and "//" not in src for src in scripts)
    (noscript,) = page.xpath("//noscript")
    assert "needs JavaScript" in noscript.text_content()


def test_every_other_page_has_one_search_box_labelled_and_sent_to_the_search_page(
    site,
):
    for relative in ("", "2009/10/making-pythons-pickle-safer/", "about/"):
        (form,) = site.page(relative).xpath("//form[@role='search']")
        assert form.get("action") == "/search/" and form.get("method") == "get"
        (box,) = form.xpath(".//input[@name='q']")
        assert form.xpath(f".//label[@for='{box.get('id')}']/text()")
    # The search page has Pagefind's box instead (one search landmark a page).
    assert not site.page("search/").xpath("//form[@role='search']")


def broken_binary(tmp_path):
    binary = tmp_path / "pagefind"
    binary.write_text("#!/bin/sh\necho 'Error: the index is on fire' >&2\nexit 3\n")
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    return binary


def test_a_failing_index_raises_with_pagefinds_own_words(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text("<html><body>x</body></html>")
    fire = r"exited with 3: Error: the index is on fire"
    with pytest.raises(IndexFailed, match=fire):
        index_site(tmp_path / "site", broken_binary(tmp_path))
    assert [p.name for p in (tmp_path / "site").iterdir()] == ["index.html"]


def test_a_missing_binary_is_named(tmp_path):
    (tmp_path / "site").mkdir()
    with pytest.raises(IndexFailed, match="cannot run .*no-such-pagefind"):
        index_site(tmp_path / "site", tmp_path / "no-such-pagefind")


def test_the_build_fails_with_a_clear_error_when_indexing_fails(tmp_path):
    content = tmp_path / "content"
    (content / "pages").mkdir(parents=True)
    (content / "posts").mkdir()
    (content / "pages" / "hello.md").write_text("Title: Hello\n\nHello, search.\n")
    binary = broken_binary(tmp_path)
    output = tmp_path / "output"
    result = build_site(
        content, output, None, "--", "-e", f'PAGEFIND_BINARY="{binary}"'
    )
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert f"pagefind: could not index {output}: {binary} exited with 3" in log
    assert "Error: the index is on fire" in log
    assert "Build failed (errors above)" in log
    assert not (output / "pagefind").exists()


def test_pagefind_off_builds_no_index_no_search_page_and_no_box(tmp_path):
    content = tmp_path / "content"
    (content / "pages").mkdir(parents=True)
    (content / "posts").mkdir()
    (content / "pages" / "hello.md").write_text("Title: Hello\n\nHello, search.\n")
    output = tmp_path / "output"
    result = build_site(content, output, None, "--", "-e", "PAGEFIND=false")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (output / "pagefind").exists()
    assert not (output / "search").exists()
    assert 'role="search"' not in (output / "index.html").read_text()
    assert (output / "hello" / "index.html").is_file()


def test_drafts_and_hidden_posts_and_pages_are_in_no_search(tmp_path):
    """The sitemap leaves them out; the site's search and engines must too."""
    content = tmp_path / "content"
    (content / "pages").mkdir(parents=True)
    (content / "posts").mkdir()
    header = "Title: {0}\nDate: 2009-07-18\nCategory: Test\nStatus: {1}\n\n{0}.\n"
    for name, status in [
        ("shown", "published"),
        ("draft", "draft"),
        ("quiet", "hidden"),
    ]:
        (content / "posts" / f"{name}.md").write_text(header.format(name, status))
        (content / "pages" / f"{name}-page.md").write_text(header.format(name, status))
    output = tmp_path / "output"
    result = build_site(content, output)
    assert result.returncode == 0, result.stdout + result.stderr
    assert indexed_urls(output / "pagefind") == [
        "/2009/07/shown/",
        "/shown/",
    ]
    unlisted = [
        output / "drafts" / "draft.html",
        output / "2009" / "07" / "quiet" / "index.html",
        output / "drafts" / "pages" / "draft.html",
        output / "quiet" / "index.html",
    ]
    for page in unlisted:
        assert '<meta name="robots" content="noindex">' in page.read_text(), page
    shown = (output / "2009" / "07" / "shown" / "index.html").read_text()
    assert 'name="robots"' not in shown


def write_pages(site, pages):
    """Pages at their paths; a marked one has a body Pagefind indexes."""
    for relative, marked in pages.items():
        path = site / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        body = f"<main data-pagefind-body><h1>{relative}</h1>" if marked else "<main>"
        path.write_text(
            f"<!DOCTYPE html><html lang='en'><body>{body}<p>Words about "
            f"{relative}.</p></main></body></html>"
        )


BLOG = {
    "index.html": False,
    "page/2/index.html": False,
    "tag/python/index.html": False,
    "2009/10/pickle/index.html": True,
    "2009/11/htmlparser/index.html": True,
    "2010/01/chat/index.html": True,
    "about/index.html": True,
}


def indexed_urls(bundle):
    """The URL of every page in a Pagefind bundle."""
    return sorted(
        json.loads(gzip.decompress(fragment.read_bytes())[len(b"pagefind_dcd") :])[
            "url"
        ]
        for fragment in (bundle / "fragment").glob("*.pf_fragment")
    )


def test_pagefind_reads_only_the_marked_pages_and_indexes_what_it_would_alone(
    tmp_path,
):
    site = tmp_path / "site"
    write_pages(site, BLOG)
    assert body_glob(site) == "{2009/**/*.html,2010/**/*.html,about/**/*.html}"
    run = index_site(site)
    assert (run.read, run.pages) == (4, 4)
    # Pagefind over every page of the same site, without the glob.
    alone = tmp_path / "alone"
    subprocess.run(
        [default_binary(), "--site", site, "--output-path", alone],
        check=True,
        capture_output=True,
    )
    assert (
        indexed_urls(run.bundle)
        == indexed_urls(alone)
        == [
            "/2009/10/pickle/",
            "/2009/11/htmlparser/",
            "/2010/01/chat/",
            "/about/",
        ]
    )


def test_a_directory_with_an_unmarked_page_is_matched_page_by_page(tmp_path):
    site = tmp_path / "site"
    write_pages(site, {**BLOG, "2009/index.html": False, "notes.html": True})
    assert body_glob(site) == (
        "{2009/10/**/*.html,2009/11/**/*.html,2010/**/*.html,about/**/*.html,"
        "notes.html}"
    )
    run = index_site(site)
    assert (run.read, run.pages) == (5, 5)


def test_a_listing_that_only_mentions_the_marker_is_read_but_not_indexed(tmp_path):
    site = tmp_path / "site"
    write_pages(site, BLOG)
    listing = site / "tag" / "python" / "index.html"
    listing.write_text(
        "<!DOCTYPE html><html lang='en'><body><main><p>Mark a body with "
        "<code>&lt;main data-pagefind-body&gt;</code>.</p></main></body></html>"
    )
    run = index_site(site)
    assert (run.read, run.pages) == (5, 4)
    assert "/tag/python/" not in indexed_urls(run.bundle)


def test_the_whole_site_goes_to_pagefind_when_no_page_or_every_page_is_marked(
    tmp_path,
):
    unmarked = tmp_path / "unmarked"
    write_pages(unmarked, dict.fromkeys(BLOG, False))
    assert body_glob(unmarked) is None
    assert index_site(unmarked).pages == len(BLOG)
    marked = tmp_path / "marked"
    write_pages(marked, dict.fromkeys(BLOG, True))
    assert body_glob(marked) is None
    assert index_site(marked).pages == len(BLOG)


def test_a_name_with_a_glob_character_leaves_the_whole_site_to_pagefind(tmp_path):
    site = tmp_path / "site"
    write_pages(site, {**BLOG, "2011/{a,b}[1]/index.html": True})
    assert body_glob(site) is None
    run = index_site(site)
    assert (run.read, run.pages) == (len(BLOG) + 1, 5)
    assert "/2011/{a,b}[1]/" in indexed_urls(run.bundle)


def test_a_glob_of_too_many_alternatives_leaves_the_whole_site_to_pagefind(
    tmp_path,
):
    site = tmp_path / "site"
    pages = {f"2009/{n:03}/index.html": True for n in range(MOST_ALTERNATIVES + 1)}
    write_pages(site, {**pages, "2009/index.html": False, "index.html": False})
    assert body_glob(site) is None
    run = index_site(site)
    assert (run.read, run.pages) == (MOST_ALTERNATIVES + 3, MOST_ALTERNATIVES + 1)


def test_the_bundle_is_readable_as_the_rest_of_the_site(tmp_path):
    """It was made by mkdtemp, readable by the builder alone (0700): a web
    server running as another user answered every search with 403."""
    site = tmp_path / "site"
    write_pages(site, BLOG)
    site.chmod(0o751)
    run = index_site(site)
    assert stat.S_IMODE(run.bundle.stat().st_mode) == 0o751
