"""``sitemap.xml`` of every page the build wrote, and ``robots.txt``.

Our own rather than ``pelican-sitemap``: that plugin writes ``SITEURL`` +
path, so in development (``SITEURL = ""``) every ``<loc>`` is relative,
which the sitemap protocol does not allow, and it dates every listing page
with the time of the build, so the file changes at every build. Here every
``<loc>`` is absolute (``ABSOLUTE_SITEURL``), and ``<lastmod>`` is a post's
or page's ``modified`` or ``date``, and for a listing the newest of the
posts it lists (none when it lists none), so the same site gives the same
sitemap. Left out: the 404 page (``SITEMAP_EXCLUDE``), drafts and hidden
content, and anything that is not an HTML page (feeds, figures).
"""

import logging
from pathlib import Path
from xml.sax.saxutils import escape

from executable_blocks.paths import shown

from .urls import page_url

logger = logging.getLogger(__name__)

# The sitemap protocol asks for these escaped too, with & < and >.
ENTITIES = {"'": "&apos;", '"': "&quot;"}
HEADER = (
    '<?xml version="1.0" encoding="utf-8"?>\n'
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
)


def last_modified(context: dict):
    """When the page written with ``context`` last changed, or None."""
    content = context.get("article") or context.get("page")
    if content is not None:
        if getattr(content, "status", "published") != "published":
            return False  # drafts and hidden pages are left out
        return getattr(content, "modified", None) or getattr(content, "date", None)
    listed = context.get("articles_page")
    posts = listed.object_list if listed is not None else context.get("articles")
    dates = [getattr(post, "modified", None) or post.date for post in posts or ()]
    return max(dates) if dates else None


def made_from(context: dict) -> str | None:
    """The post or page a page was written from, as shown in the log."""
    content = context.get("article") or context.get("page")
    source = getattr(content, "source_path", None)
    return shown(source) if source else None


class Pages:
    """The HTML pages written by this build: output path -> (last
    modified, the post or page it was made from)."""

    def __init__(self):
        self.seen: dict[str, tuple[object, str | None]] = {}
        self.own_robots = False  # the site copies a robots.txt of its own

    def static_files(self, generator) -> None:
        self.own_robots = any(
            Path(item.save_as).as_posix() == "robots.txt"
            for item in getattr(generator, "staticfiles", ())
        )

    def written(self, path, context=None, **_) -> None:
        if str(path).endswith(".html"):
            context = context or {}
            self.seen[str(path)] = (last_modified(context), made_from(context))


pages = Pages()


def sitemap(entries: list[tuple[str, object]]) -> str:
    lines = [HEADER]
    for url, modified in entries:
        lines.append(f"  <url><loc>{escape(url, ENTITIES)}</loc>")
        if modified:
            # W3C Datetime: a time needs its offset; a naive one gives the day
            when = modified if modified.tzinfo else modified.date()
            lines.append(f"<lastmod>{when.isoformat()}</lastmod>")
        lines.append("</url>\n")
    lines.append("</urlset>\n")
    return "".join(lines)


def robots(sitemap_url: str) -> str:
    return f"User-agent: *\nAllow: /\n\nSitemap: {sitemap_url}\n"


def with_sitemap(own: str, sitemap_url: str) -> str:
    """The site's own robots.txt, its rules kept, naming the sitemap."""
    if sitemap_url in own:
        return own
    return own.rstrip("\n") + f"\n\nSitemap: {sitemap_url}\n"


def write(pelican) -> None:
    settings = pelican.settings
    siteurl = settings["ABSOLUTE_SITEURL"]
    output = Path(pelican.output_path).resolve()
    excluded = set(settings.get("SITEMAP_EXCLUDE", ["404.html"]))
    entries = []
    for path, (modified, source) in pages.seen.items():
        written = Path(path).resolve()
        if not written.is_relative_to(output):
            logger.error(
                "%s: its page was written to %s, outside the output folder %s; "
                "left out of sitemap.xml",
                source or "?",
                written,
                output,
            )
            continue
        relative = written.relative_to(output).as_posix()
        if relative not in excluded and modified is not False:
            entries.append((page_url(siteurl, relative), modified))
    entries.sort(key=lambda entry: entry[0])
    (output / "sitemap.xml").write_text(sitemap(entries), encoding="utf-8")
    logger.info("sharing: sitemap.xml lists %d pages", len(entries))
    if settings.get("ROBOTS_TXT"):
        address, target = f"{siteurl}/sitemap.xml", output / "robots.txt"
        if pages.own_robots and target.exists():
            own = target.read_text(encoding="utf-8")
            # a new file: the copy may be a link to the site's own (Pelican's
            # STATIC_CREATE_LINKS), which must not change
            target.unlink()
            target.write_text(with_sitemap(own, address), encoding="utf-8")
            logger.info("sharing: the site's own robots.txt now names the sitemap")
        else:
            target.write_text(robots(address), encoding="utf-8")
    pages.seen.clear()
    pages.own_robots = False
