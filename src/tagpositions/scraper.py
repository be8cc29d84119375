"""A streaming scraper that knows where every tag is.

``HTMLParser.getpos()`` gives (line, column); the HTMLParser post turned that
into an absolute offset from precomputed line starts. Its version split the
text on "\\n" without counting the newline itself, losing one character per
line, and stripped tabs first. Here line starts are the offsets just after
each "\\n" of the text as it is, which is how HTMLParser counts lines: a
"\\r" before the "\\n" belongs to its line, and tabs and non-ASCII
characters are one character each.
"""

import bisect
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

NEWLINE = re.compile("\n")


class PositionError(AssertionError):
    """A scraped position that does not point at its tag: a bug in the scraper."""


class BrowserLikeParser(HTMLParser):
    """``HTMLParser`` that reads ``<![`` as browsers do instead of raising.

    Python 3.11 parses ``<![`` as an SGML marked section and raises an
    ``AssertionError`` ("expected name token") when no known keyword
    follows: ``<![<![`` in a page stopped the build with a traceback. HTML
    (the tokenizer's markup declaration open state) reads ``<![CDATA[``
    up to ``]]>``, as before, and any other ``<![`` as a bogus comment up to
    the next ``>``; ``malformed_section`` is told where each one starts."""

    def parse_html_declaration(self, i):
        rawdata = self.rawdata
        if not rawdata.startswith("<![", i):
            return super().parse_html_declaration(i)
        if rawdata.startswith("<![CDATA[", i):
            end = rawdata.find("]]>", i + 9)
            if end < 0:
                return -1
            self.unknown_decl(rawdata[i + 3 : end])
            return end + 3
        end = rawdata.find(">", i + 3)
        if end < 0:
            return -1  # at the end, goahead passes it on as text
        self.malformed_section(rawdata[i : end + 1])
        return self.parse_bogus_comment(i)

    def malformed_section(self, text: str) -> None:
        """``text``, from a ``<![`` that is not CDATA to the ``>`` that ends
        it, is about to be read as a comment (``getpos()`` is its start)."""


def line_starts(text: str) -> list[int]:
    """The offset at which each line of ``text`` starts (line 1 at 0)."""
    return [0, *(match.end() for match in NEWLINE.finditer(text))]


@dataclass(frozen=True)
class Tag:
    name: str
    attrs: dict = field(hash=False, compare=False)
    offset: int  # absolute character offset of the "<"
    line: int  # 1-based
    column: int  # 1-based, in characters


class PositionScraper(BrowserLikeParser):
    """Collects every start tag of a document with its position, the text
    between tags with the offset where it starts, and the ``<![`` sections
    that browsers read as comments (``malformed``: offset, line, column,
    text)."""

    def __init__(self, text: str, keep_text: bool = True):
        super().__init__(convert_charrefs=False)
        self.text = text
        self.keep_text = keep_text
        self.starts = line_starts(text)
        self.tags: list[Tag] = []
        self.data: list[tuple[int, str]] = []  # (offset, text) outside scripts
        self.malformed: list[tuple[int, int, int, str]] = []

    def position(self) -> tuple[int, int, int]:
        line, column = self.getpos()
        return self.starts[line - 1] + column, line, column + 1

    def handle_starttag(self, tag, attrs):
        offset, line, column = self.position()
        self.tags.append(Tag(tag, dict(attrs), offset, line, column))

    handle_startendtag = handle_starttag

    def malformed_section(self, text):
        self.malformed.append((*self.position(), text))

    def handle_data(self, data):
        if self.keep_text and self.cdata_elem is None:  # not a script's inside
            self.data.append((self.position()[0], data))

    def scrape(self) -> "PositionScraper":
        self.feed(self.text)
        self.close()
        return self

    def where(self, offset: int) -> tuple[int, int]:
        """(line, column), both 1-based, of an absolute offset."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1


def verify(text: str, tags: list[Tag]) -> None:
    """Every tag's offset must point at "<" and its name in ``text``."""
    for tag in tags:
        found = text[tag.offset : tag.offset + 1 + len(tag.name)]
        if found.lower() != "<" + tag.name:
            raise PositionError(
                f"scraped <{tag.name}> at offset {tag.offset} (line {tag.line}, "
                f"column {tag.column}), but the text there is {found!r}"
            )


def scrape(text: str, check: bool = True) -> list[Tag]:
    """The start tags of ``text`` with their positions, checked by default."""
    tags = PositionScraper(text).scrape().tags
    if check:
        verify(text, tags)
    return tags
