"""Tags with their absolute character positions, scraped in one pass with
Python's own ``html.parser.HTMLParser`` (the HTMLParser post, made exact)."""

from .scraper import PositionError, PositionScraper, Tag, line_starts, scrape
from .words import average_gap, word_offsets

__all__ = [
    "PositionError",
    "PositionScraper",
    "Tag",
    "average_gap",
    "line_starts",
    "scrape",
    "word_offsets",
]
