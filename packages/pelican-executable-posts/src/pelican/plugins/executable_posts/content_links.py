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

Only links Pelican reads of itself count at once (``walked``): with the
content in the site's folder (``PATH = "."``), a ``.venv/bin/python``
linking to the system's Python was said at every build, and refused
``strict`` ones, though Pelican reads no such file. Another link leading
out is Pelican's only where a post names it in a ``{static}`` or
``{attach}`` link (content_paths.py says so then).
"""

import os
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from pelican import readers

# The settings of the folders Pelican walks (relative to the content), and
# whether it takes any file there or only those a reader reads.
WALKED = (
    ("ARTICLE_PATHS", False),
    ("PAGE_PATHS", False),
    ("STATIC_PATHS", True),
    ("TEMPLATE_PAGES", True),  # (its keys: the templates it reads)
)


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


def leading_out(
    content: Path, roots: list[Path], skip: list[Path] = ()
) -> list[tuple[Path, str]]:
    """Every link under ``content`` (not followed: a linked folder is one
    link) whose target, links resolved, lies outside ``roots``, with where
    it leads; the folders of ``skip`` (the output folder, which Pelican
    writes) are not looked in."""
    inside = [Path(os.path.realpath(root)) for root in roots]
    skipped = {os.path.abspath(folder) for folder in skip}
    found = []
    for folder, folders, files in os.walk(content):
        folders[:] = [
            name
            for name in folders
            if os.path.abspath(os.path.join(folder, name)) not in skipped
        ]
        for name in [*folders, *files]:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                continue
            target = os.path.realpath(path)
            if not any(Path(target).is_relative_to(root) for root in inside):
                found.append((Path(path), target))
    return sorted(found)


def walked(link: Path, content: Path, settings: dict) -> bool:
    """Whether Pelican's own walks of ``content`` reach ``link`` (a path in
    it): the folders of ``WALKED``, or one above them, which the walks go
    through. Linked folders are followed; a file is read where a reader
    reads its extension, any in ``STATIC_PATHS``. ``IGNORE_FILES`` leave
    out what they match as Pelican's ``get_files`` matches them, against
    each name below a walked folder (so Pelican 4.10's default, ``.*``,
    leaves out every dot-folder, and 4.11's, ``**/.*``, none)."""
    parts = link.relative_to(content).parts
    ignores = settings.get("IGNORE_FILES") or ()
    for setting, any_file in WALKED:
        for top in settings.get(setting) or ():
            top = PurePosixPath(top).parts
            if top[: len(parts)] == parts:
                return True  # the walked folder, or one above it
            if parts[: len(top)] != top:
                continue
            below = parts[len(top) :]
            if any(fnmatch(name, pattern) for name in below for pattern in ignores):
                continue
            extension = os.path.splitext(link.name)[1][1:]
            if any_file or link.is_dir() or extension in reader_extensions(settings):
                return True
    return False


def reader_extensions(settings: dict) -> set[str]:
    """The extensions of the files Pelican may read as posts or pages: those
    of every reader class there is (a plugin's is defined once the plugin is
    imported; it adds it at ``readers_init``, which comes later) and of
    ``READERS``."""
    classes, extensions = [readers.BaseReader], set(settings.get("READERS") or ())
    while classes:
        reader_class = classes.pop()
        classes.extend(reader_class.__subclasses__())
        extensions.update(getattr(reader_class, "file_extensions", ()))
    return extensions
