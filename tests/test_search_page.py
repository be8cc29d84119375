"""The search page in Debian's Chromium, driven by Playwright, over the site
the session built: the header box finds the pickle post first, nothing is
asked of another host, and axe-core finds no violations, light or dark,
wide or narrow."""

from urllib.parse import urlsplit

import pytest
from playwright import sync_api

from browser_fixtures import chromium, require_chromium

PICKLE_TITLE = "Making Python's pickle safe(r)"  # content/posts/making-pythons-...
# Results wait for Pagefind's WebAssembly and index chunks: on a busy 2-core
# machine that can take longer than expect's 5 s.
WAIT = 20_000

require_chromium()


@pytest.fixture(scope="module")
def browser():
    with chromium() as context:
        yield context


@pytest.fixture
def page(browser):
    page = browser.new_page()
    yield page
    page.close()


def results(page):
    titles = page.locator(".pagefind-ui__result-title")
    sync_api.expect(titles.first).to_be_visible(timeout=WAIT)
    return titles


def test_typing_pickle_in_the_header_box_shows_the_pickle_post_first(page, site_url):
    page.goto(f"{site_url}/")
    page.get_by_role("search").get_by_label("Search").fill("pickle")
    page.get_by_role("search").get_by_role("button").click()
    page.wait_for_url(f"{site_url}/search/?q=pickle")
    titles = results(page)
    sync_api.expect(titles.first).to_have_text(PICKLE_TITLE, timeout=WAIT)
    titles.first.locator("a").click()
    page.wait_for_url(f"{site_url}/2009/10/making-pythons-pickle-safer/")


def test_searching_asks_nothing_of_any_other_host(page, site_url):
    asked = []

    def record(route):
        asked.append(route.request.url)
        if urlsplit(route.request.url).netloc == urlsplit(site_url).netloc:
            route.continue_()
        else:
            route.abort()

    page.route("**/*", record)
    page.goto(f"{site_url}/search/?q=websockets")
    sync_api.expect(results(page).first).to_contain_text("WebSockets", timeout=WAIT)
    elsewhere = [url for url in asked if not url.startswith(f"{site_url}/")]
    assert elsewhere == []
    # The index itself came from the site: its entry, WebAssembly and fragments.
    paths = [urlsplit(url).path for url in asked]
    assert "/pagefind/pagefind-entry.json" in paths
    assert any(path.endswith(".pf_fragment") for path in paths)
    assert any(path.startswith("/pagefind/wasm.") for path in paths)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 390])
def test_search_pages_have_no_axe_violations_and_fit_the_width(
    page, site_url, scheme, width
):
    from axe_playwright_python.sync_playwright import Axe

    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": width, "height": 900})
    for address in ("/", "/search/", "/search/?q=pickle", "/search/?q=zzzqqq"):
        page.goto(site_url + address)
        if "q=" in address:
            message = page.locator(".pagefind-ui__message")
            sync_api.expect(message).to_contain_text("result", timeout=WAIT)
        violations = Axe().run(page).response["violations"]
        assert violations == [], (address, violations)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth"
            " - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (address, overflow)
