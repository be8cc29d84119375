"""The site's absolute address, and a written page's absolute URL."""

from urllib.parse import quote, urlsplit

# What a URL path may hold as it is (RFC 3986 pchar and "/"; quote keeps
# letters, digits and "_.-~" too): the rest of a file's path, "%" first,
# is percent-encoded (UTF-8), so "a b" is "a%20b" and "100%" "100%25".
PATH_SAFE = "/!$&'()*+,;=:@"


def absolute_siteurl(settings: dict) -> str:
    """The site's absolute address, without a trailing slash: ``SITEURL``
    where it is absolute (production: a settings file that imports the
    development one and sets SITEURL alone inherits its ABSOLUTE_SITEURL,
    the development server's), else ``ABSOLUTE_SITEURL``, else
    ``FEED_DOMAIN``."""
    for name in ("SITEURL", "ABSOLUTE_SITEURL", "FEED_DOMAIN"):
        value = (settings.get(name) or "").rstrip("/")
        if urlsplit(value).scheme in ("http", "https"):
            return value
    raise SystemExit(
        "sharing: set ABSOLUTE_SITEURL (or SITEURL) to the site's absolute "
        "address, e.g. http://localhost:8000"
    )


def page_url(siteurl: str, output_file: str) -> str:
    """The absolute URL of the page written to ``output_file``, relative to
    the output folder (a folder's ``index.html`` is the folder), its path
    percent-encoded: a slug's spaces, quotes or control characters made
    sitemap.xml not well-formed or its ``<loc>`` no URL."""
    path = output_file.replace("\\", "/")
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return f"{siteurl}/{quote(path, safe=PATH_SAFE)}"
