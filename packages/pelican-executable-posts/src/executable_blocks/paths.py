"""Paths as messages show them."""

import os
from functools import lru_cache
from pathlib import Path


def shown(path: str | Path) -> str:
    """``path`` relative to the working directory when it lies inside it
    (as given, or once its links are resolved), else absolute: the short
    form editors and CI logs can open."""
    return _shown(os.getcwd(), os.fspath(path))


@lru_cache(maxsize=8192)
def _shown(cwd: str, path: str) -> str:
    # Memoised: a build shows each post's path several times, and resolving
    # links costs an lstat a component (0.1 ms for a path outside the
    # working directory, thousands of times a build).
    here = os.path.join(cwd, "")  # getcwd has its links resolved
    absolute = os.path.abspath(os.path.join(cwd, path))
    for candidate in (absolute, os.path.realpath(absolute)):
        if candidate.startswith(here):
            return candidate[len(here) :]
    return absolute
