"""Site search (plugins/pagefind_search): the build indexes the written site
with Pagefind's own binary, the search page loads Pagefind's UI from the site
itself, and a failed index fails the build."""

import json
import stat

import pytest

from helpers import ROOT, build_site
from pagefind_search import IndexFailed, index_site
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
