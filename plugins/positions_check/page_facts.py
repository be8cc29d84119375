"""What one written page says about itself and what it points at, scraped in
one pass: its ids, its links and images with their places, and the problems
visible on the page alone (duplicate ids, images without alt text)."""

import bisect
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from tagpositions.scraper import PositionError, PositionScraper, line_starts, verify

# The attributes through which an element links to, sends to or loads
# something (SVG's ``href`` and ``xlink:href`` too; ``ping`` and a form's
# action send requests of their own).
LINKS = {
    "a": ("href", "xlink:href", "ping"),
    "area": ("href", "ping"),
    "link": ("href",),
    "img": ("src", "srcset"),
    "script": ("src", "href", "xlink:href"),
    "source": ("src", "srcset"),
    "video": ("src", "poster"),
    "audio": ("src",),
    "iframe": ("src",),
    "track": ("src",),
    "object": ("data",),
    "embed": ("src",),
    "input": ("src", "formaction"),
    "button": ("formaction",),
    "form": ("action",),
    "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"),
    "feimage": ("href", "xlink:href"),
}
# What CSS loads: url(...) and @import "..." (in style attributes and
# <style> elements, which a post's raw HTML may hold).
CSS_URL = re.compile(
    r"""url\(\s*(?P<q1>['"]?)(?P<url>.*?)(?P=q1)\s*\)"""
    r"""|@import\s+(?P<q2>['"])(?P<imported>.*?)(?P=q2)""",
    re.IGNORECASE | re.DOTALL,
)
STYLE_ELEMENT = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
# <meta http-equiv="refresh" content="0; url=...">: a navigation too.
REFRESH_URL = re.compile(
    r"^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['\"]?)(.*)\1\s*$", re.I
)


class Reference(NamedTuple):
    tag: str
    attribute: str
    url: str
    line: int
    column: int


@dataclass
class PageFacts:
    path: str
    ids: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    problems: list[tuple[int, int, str]] = field(default_factory=list)


# What HTML strips around a URL and splits srcset at: ASCII whitespace only
# (str.split() and strip() would take \x1c-\x1f and Unicode spaces too).
ASCII_WHITESPACE = " \t\n\f\r"
SRCSET_SPACE = re.compile(f"[{ASCII_WHITESPACE}]+")


def urls_of(attribute: str, value: str) -> list[str]:
    if attribute == "ping":  # URLs separated by whitespace
        return SRCSET_SPACE.split(value.strip(ASCII_WHITESPACE))
    if attribute == "srcset":  # "a.png 1x, b.png 2x"
        return [
            SRCSET_SPACE.split(part.strip(ASCII_WHITESPACE))[0]
            for part in value.split(",")
            if part.strip(ASCII_WHITESPACE)
        ]
    return [value.strip(ASCII_WHITESPACE)]


BASE = (
    "<base href>: it changes what every relative URL of the page (the "
    "site's own scripts and styles included) points at: not allowed"
)


def malformed(text: str) -> str:
    """The problem of a ``<![`` section that browsers read as a comment."""
    start = text if len(text) <= 40 else text[:37] + "..."
    return (
        f'malformed markup {start!r}: browsers read a "<![" other than '
        '"<![CDATA[" as a comment up to the next ">", hiding what it holds'
    )


def facts_of(path: str) -> PageFacts:
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    facts = PageFacts(path)
    scraper = PositionScraper(text, keep_text=False).scrape()
    tags = scraper.tags
    try:
        verify(text, tags)
    except PositionError as bug:  # never the page's fault: fail loudly
        facts.problems.append((1, 1, f"scraper bug: {bug}"))
        return facts
    for _, line, column, section in scraper.malformed:
        facts.problems.append((line, column, malformed(section)))
    seen: dict[str, tuple[int, int]] = {}
    names: list[str] = []  # of <a name=...>, which fragments lead to too
    for tag in tags:
        if tag.name == "a" and tag.attrs.get("name"):
            names.append(tag.attrs["name"])
        identifier = tag.attrs.get("id")
        if identifier is not None:
            if identifier in seen:
                first = seen[identifier]
                facts.problems.append(
                    (
                        tag.line,
                        tag.column,
                        f'duplicate id "{identifier}" (first at {first[0]}:{first[1]})',
                    )
                )
            else:
                seen[identifier] = (tag.line, tag.column)
        alt = (tag.attrs.get("alt") or "").strip()
        if tag.name == "img" and not alt and not decorative(tag.attrs):
            facts.problems.append((tag.line, tag.column, "image without alt text"))
        for url in css_urls(tag.attrs.get("style") or ""):
            facts.references.append(
                Reference(tag.name, "style", url, tag.line, tag.column)
            )
        if tag.name == "base" and "href" in tag.attrs:
            facts.problems.append((tag.line, tag.column, BASE))
        if tag.name == "meta" and (tag.attrs.get("http-equiv") or "").lower() == (
            "refresh"
        ):
            found = REFRESH_URL.match(tag.attrs.get("content") or "")
            if found and found[2]:
                facts.references.append(
                    Reference("meta", "content", found[2], tag.line, tag.column)
                )
        for attribute in LINKS.get(tag.name, ()):
            value = tag.attrs.get(attribute)
            if value:
                for url in urls_of(attribute, value):
                    facts.references.append(
                        Reference(tag.name, attribute, url, tag.line, tag.column)
                    )
    starts = None
    for element in STYLE_ELEMENT.finditer(text):
        starts = starts or line_starts(text)
        line = bisect.bisect_right(starts, element.start())
        column = element.start() - starts[line - 1] + 1
        for url in css_urls(element[1]):
            facts.references.append(Reference("style", "url", url, line, column))
    facts.ids = [*seen, *(name for name in names if name not in seen)]
    return facts


def decorative(attrs: dict) -> bool:
    """An image marked as saying nothing (``alt=""`` and a role of none or
    presentation, or hidden from assistive technology): Markdown's
    ``![](x.png)`` gives ``alt=""`` alone, which is still a forgotten alt."""
    role = (attrs.get("role") or "").strip().lower()
    hidden = (attrs.get("aria-hidden") or "").strip().lower() == "true"
    return attrs.get("alt") == "" and (role in ("none", "presentation") or hidden)


def css_urls(css: str) -> list[str]:
    """The URLs CSS loads, as written (``data:`` images too)."""
    return [
        (found["url"] if found["url"] is not None else found["imported"]).strip(
            ASCII_WHITESPACE
        )
        for found in CSS_URL.finditer(css)
    ]
