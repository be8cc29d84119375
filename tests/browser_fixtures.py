"""Debian's Chromium for the tests that look at pages as a reader's browser
shows them (the browser and the served site come from ``reader_view``)."""

import os
from pathlib import Path

import pytest

from reader_view import CHROMIUM, chromium, served

__all__ = ["chromium", "require_chromium", "served"]


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
