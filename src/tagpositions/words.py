"""Where a word occurs in a document's text, by absolute offset, and the
HTMLParser post's statistic: the average distance between occurrences."""

import re

from .scraper import PositionScraper


def word_offsets(html: str, word: str) -> list[int]:
    """Absolute offsets in ``html`` of ``word`` (whole words, any case) in
    the text of the document, never inside a tag or a script."""
    pattern = re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)
    scraper = PositionScraper(html).scrape()
    return [
        start + match.start()
        for start, data in scraper.data
        for match in pattern.finditer(data)
    ]


def average_gap(offsets: list[int]) -> float | None:
    """Mean distance, in characters, between consecutive offsets."""
    if len(offsets) < 2:
        return None
    return (offsets[-1] - offsets[0]) / (len(offsets) - 1)
