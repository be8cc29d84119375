"""The site's own files: regular files inside ``output/``, found without
following anything out of it, so that nothing else on this machine is ever
uploaded.

A symlink whose target is a regular file inside ``output/`` is published as
that file's content under the link's name (a web server serving
``output/`` would do the same); any other symlink, and anything that is not
a regular file, is refused by name.
"""

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import PublishError
from .shown import shown

MANIFEST_NAME = ".sitepublish-manifest.json"
KINDS = {
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


@dataclass(frozen=True)
class SiteFile:
    key: str  # its path under output/, and so its key under the prefix
    path: Path  # what to read: the file, or the file a link points at
    size: int
    md5: str


def read(path: Path) -> bytes:
    """The bytes of a regular file, never through a symlink or from a FIFO."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with open(fd, "rb") as file:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise PublishError(f"{shown(str(path))}: not a regular file any more")
        return file.read()


def content(file: SiteFile) -> bytes:
    """The bytes to upload for ``file``, as they were when it was planned."""
    data = read(file.path)
    if hashlib.md5(data, usedforsecurity=False).hexdigest() != file.md5:
        raise PublishError(
            f"{shown(str(file.path))} changed after the plan was made "
            "(is a build still running?)"
        )
    return data


def walk(directory: Path):
    """Every entry under ``directory`` but directories, in name order,
    without entering symlinked directories."""
    with os.scandir(directory) as scan:
        entries = sorted(scan, key=lambda entry: entry.name)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from walk(Path(entry.path))
        else:
            yield Path(entry.path)


def problem(path: Path, top: Path, mode: int) -> str | None:
    """Why ``path`` is not one of the site's own files, or None."""
    if stat.S_ISLNK(mode):
        target = Path(os.path.realpath(path))
        try:
            regular = stat.S_ISREG(os.stat(target).st_mode)
        except OSError:
            return f"a symlink to {shown(os.readlink(path))}, which is missing"
        if not target.is_relative_to(top):
            return f"a symlink to {shown(str(target))}, outside the site"
        if not regular:
            return f"a symlink to {shown(str(target))}, not a regular file"
        return None
    if not stat.S_ISREG(mode):
        return KINDS.get(stat.S_IFMT(mode), "not a regular file")
    return None


def site_files(root: Path) -> list[SiteFile]:
    """The files of the site in ``root``, by key; a `PublishError` naming
    every entry that is not the site's own, before anything is read."""
    root = Path(root)
    top = Path(os.path.realpath(root))
    found, refused = [], []
    for path in walk(root):
        key = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        why = problem(path, top, mode)
        if why is None and path.name == MANIFEST_NAME:
            why = "named like the publish manifest"
        try:
            key.encode()
        except UnicodeEncodeError:
            why = why or "its name is not UTF-8"
        if why:
            refused.append(f"  {shown(key)}: {why}")
        else:
            real = Path(os.path.realpath(path)) if stat.S_ISLNK(mode) else path
            found.append((key, real))
    if refused:
        raise PublishError(
            f"{shown(str(root))} holds what is not the site's own, so nothing "
            "was published:\n" + "\n".join(refused)
        )
    files = []
    for key, real in found:
        data = read(real)
        digest = hashlib.md5(data, usedforsecurity=False).hexdigest()
        files.append(SiteFile(key, real, len(data), digest))
    return files
