"""Files a builder keeps in its state directory for each cache location it
is used with (a verification memo, an S3 cache's index), named by a prefix
and the location's digest. A builder given a new location every time (a
temporary cache in CI, a benchmark) had left hundreds: only the most
recently used stay."""

import os
from contextlib import suppress
from pathlib import Path

KEPT = 8


def used(path: Path) -> None:
    """``path`` is used now, even if it is not written again."""
    with suppress(OSError):
        os.utime(path)


def forget_all_but_the_latest(path: Path, prefix: str, kept: int = KEPT) -> None:
    """Delete the files of ``path``'s folder named ``prefix...`` but the
    ``kept`` most recently used (``path`` among them: it is this build's)."""
    others = []
    for each in path.parent.glob(f"{prefix}*"):
        with suppress(OSError):
            if each != path:
                others.append((each.stat().st_mtime, each))
    for _, each in sorted(others, reverse=True)[kept - 1 :]:
        with suppress(OSError):
            each.unlink()
