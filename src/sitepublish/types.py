"""The Content-Type and Cache-Control of each file of the site."""

import mimetypes
from pathlib import PurePosixPath

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".woff2": "font/woff2",
    ".mp4": "video/mp4",
}
FEEDS = {".atom.xml": "application/atom+xml", ".rss.xml": "application/rss+xml"}

# Pages and feeds change with every post: browsers must check back.
REVALIDATE = "public, max-age=0, must-revalidate"
# Figures and animations are named by their content hash: never stale.
IMMUTABLE = "public, max-age=31536000, immutable"
# Theme files keep their names across changes: cache them, not for long.
SHORT = "public, max-age=3600"


def content_type(path: str) -> str:
    name = PurePosixPath(path).name
    for suffix, kind in FEEDS.items():
        if name.endswith(suffix):
            return kind
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in TYPES:
        return TYPES[suffix]
    guessed, _ = mimetypes.guess_type(name)
    return guessed or "application/octet-stream"


def cache_control(path: str, hashed_dirs: tuple[str, ...] = ("figures/",)) -> str:
    kind = content_type(path)
    if path.startswith(hashed_dirs):
        return IMMUTABLE
    if kind.startswith(
        ("text/html", "application/atom", "application/rss", "application/xml")
    ):
        return REVALIDATE
    return SHORT
