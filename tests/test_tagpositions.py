"""tagpositions: exact absolute offsets of tags, on tricky documents."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tagpositions import (
    PositionError,
    PositionScraper,
    average_gap,
    line_starts,
    scrape,
    word_offsets,
)
from tagpositions.scraper import Tag, verify


def positions(text: str) -> list[tuple[str, int, int, int]]:
    return [(t.name, t.offset, t.line, t.column) for t in scrape(text)]


def test_line_starts_count_the_newline_itself():
    assert line_starts("ab\ncd\n\nx") == [0, 3, 6, 7]


def test_the_posts_algorithm_loses_one_character_per_line():
    text = "<p>one</p>\n<p>two</p>\n<a href='x'>three</a>"
    old = []  # the 2009 version: line lengths without the "\n"
    position = 0
    for line in text.split("\n"):
        old.append(position)
        position += len(line)
    (anchor,) = [t for t in scrape(text) if t.name == "a"]
    assert old[anchor.line - 1] + anchor.column - 1 == anchor.offset - 2
    assert text[anchor.offset :].startswith("<a href")


def test_crlf_line_endings():
    text = "<html>\r\n<body>\r\n  <a href='/'>home</a>\r\n</body>"
    assert positions(text) == [("html", 0, 1, 1), ("body", 8, 2, 1), ("a", 18, 3, 3)]


def test_tabs_are_one_character():
    text = "<div>\n\t\t<img src='x' alt='y'>"
    assert positions(text) == [("div", 0, 1, 1), ("img", 8, 2, 3)]


def test_multibyte_text_counts_characters_not_bytes():
    text = "<p>naïve café — 日本語 ✓</p><a href='#'>x</a>"
    (_, (name, offset, line, column)) = positions(text)
    assert text[offset:].startswith("<a") and column == offset + 1


def test_entities_do_not_shift_positions():
    text = "<p>&lt;a&gt; &amp; &#8212; &copy;</p><br/><a>"
    assert [name for name, *_ in positions(text)] == ["p", "br", "a"]


def test_comments_and_cdata_hide_their_tags():
    text = "<!-- <a href='x'> -->\n<![CDATA[<img>]]><p>ok</p>"
    assert positions(text) == [("p", 39, 2, 18)]


def test_a_marked_section_other_than_cdata_is_a_comment_as_in_browsers():
    """``<![<![`` (math's text once gave it) raised "expected name token" in
    Python 3.11's parser; HTML reads it as a comment up to the next ">"."""
    text = "<p>x <![<![</p>\n<b>y</b>"
    scraper = PositionScraper(text).scrape()
    assert [(t.name, t.offset) for t in scraper.tags] == [("p", 0), ("b", 16)]
    assert scraper.malformed == [(5, 1, 6, "<![<![</p>")]
    assert [data for _, data in scraper.data] == ["x ", "\n", "y"]


PIECES = st.sampled_from(
    ["<", "<!", "<![", "<![CDATA[", "]]>", "]", ">", "<!--", "-->", "</", "<?"]
    + ["<!doctype", "if", "a", "p", "script", " ", "\n", "&", "#", ";", '"', "="]
)


@given(st.lists(PIECES, max_size=16).map("".join))
def test_any_text_scrapes_without_an_exception(text):
    """A page is whatever its post holds: the scraper must never raise on it
    (the build would stop with a traceback naming no post)."""
    scraper = PositionScraper(text).scrape()
    verify(text, scraper.tags)


def test_script_containing_markup_is_not_scraped():
    text = '<script>var s = "<a href=1>"; if (a<b) {}</script>\n<a href="/">x</a>'
    assert positions(text) == [("script", 0, 1, 1), ("a", 51, 2, 1)]


def test_unclosed_tags_and_a_truncated_end():
    text = "<div><p>one<p>two<img src=x>\n<span"
    assert [n for n, *_ in positions(text)] == ["div", "p", "p", "img"]


def test_uppercase_tag_names_are_found():
    assert positions("<DIV><A HREF='/'>x</A>") == [("div", 0, 1, 1), ("a", 5, 1, 6)]


def test_a_position_that_does_not_point_at_its_tag_fails_loudly():
    with pytest.raises(
        PositionError, match=r"scraped <a> at offset 1 .* the text there is 'p>'"
    ):
        verify("<p>", [Tag("a", {}, 1, 1, 2)])


def test_average_distance_between_words_in_the_text():
    html = "<p>the cat</p><script>the</script><p title='the'>sat on the mat</p>"
    offsets = word_offsets(html, "the")
    assert [html[o : o + 3] for o in offsets] == ["the", "the"]
    assert average_gap(offsets) == offsets[1] - offsets[0]
    assert average_gap(offsets[:1]) is None


NAMES = st.sampled_from(["a", "p", "img", "div", "span", "br", "A", "Table"])
TEXT = st.text(
    alphabet=st.sampled_from(list("ab \t\n\r\r\néü日—&;#<>\"'=/!-")), max_size=12
)


@st.composite
def documents(draw) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(
            st.sampled_from(["tag", "text", "comment", "script", "entity", "end"])
        )
        if kind == "tag":
            value = draw(
                st.text(alphabet=st.sampled_from(list("ab \n\t<>é/")), max_size=6)
            )
            pieces.append(
                f'<{draw(NAMES)} title="{value.replace(chr(34), "")}"'
                f"{draw(st.sampled_from(['', '/', ' ']))}>"
            )
        elif kind == "text":
            pieces.append(draw(TEXT).replace("<", " ").replace("&", " "))
        elif kind == "comment":
            pieces.append(f"<!-- {draw(TEXT).replace('-', ' ').replace('>', ' ')} -->")
        elif kind == "script":
            pieces.append(f"<script>{draw(TEXT).replace('</', '')}<a href=1></script>")
        elif kind == "entity":
            pieces.append(draw(st.sampled_from(["&amp;", "&lt;", "&#233;", "&copy;"])))
        else:
            pieces.append(f"</{draw(NAMES)}>")
    return "".join(pieces)


@given(documents())
def test_every_scraped_start_tag_is_where_it_says(html):
    for tag in scrape(html, check=False):
        assert html[tag.offset :].lower().startswith("<" + tag.name)
        starts = line_starts(html)
        assert starts[tag.line - 1] + tag.column - 1 == tag.offset
