"""The site's absolute address, and a written page's absolute URL."""

from urllib.parse import urlsplit


def absolute_siteurl(settings: dict) -> str:
    """The site's absolute address, without a trailing slash:
    ``ABSOLUTE_SITEURL``, else ``SITEURL``, else ``FEED_DOMAIN``."""
    for name in ("ABSOLUTE_SITEURL", "SITEURL", "FEED_DOMAIN"):
        value = (settings.get(name) or "").rstrip("/")
        if urlsplit(value).scheme in ("http", "https"):
            return value
    raise SystemExit(
        "sharing: set ABSOLUTE_SITEURL (or SITEURL) to the site's absolute "
        "address, e.g. http://localhost:8000"
    )


def page_url(siteurl: str, output_file: str) -> str:
    """The absolute URL of the page written to ``output_file``, relative to
    the output folder (a folder's ``index.html`` is the folder)."""
    path = output_file.replace("\\", "/")
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return f"{siteurl}/{path}"
