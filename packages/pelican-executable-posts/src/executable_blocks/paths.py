"""Paths as messages show them."""

import os
from pathlib import Path


def shown(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies inside it
    (as given, or once its links are resolved), else absolute: the short
    form editors and CI logs can open."""
    here = os.path.join(os.getcwd(), "")  # getcwd has its links resolved
    absolute = os.path.abspath(path)
    for candidate in (absolute, os.path.realpath(absolute)):
        if candidate.startswith(here):
            return candidate[len(here) :]
    return absolute
