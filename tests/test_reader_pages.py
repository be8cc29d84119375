"""The built blog as readers' browsers show it (Debian's Chromium through
Playwright): every kind of page passes axe-core with no violations in light
and dark mode, on a desktop and a phone; code scrolls where a keyboard can
reach it; the copy button copies the code and nothing else."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from browser_fixtures import chromium, require_chromium, served
from reader_view import WIDTHS, pages_of_each_kind

require_chromium()


@pytest.fixture(scope="module")
def site_url(site):
    with served(site.output) as url:
        yield url


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_kind_of_page_passes_axe_core(site, site_url, scheme, width):
    axe = Axe()
    found = []
    pages = pages_of_each_kind(site.output)
    assert len(pages) >= 15, pages
    with chromium(
        color_scheme=scheme, viewport={"width": width, "height": 900}
    ) as browser:
        page = browser.new_page()
        for url in pages:
            page.goto(f"{site_url}/{url}")
            for violation in axe.run(page).response["violations"]:
                targets = [node["target"] for node in violation["nodes"]][:3]
                found.append(
                    f"/{url}: {violation['id']} ({violation['impact']}) {targets}"
                )
    assert not found, "\n".join(found)


def test_code_that_overflows_scrolls_in_a_region_a_keyboard_can_reach(site, site_url):
    with chromium(viewport={"width": 390, "height": 844}) as browser:
        page = browser.new_page()
        page.goto(f"{site_url}/2009/10/making-pythons-pickle-safer/")
        overflowing = page.locator("pre").evaluate_all(
            "pres => pres.filter(p => p.scrollWidth > p.clientWidth).map("
            "p => [p.tabIndex, p.getAttribute('role'), p.getAttribute('aria-label')])"
        )
        assert overflowing, "no code block is wider than a phone: nothing tested"
        for tab_index, role, label in overflowing:
            assert (tab_index, role) == (0, "region") and label
        region = page.locator("pre[role=region]").first
        region.focus()
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        assert region.evaluate("p => document.activeElement === p")


def test_the_copy_button_copies_the_code_text_only(site, site_url):
    with chromium() as browser:
        browser.grant_permissions(
            ["clipboard-read", "clipboard-write"], origin=site_url
        )
        page = browser.new_page()
        page.goto(f"{site_url}/2009/10/making-pythons-pickle-safer/")
        block = page.locator(".highlight[data-language]").nth(1)
        code = block.locator("pre > code").text_content()
        button = block.get_by_role("button")
        assert button.text_content() == "Copy"
        button.click()
        assert page.evaluate("navigator.clipboard.readText()") == code
        assert "Copy" not in code and "PYTHON" not in code.upper().split()[0]
        assert (
            page.get_by_role("status").text_content().startswith("Copied Code example")
        )


def test_code_blocks_name_their_language(site, site_url):
    with chromium() as browser:
        page = browser.new_page()
        page.goto(f"{site_url}/2010/08/websockets-in-python/")
        languages = page.locator(".highlight").evaluate_all(
            "blocks => blocks.map(b => getComputedStyle(b, '::before').content)"
        )
        assert '"Python"' in languages and '"HTTP"' in languages


def test_screenshots_cover_both_schemes_at_both_widths(site, tmp_path):
    from PIL import Image

    from reader_view import screenshots

    written = screenshots(site.output, tmp_path, ["", "chat/"])
    assert sorted(path.name for path in written) == sorted(
        f"{page}-{scheme}-{width}.png"
        for page in ("home", "chat")
        for scheme in ("light", "dark")
        for width in (1280, 390)
    )
    for path in written:
        with Image.open(path) as image:
            assert image.width == int(path.stem.rsplit("-", 1)[1])
    light, dark = (
        Image.open(tmp_path / f"home-{s}-1280.png") for s in ("light", "dark")
    )
    assert light.getpixel((5, 5)) != dark.getpixel((5, 5))  # dark mode took
