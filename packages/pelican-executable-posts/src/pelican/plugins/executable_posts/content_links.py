"""Links in the content directory that lead out of the site.

Pelican reads posts and copies static files where their links lead, and
walks into linked folders. A pull request can add a link as easily as a
file (git stores it as one), so a post ``posts/notes.md`` linking to
``~/.aws/credentials``, or a static folder linking to the builder's home,
would have the builder read and publish what no block is allowed to read.
The sandbox cannot help: Pelican reads outside it. Nor may the content or
code directories themselves be links (or lie under one): blocks may read
the code directories, so a pull request turning ``content/code`` into a
link to the builder's home would open that to them.
"""

import os
from pathlib import Path


def linked(folders: list[Path], site: Path) -> list[tuple[Path, str]]:
    """Each of ``folders`` whose path passes through a link below ``site``
    (the folder that holds the content: what a change to the site can
    make), with where it leads. Links above the site are the machine's (a
    home folder that is a link) and count for nothing; so do folders
    outside the site (the builder's own settings)."""
    site = Path(os.path.abspath(site))
    found = []
    for folder in folders:
        path = Path(os.path.abspath(folder))
        if not path.is_relative_to(site):
            continue
        place = site
        for part in path.relative_to(site).parts:
            place = place / part
            if place.is_symlink():
                found.append((folder, os.path.realpath(folder)))
                break
    return found


def leading_out(content: Path, roots: list[Path]) -> list[tuple[Path, str]]:
    """Every link under ``content`` (not followed: a linked folder is one
    link) whose target, links resolved, lies outside ``roots``, with where
    it leads."""
    inside = [Path(os.path.realpath(root)) for root in roots]
    found = []
    for folder, folders, files in os.walk(content):
        for name in [*folders, *files]:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                continue
            target = os.path.realpath(path)
            if not any(Path(target).is_relative_to(root) for root in inside):
                found.append((Path(path), target))
    return sorted(found)
