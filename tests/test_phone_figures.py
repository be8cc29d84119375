"""The built blog in Debian's Chromium, driven by Playwright, on a phone's
screen (390×844) and a desktop's: the figures' text stays legible (at least
10 CSS px), and wide tables scroll inside their own box, not the page.

How large a figure's text shows is its smallest text's size in the file
(the build records it, in pixels at the file's natural size, in its
execution report) scaled by the width the page shows the file at over the
file's width. (An SVG's natural width in a browser is its size at 96 dpi,
not the figure's dpi; the ratio of text to width is the same.)"""

import pytest

from browser_fixtures import chromium, require_chromium
from helpers import report_of

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LEGIBLE_PX = 10

require_chromium()


@pytest.fixture(scope="module")
def browser():
    with chromium(color_scheme="light") as context:
        yield context


@pytest.fixture(scope="module")
def recorded(site) -> dict[str, dict]:
    """Every figure file the build published, by name: its width and its
    smallest text, both in pixels at its natural size (from the report)."""
    files = {}
    for block in report_of(site.output)["blocks"]:
        for picture in block["figures"]:
            files[picture["file"]] = picture
            if "narrow" in picture:
                files[picture["narrow"]["file"]] = picture["narrow"]
    return files


def post_url(site, site_url: str, slug: str) -> str:
    (page,) = site.output.glob(f"*/*/{slug}/index.html")
    return f"{site_url}/{page.parent.relative_to(site.output).as_posix()}/"


def shown_figures(browser, url: str, viewport: dict) -> list[dict]:
    """Each figure's image as the page shows it at ``viewport``: the file
    chosen, the one its ``src`` names, and the width it is shown at."""
    page = browser.new_page()
    try:
        page.set_viewport_size(viewport)
        page.goto(url)
        images = page.locator("figure.exec-figure img")
        shown = []
        for index in range(images.count()):
            image = images.nth(index)
            image.scroll_into_view_if_needed()  # they load lazily
            page.wait_for_function(
                "image => image.complete && image.naturalWidth > 0",
                arg=image.element_handle(),
            )
            shown.append(
                image.evaluate(
                    "image => ({chosen: image.currentSrc, src: image.src,"
                    " width: image.getBoundingClientRect().width})"
                )
            )
        return shown
    finally:
        page.close()


def text_px(figure: dict, recorded: dict) -> float:
    """The smallest text of the file shown, in CSS px as shown."""
    file = recorded[figure["chosen"].rsplit("/", 1)[1]]
    return figure["width"] * file["smallest_text_px"] / file["width"]


def test_on_a_phone_every_figure_shows_its_text_at_a_legible_size(
    site, site_url, browser, recorded
):
    url = post_url(site, site_url, "1d-fokker-planck-equation")
    shown = shown_figures(browser, url, PHONE)
    assert len(shown) == 5  # the animation and four figures
    for figure in shown:
        assert text_px(figure, recorded) >= LEGIBLE_PX, figure
    # their own text would not be: each shows its narrow variant
    assert all(figure["chosen"] != figure["src"] for figure in shown)


def test_on_a_desktop_every_figure_shows_at_its_own_size(
    site, site_url, browser, recorded
):
    url = post_url(site, site_url, "1d-fokker-planck-equation")
    shown = shown_figures(browser, url, DESKTOP)
    assert len(shown) == 5
    for figure in shown:
        assert figure["chosen"] == figure["src"]  # the wide one
        assert text_px(figure, recorded) >= LEGIBLE_PX, figure


def test_on_a_phone_wide_tables_scroll_inside_their_own_box(site, site_url, browser):
    page = browser.new_page()
    try:
        page.set_viewport_size(PHONE)
        page.goto(post_url(site, site_url, "weekend-project-cloudcached"))
        page_width = page.evaluate("document.scrollingElement.scrollWidth")
        assert page_width <= PHONE["width"]  # the page itself never scrolls sideways
        boxes = page.evaluate(
            """[...document.querySelectorAll('main table, main pre')].map(box => ({
                tag: box.tagName,
                wider: box.scrollWidth > box.clientWidth,
                overflow: getComputedStyle(box).overflowX,
                right: box.getBoundingClientRect().right,
            }))"""
        )
    finally:
        page.close()
    assert any(box["tag"] == "TABLE" for box in boxes)
    # the benchmark block's own table, in its output, is wider than a phone
    assert any(box["wider"] for box in boxes)
    for box in boxes:
        assert box["right"] <= PHONE["width"], box
        if box["wider"]:
            assert box["overflow"] in ("auto", "scroll"), box
