"""The built site as readers see it, in Debian's Chromium driven by
Playwright: served over HTTP as ``invoke serve`` serves it, one page of
each kind, and screenshots of them (``invoke screenshots`` and the tests)."""

import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"desktop": 1280, "phone": 390}
SCHEMES = ("light", "dark")


@contextmanager
def chromium(**options):
    """A browser context with a fresh user-data dir; ``options`` go to
    Playwright's ``launch_persistent_context`` (viewport, color_scheme...)."""
    from playwright import sync_api

    profile = tempfile.mkdtemp(prefix="chromium-")
    try:
        with sync_api.sync_playwright() as playwright:
            context = playwright.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=ARGS, headless=True, **options
            )
            yield context
            context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@contextmanager
def served(output: Path):
    """``output`` over HTTP on a free loopback port; yields its base URL."""
    from tasks import site_server

    server = site_server(output, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def pages_of_each_kind(output: Path) -> list[str]:
    """A site path of every kind of page the site has: home and its second
    page, the lists, 404, chat, about, search, the first tag, category and
    author, and every article (each has its own blocks, figures and tables)."""
    wanted = ["", "page/2/", "archives/", "tags/", "categories/", "authors/"]
    wanted += ["404.html", "chat/", "about/", "search/"]
    for folder in ("tag", "category", "author"):
        if (output / folder).is_dir():
            first = sorted(p for p in (output / folder).iterdir() if p.is_dir())[0]
            wanted.append(f"{folder}/{first.name}/")
    wanted += sorted(
        f"{path.parent.relative_to(output)}/"
        for path in output.glob("[0-9][0-9][0-9][0-9]/*/*/index.html")
    )
    return [
        url
        for url in wanted
        if (output / url / "index.html").is_file() or (output / url).is_file()
    ]


def name_of(url: str) -> str:
    """A file name for a site path: ``2009/10/pickle/`` -> ``2009-10-pickle``."""
    name = url.strip("/").removesuffix(".html").replace("/", "-")
    return name or "home"


def screenshots(
    output: Path, folder: Path, urls: list[str], widths=WIDTHS, full_page=True
) -> list[Path]:
    """Every page of ``urls`` in light and dark mode at every width, as
    ``folder/<page>-<scheme>-<width>.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with served(output) as site:
        for scheme in SCHEMES:
            for width in widths.values():
                viewport = {"width": width, "height": 800 if width > 600 else 844}
                with chromium(color_scheme=scheme, viewport=viewport) as browser:
                    page = browser.new_page()
                    for url in urls:
                        page.goto(f"{site}/{url}", wait_until="networkidle")
                        path = folder / f"{name_of(url)}-{scheme}-{width}.png"
                        page.screenshot(path=path, full_page=full_page)
                        written.append(path)
    return written
