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

Only links Pelican reads of itself count at once (``walked_out``, which
walks as Pelican walks): with the content in the site's folder
(``PATH = "."``), a ``.venv/bin/python`` linking to the system's Python was
said at every build, and refused ``strict`` ones, though Pelican reads no
such file. Another link leading out is Pelican's only where a post names a
path through it in a ``{static}`` or ``{attach}`` link (content_paths.py
says so then, by where the path leads, links resolved).
"""

import os
from contextlib import suppress
from fnmatch import fnmatch
from functools import partial
from pathlib import Path

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


def walked_out(
    content: Path, settings: dict, roots: list[Path], skip: list[Path] = ()
) -> list[tuple[Path, str]]:
    """Every link leading out of ``roots`` that Pelican's own walks of
    ``content`` reach (the folders of ``WALKED``), as they reach it, with
    where it leads. The walks are Pelican's: linked folders are followed
    (so a link to another folder of the content makes that one walked too:
    ``posts/more`` to ``../stash`` has ``stash/notes.md`` read as a post),
    ``IGNORE_FILES`` leave out every name they match (so Pelican 4.10's
    default, ``.*``, leaves out dot-folders, and 4.11's, ``**/.*``, none),
    and a file counts where a reader reads its extension (any file in
    ``STATIC_PATHS`` and ``TEMPLATE_PAGES``). The folders of ``skip`` (the
    output) are not looked in, and a folder leading out is not walked
    further: it is reported as the link it is."""
    inside = real_roots(roots)
    skipped = {os.path.realpath(folder) for folder in skip}
    ignores = settings.get("IGNORE_FILES") or ()
    extensions = reader_extensions(settings)
    found: dict[Path, str] = {}
    leads_out = partial(led_out, inside=inside)

    for setting, any_file in WALKED:
        for top in settings.get(setting) or ():
            through = on_the_way(content, Path(top), leads_out)
            if through:  # (a walked folder, or one above it, leads out)
                found[through] = leads_out(through)
                continue
            for path in reached(content / top, ignores, skipped, leads_out):
                target = os.path.islink(path) and leads_out(path)
                read = any_file or os.path.splitext(path)[1][1:] in extensions
                if target and (read or os.path.isdir(path)):
                    found[Path(path)] = target
    return sorted(found.items())


def real_roots(roots) -> list[Path]:
    """``roots`` with their links resolved, as ``led_out`` takes them."""
    return [Path(os.path.realpath(root)) for root in roots]


def led_out(path, inside: list[Path]) -> str | None:
    """Where ``path`` leads, links resolved, if that lies in none of
    ``inside`` (``real_roots``); None if it lies in one."""
    target = os.path.realpath(path)
    return None if any(Path(target).is_relative_to(r) for r in inside) else target


def on_the_way(content: Path, top: Path, leads_out) -> Path | None:
    """The first folder on the way from ``content`` to ``top`` (a walked
    folder, as the settings name it) that is a link leading out, if any."""
    place = content
    for part in top.parts:
        place = place / part
        if os.path.islink(place) and leads_out(place):
            return place
    return None


def reached(top: Path, ignores, skipped: set[str], leads_out):
    """The paths a walk of ``top`` as Pelican's ``get_files`` walks
    (``followlinks=True``) meets, ``top`` included: each folder once (a
    cycle of links ends), none in ``skipped``, none below one leading out."""
    if not os.path.lexists(top):
        return
    yield str(top)
    seen: set[str] = set()
    folders = [str(top)]
    while folders:
        folder = folders.pop()
        real = os.path.realpath(folder)
        if real in seen or real in skipped or leads_out(folder):
            continue
        seen.add(real)
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if any(fnmatch(entry.name, pattern) for pattern in ignores):
                continue
            yield entry.path
            with suppress(OSError):
                if entry.is_dir():  # (following a link, as Pelican does)
                    folders.append(entry.path)


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
