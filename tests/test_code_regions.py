"""Unit tests of the code_regions plugin: every code block, block output
and table gets a focusable scroll region with a name unique on its page."""

import markdown
from lxml import html as lxml_html

from code_regions.formatter import LanguageFormatter
from code_regions.regions import scroll_regions

EXEC_BLOCK = (
    '<div class="exec" id="exec-3">\n'
    '<div class="highlight"><pre><span></span><code class="language-python">'
    "x = 1\n</code></pre></div>\n"
    '<p class="exec-label">Output</p>\n'
    '<pre class="exec-stdout"><code>1\n</code></pre>\n</div>'
)
HIDDEN_SOURCE = (
    '<div class="exec" id="exec-9">\n<p class="exec-label">Output</p>\n'
    '<pre class="exec-stdout"><code>2\n</code></pre>\n</div>'
)


def regions(page: str) -> list[tuple[str, str]]:
    doc = lxml_html.fragment_fromstring(page, create_parent="div")
    found = doc.xpath("//*[@role='region']")
    assert all(element.get("tabindex") == "0" for element in found)
    return [(element.tag, element.get("aria-label")) for element in found]


def codehilite(source: str) -> str:
    return markdown.markdown(
        source,
        extensions=["fenced_code", "codehilite"],
        extension_configs={
            "codehilite": {
                "css_class": "highlight",
                "guess_lang": False,
                "pygments_formatter": LanguageFormatter,
            }
        },
    )


def test_markdown_code_blocks_carry_their_language():
    page = codehilite("```http\nGET / HTTP/1.1\n```")
    assert '<code class="language-http">' in page
    assert '<div class="highlight" data-language="HTTP">' in scroll_regions(page)


def test_code_without_a_language_is_named_text():
    page = scroll_regions(codehilite("```\nplain\n```"))
    assert regions(page) == [("pre", "Code example 1 (Text)")]


def test_an_output_is_named_after_the_code_it_came_from():
    page = scroll_regions(codehilite("```http\nGET /\n```") + EXEC_BLOCK)
    assert regions(page) == [
        ("pre", "Code example 1 (HTTP)"),
        ("pre", "Code example 2 (Python)"),
        ("pre", "Output of code example 2"),
    ]


def test_an_output_whose_code_is_hidden_is_not_given_another_blocks_name():
    page = scroll_regions(EXEC_BLOCK + HIDDEN_SOURCE + HIDDEN_SOURCE)
    labels = [label for _, label in regions(page)]
    assert labels == [
        "Code example 1 (Python)",
        "Output of code example 1",
        "Output 1 of code not shown",
        "Output 2 of code not shown",
    ]


def test_tables_scroll_in_their_own_named_region():
    page = scroll_regions("<table><tr><td>1</td></tr></table><table></table>")
    assert regions(page) == [("div", "Table 1"), ("div", "Table 2")]
    assert page.count("</table></div>") == 2


def test_a_table_with_attributes_is_wrapped_and_closed_once():
    """(Its opening tag was not recognised, its end was: a stray </div>
    closed the post's body early.)"""
    html = '<table class="data"><tr><td>1</td></tr></table><p>after</p>'
    page = scroll_regions(html)
    assert regions(page) == [("div", "Table 1")]
    assert '<table class="data">' in page
    assert page.count("<div") == page.count("</div>") == 1
    assert scroll_regions("<tablefoo></tablefoo>") == "<tablefoo></tablefoo>"


def test_a_table_written_in_capitals_or_closed_with_a_space_is_wrapped_once():
    for html in ("<TABLE><tr><td>1</td></tr></table>", "<table><tr></tr></table >"):
        page = scroll_regions(html + "<p>after</p>")
        assert regions(page) == [("div", "Table 1")]
        assert page.count("<div") == page.count("</div>") == 1, page


def test_code_that_looks_like_markup_is_left_alone():
    page = codehilite('```\n<div class="highlight"><pre><table>\n```')
    assert scroll_regions(page).count('role="region"') == 1


ATTACK_FENCE = '``` { .x"><script>alert(document.domain)</script><b }\nprint(1)\n```'
ATTACK_LANGUAGE = 'x"><script>alert(document.domain)</script><b'


def test_a_fence_language_cannot_close_the_code_tag():
    """The language is the post author's text: a stranger's fence wrote a
    script element onto the page."""
    doc = lxml_html.fragment_fromstring(codehilite(ATTACK_FENCE), create_parent="div")
    assert doc.xpath("//script") == []
    assert doc.xpath("//code")[0].get("class") == f"language-{ATTACK_LANGUAGE}"


def test_a_code_block_of_an_odd_language_keeps_its_named_region():
    """Its escaped language is still read, so it scrolls like any other."""
    page = scroll_regions(codehilite(ATTACK_FENCE))
    assert regions(page) == [("pre", f"Code example 1 ({ATTACK_LANGUAGE})")]
