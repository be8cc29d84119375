"""What Pelican reads and writes for a post stays within the site.

A post names files for Pelican to copy (``{static}`` and ``{attach}``
links) and may name where its own page goes (``Save_as``). Pelican follows
both wherever they lead: ``[notes]({attach}../../../../etc/hostname)``
published the builder's file with the site, and so could it the cache's
signing key; ``Save_as: ../output-old/x.html`` wrote beside the output
folder (Pelican's own check compares the start of the path's text); a
second post of the same slug replaced the first one's page, with only a
warning; and ``Slug: ../../search`` put a post's page where the search page
goes (a traceback). Each is an error naming the post, reported before
anything is copied or written; the link is dropped, so nothing is read for
it. A ``Save_as`` over a page the templates write is Pelican's on purpose
(its "static page as home page": ``Save_as: index.html``) and is let be,
as Pelican's writer lets it be.
"""

import logging
import os
import posixpath
import re
from pathlib import Path
from urllib.parse import urljoin

from executable_blocks.paths import shown
from pelican import contents, generators

from . import content_links

logger = logging.getLogger(__name__)
NAME_MAX = 255  # bytes of a file's name, on the file systems that matter
# A language tag (BCP 47's shape, its subtags' lengths, or a locale's with
# "_", as ``DEFAULT_LANG = "zh_CN"`` and i18n plugins write it): ``Lang`` goes
# into a translation's file name and the page's ``lang``; Pagefind stops on
# one longer than 31 characters.
LANGUAGE = re.compile(r"[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,3}")

# The same links Pelican finds (Content._get_intrasite_link_regex), simplified:
# what they name, as written in the post's text.
COPIED = re.compile(
    r"\{(?:static|attach)\}([^\"'\s)>]+)|\|(?:static|attach)\|([^\"'\s)>]+)"
)


class ContentPaths:
    """The posts and pages of a build, checked once they are all read."""

    def __init__(self):
        self.contents = []

    def clear(self) -> None:
        """Forget the posts of the last run (autoreload runs again)."""
        self.contents.clear()

    def track(self, content) -> None:
        if isinstance(content, (contents.Article, contents.Page)):
            self.contents.append(content)

    def check_copied(
        self,
        context: dict,
        content_dir: str,
        content_path: str,
        roots: list[Path] | None = None,
        refuse: bool = True,
    ) -> None:
        """Drop and report every file a post would have copied from outside
        the content directory (``content_dir``, shown as ``content_path``; before
        the static files are gathered); and report every one that leads,
        links resolved, out of ``roots`` (the content and code directories:
        through a link of the content that Pelican does not walk, or a chain
        of them), dropped if ``refuse`` (an error of
        ``EXEC_SANDBOX=strict``), else a warning (``best``)."""
        linked = set(context.get("static_links", ()))
        outside = {path for path in linked if leads_out(path)}
        through = {}
        for path in linked - outside if roots else ():
            target = content_links.led_out(os.path.join(content_dir, path), roots)
            if target:
                through[path] = target
        if not outside and not through:  # (the posts are read only to name one)
            return
        for content in self.contents:
            for path in sorted(content.get_static_links() & outside):
                logger.error(
                    "%s: a {static} or {attach} link to %r leads out of "
                    "the content directory (%s); nothing is copied for it",
                    where(content, written_as(path, content)),
                    path,
                    content_path,
                )
            for path in sorted(content.get_static_links() & through.keys()):
                logger.log(
                    logging.ERROR if refuse else logging.WARNING,
                    "%s: a {static} or {attach} link to %r leads, through a "
                    "link in %s, to %s, outside the content and code "
                    "directories%s",
                    where(content, written_as(path, content)),
                    path,
                    content_path,
                    through[path],
                    "; nothing is copied for it" if refuse else "",
                )
        dropped = outside | (through.keys() if refuse else set())
        context["static_links"] = linked - dropped

    def check_written(
        self, reserved: dict[str, str], paginated: list[tuple[re.Pattern, str]] = ()
    ) -> None:
        """Report every post or page whose page would go outside the output
        folder, where another post's or page's goes, or, by a path of its
        settings (a ``Slug`` such as ``../../search``, or ``index``), over
        one of the ``reserved`` pages the templates write (path: what it
        is), or under a name too long for a file, or whose ``URL`` Python
        cannot read (Pelican's writer stopped on it with a traceback). An
        explicit ``Save_as`` over a reserved page is not reported where
        Pelican writes it there on purpose (``replaces_on_purpose``)."""
        seen = {}
        reserved = {posixpath.normpath(path): what for path, what in reserved.items()}
        for content in self.contents:
            try:
                urljoin("http://example.invalid/", str(getattr(content, "url", "")))
            except ValueError as error:
                logger.error(
                    "%s: its URL %r is not a valid URL (%s)",
                    where(content, "url:", "slug:"),
                    str(content.url)[:200],
                    error,
                )
                continue
            lang = getattr(content, "lang", None)
            if lang is not None and not LANGUAGE.fullmatch(str(lang)):
                logger.error(
                    "%s: Lang %r is not a language tag (such as en, pt-BR or pt_BR)",
                    where(content, "lang:"),
                    str(lang)[:80],
                )
                continue
            save_as = getattr(content, "save_as", "") or ""
            if not save_as:
                continue
            if leads_out(save_as):
                logger.error(
                    "%s: its page would be written to %r, outside the output folder",
                    where(content, "save_as:", "slug:"),
                    save_as,
                )
                continue
            target = posixpath.normpath(save_as)
            too_long = [
                part for part in target.split("/") if len(part.encode()) > NAME_MAX
            ]
            if too_long:
                logger.error(
                    "%s: its page would be written to a file or folder whose "
                    "name is longer than %d bytes: %r",
                    where(content, "slug:", "save_as:"),
                    NAME_MAX,
                    too_long[0][:80] + "...",
                )
                continue
            over = reserved.get(target) or next(
                (what for pattern, what in paginated if pattern.fullmatch(target)),
                None,
            )
            if over and not replaces_on_purpose(content, target):
                logger.error(
                    "%s: its page would be written to %r, over %s",
                    where(content, "save_as:", "slug:"),
                    save_as,
                    over,
                )
                continue
            if target in seen:
                logger.error(
                    "%s: its page would be written to %r, over the page of %s",
                    where(content, "save_as:", "slug:"),
                    save_as,
                    where(seen[target], "save_as:", "slug:"),
                )
                continue
            seen[target] = content

    def check_templates(self, get_template) -> None:
        """Report every post or page whose ``Template`` the theme does not
        have: Pelican stopped on it with a traceback naming no post, once
        it had written pages."""
        for content in self.contents:
            try:
                get_template(content.template)
            except generators.PelicanTemplateNotFound:
                settings = content.settings
                folders = [
                    *settings.get("THEME_TEMPLATES_PATHS", []),
                    posixpath.join(settings.get("THEME", ""), "templates"),
                ]
                logger.error(
                    "%s: Template: %r is not a template of the theme "
                    "(no %s.html in %s)",
                    where(content, "template:"),
                    content.template,
                    content.template,
                    ", ".join(folders),
                )

    def check_summaries(self) -> None:
        """Make the summary of every post that holds ``<![`` now, once its
        blocks are filled in, and report one that cannot be made: Pelican's
        summary truncator (Python's HTMLParser) raised on ``<![<![`` in a
        first paragraph, a traceback as pages were written. (Only those: a
        summary is made again for each page that shows it.) Then forget
        the posts (a build that runs again reads them again)."""
        tracked, self.contents = self.contents, []
        for content in tracked:
            if "<![" not in (getattr(content, "_content", None) or ""):
                continue
            try:
                content.summary  # noqa: B018 - made, and kept, here
            except Exception as error:  # noqa: BLE001 - any is the post's
                logger.error(
                    "%s: its summary cannot be made from its first paragraphs (%s: %s)",
                    where(content),
                    type(error).__name__,
                    str(error)[:200],
                )


def replaces_on_purpose(content, target: str) -> bool:
    """Whether Pelican writes ``content``'s page over the templates' page
    at ``target`` on purpose: an explicit ``Save_as`` (the post's metadata,
    or ``EXTRA_PATH_METADATA``'s) is written with ``override_output``,
    which wins over a page written without it, before or after it (its
    documented "static page as home page": ``Save_as: index.html``). The
    ``TEMPLATE_PAGES`` are written with it too, and two such writes of one
    file stop Pelican with a traceback."""
    if not hasattr(content, "override_save_as"):
        return False
    template_pages = (content.settings.get("TEMPLATE_PAGES") or {}).values()
    return target not in {posixpath.normpath(path) for path in template_pages}


def listing_pages(settings: dict, context: dict) -> dict[str, str]:
    """The first pages of the listings the templates write, which a
    pagination continues: the home page, and the tags', categories' and
    authors' pages (path: what it is)."""
    pages = {}
    if "index" in settings.get("DIRECT_TEMPLATES", ()):
        pages[settings.get("INDEX_SAVE_AS") or "index.html"] = "the index page"
    for kind in ("tags", "categories", "authors"):
        for item, _ in context.get(kind, ()):
            pages[item.save_as] = f"the page of {kind} {str(item)!r}"
    return pages


def reserved_pages(
    settings: dict, context: dict, listings: dict[str, str]
) -> dict[str, str]:
    """The pages and feeds the templates write, which a post's page would
    replace: the direct templates' (the home page, the archives,
    404, search), the ``listings``, the ``TEMPLATE_PAGES`` and the feeds.
    (Pages of a pagination beyond the first are not listed.)"""
    pages = {}
    for name in settings.get("DIRECT_TEMPLATES", ()):
        save_as = settings.get(f"{name.upper()}_SAVE_AS", f"{name}.html")
        if save_as:
            pages[save_as] = f"the {name} page"
    pages.update(listings)
    for save_as in (settings.get("TEMPLATE_PAGES") or {}).values():
        pages[save_as] = "a page of TEMPLATE_PAGES"
    for kind in ("tags", "categories", "authors"):
        for item, _ in context.get(kind, ()):
            for feed in FEEDS.get(kind, ()):
                if settings.get(feed):
                    pages[format_feed(settings[feed], item.slug)] = f"a feed ({feed})"
    for feed in FEEDS[None]:
        if settings.get(feed):
            lang = settings.get("DEFAULT_LANG", "en")
            pages[format_feed(settings[feed], lang, lang)] = f"a feed ({feed})"
    pages.pop("", None)
    return pages


NUMBER = "<number>"  # stands for a page's number while a pattern is made


def paginated_pages(settings: dict, listings: dict[str, str]):
    """Patterns of the later pages of the ``listings`` (the home page's
    ``page/2/index.html``, a tag's), by ``PAGINATION_PATTERNS``, each with
    what it is."""
    if not settings.get("DEFAULT_PAGINATION"):
        return []
    found = []
    for rule in settings.get("PAGINATION_PATTERNS") or ():
        minimum, _, save_as = rule
        if minimum < 2:
            continue
        for listing, what in listings.items():
            name, extension = posixpath.splitext(listing)
            folder, file = posixpath.split(listing)
            base = folder if file in ("index.htm", "index.html") else name
            try:
                text = save_as.format(
                    save_as=listing,
                    url="",
                    name=name,
                    base_name=base,
                    extension=extension,
                    number=NUMBER,
                )
            except (KeyError, IndexError, ValueError):
                continue
            text = posixpath.normpath(text[1:] if text.startswith("/") else text)
            pattern = re.escape(text).replace(re.escape(NUMBER), "[0-9]+")
            found.append((re.compile(pattern), f"a later page of {what}"))
    return found


FEEDS = {
    None: ("FEED_ALL_ATOM", "FEED_ALL_RSS", "FEED_ATOM", "FEED_RSS"),
    "tags": ("TAG_FEED_ATOM", "TAG_FEED_RSS"),
    "categories": ("CATEGORY_FEED_ATOM", "CATEGORY_FEED_RSS"),
    "authors": ("AUTHOR_FEED_ATOM", "AUTHOR_FEED_RSS"),
}


def format_feed(pattern: str, slug: str, lang: str = "") -> str:
    try:
        return pattern.format(slug=slug, lang=lang)
    except (KeyError, IndexError, ValueError):
        return pattern


def leads_out(path: str) -> bool:
    """Whether a path relative to a folder leads out of it."""
    normal = posixpath.normpath(path.replace("\\", "/"))
    return posixpath.isabs(normal) or normal == ".." or normal.startswith("../")


def written_as(path: str, content) -> str:
    """What the post's text says for the link to ``path`` (Pelican resolves
    a relative one against the post's folder)."""
    folder = posixpath.dirname(content.get_relative_source_path() or "")
    for match in COPIED.finditer(source_text(content)):
        named = match[1] or match[2]
        candidate = named.lstrip("/") if named.startswith("/") else None
        if candidate is None:
            candidate = posixpath.normpath(posixpath.join(folder, named))
        if candidate.replace("%20", " ") == path:
            return named
    return path


def where(content, *looked_for: str) -> str:
    """``path:line`` of the first line of the post's file that holds the
    first of ``looked_for`` found (a link, metadata keys); the file alone
    if none is."""
    path = shown(content.source_path) if content.source_path else "?"
    lines = source_text(content).lower().splitlines()
    for needle in looked_for:
        for number, line in enumerate(lines, 1):
            if needle.lower() in line:
                return f"{path}:{number}"
    return path


def source_text(content) -> str:
    try:
        with open(content.source_path, encoding="utf-8-sig") as file:
            return file.read()
    except (OSError, TypeError, UnicodeDecodeError):
        return ""
