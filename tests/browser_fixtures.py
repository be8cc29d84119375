"""Debian's Chromium driven by Playwright, and the built site served over
HTTP, for the tests that look at pages as a reader's browser shows them."""

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest

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


def require_chromium() -> None:
    """Skip the calling test module without Chromium, unless CI requires it."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    pytest.skip(
        f"{CHROMIUM} is not installed (apt-get install -y chromium)",
        allow_module_level=True,
    )


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
    """``output`` over HTTP on a free loopback port, as ``invoke serve``
    serves it; yields the site's base URL."""
    import tasks

    server = tasks.site_server(output, "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
