"""The mathml plugin: display math becomes MathML at build time."""

import logging
from html import escape
from xml.etree import ElementTree

import markdown
import pytest
from lxml import html as lxml_html
from markdown import Markdown

from helpers import build_site, write_site
from mathml import MathExtension, extension, mathml


def test_display_math_becomes_a_mathml_block_with_its_tex_as_alternative():
    html = markdown.markdown(
        "Before\n\n$$\n\\frac{a}{b}\n$$\n\nAfter", extensions=[MathExtension()]
    )
    assert html.startswith('<p>Before</p>\n<math alttext="\\frac{a}{b}"')
    assert 'display="block"' in html and "<mfrac>" in html
    assert html.endswith("<p>After</p>")


def test_inline_dollars_are_left_alone():
    html = markdown.markdown("It costs $5 and $6.", extensions=[MathExtension()])
    assert html == "<p>It costs $5 and $6.</p>"


def test_mathml_escapes_the_alternative_text():
    assert 'alttext="a &lt; b"' in mathml("a < b")


def convert(body: str, path: str = "posts/p.md") -> str:
    """``body`` as the site converts a post: its header is read by meta."""
    md = Markdown(extensions=["meta", MathExtension(source_path=path)])
    return md.convert(f"Title: T\n\n{body}")


def errors(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_text_that_looks_like_markup_is_shown_as_text():
    """latex2mathml unescapes its own output: a stranger's \\text{<svg
    onload=…>} was an element on the page (and in the feeds)."""
    attack = "<svg/onload=alert(document.domain)>"
    page = lxml_html.fragment_fromstring(
        convert(f"$$ x = \\text{{{attack}}} $$"), create_parent="div"
    )
    assert page.xpath("//svg | //*[@onload]") == []
    assert page.xpath("//mtext")[0].text == attack


def test_the_math_is_well_formed_xml_whatever_its_text():
    """Text like ``<![<![`` made markup no parser could read, and the
    build crashed later in a page scraper."""
    math = ElementTree.fromstring(mathml(r"\text{<![<![} \text{a & b}"))
    assert [t.text for t in math.findall(".//{*}mtext")] == ["<![<![", "a\xa0&\xa0b"]


@pytest.mark.parametrize(
    ("tex", "attribute"),
    [
        (r"\href{javascript:alert(1)}{x}", "href"),
        (r"\style{background:url(//evil.example)}{y}", "style"),
        (r"\class{exec-stdout}{y}", "class"),
    ],
)
def test_attributes_outside_the_allowlist_are_refused_as_errors(caplog, tex, attribute):
    """\\href gave a javascript: link, \\style and \\class the page's CSS."""
    html = convert(f"Para\n\n$$\n{tex}\n$$\n")
    assert html == f'<p>Para</p>\n<pre class="math-error">{escape(tex)}</pre>'
    assert errors(caplog) == [
        f"posts/p.md:5: cannot render the math $$ {tex} $$: "
        f"attribute {attribute!r} is not allowed (on <mrow>)"
    ]


def test_elements_outside_presentation_mathml_are_refused():
    """Should latex2mathml ever make one, it does not reach the page."""
    math = ElementTree.fromstring("<math><mrow><annotation-xml/></mrow></math>")
    with pytest.raises(extension.RefusedMath, match="<annotation-xml> is not"):
        extension.check(math)


def test_a_character_xml_cannot_hold_is_refused(caplog):
    """It would make the Atom and RSS feeds unreadable."""
    convert("$$ a\x0bb $$")
    assert errors(caplog) == [
        "posts/p.md:3: cannot render the math $$ a b $$: "
        "U+000B is not a character XML allows"
    ]


def test_an_error_names_file_line_and_the_exceptions_type(caplog):
    """latex2mathml raises some errors with no message: the type says what."""
    convert("Para\n\n$$\n\\frac{1}{\n$$\n")
    assert errors(caplog) == [
        r"posts/p.md:5: cannot render the math $$ \frac{1}{ $$: "
        "NoAvailableTokensError"
    ]


def test_each_error_is_at_its_own_block_line(caplog):
    """Blocks do not know their line; the same broken block twice, the second
    in a list item, is found at each of its places."""
    convert("$$ x^ $$\n\nText\n\n* item\n\n    $$ x^ $$\n")
    assert [message.split(": ")[0] for message in errors(caplog)] == [
        "posts/p.md:3",
        "posts/p.md:9",
    ]


def test_an_error_is_at_the_math_not_at_a_code_block_showing_it(caplog):
    """A post showing the TeX in a code block first: the error was named at
    the code's line."""
    convert("```text\n$$ x^ $$\n```\n\nSo:\n\n$$ x^ $$\n")
    assert [message.split(": ")[0] for message in errors(caplog)] == ["posts/p.md:9"]


def test_code_spans_and_longer_fences_do_not_hide_the_math_line(caplog):
    """Three backticks starting a paragraph open no fence, and a fence is
    closed by the same fence only, as Markdown reads them."""
    convert("```x``` is code.\n\n$$ x^ $$\n")
    convert("```text\n````\n$$ x^ $$\n```\n\n$$ x^ $$\n")
    assert [message.split(": ")[0] for message in errors(caplog)] == [
        "posts/p.md:5",
        "posts/p.md:8",
    ]


def test_a_long_tex_is_shortened_in_the_message(caplog):
    """The whole TeX made an 18,099-character log line."""
    tex = r"\left( " + "x" * 18_000
    convert(f"$$ {tex} $$")
    [message] = errors(caplog)
    assert f"$$ {tex[:200]}… (17,807 more characters) $$" in message
    assert len(message) < 400


def test_hostile_math_fails_the_build_at_its_file_and_line(tmp_path):
    """The error gate stops the build: nothing of the post is published."""
    content = write_site(
        tmp_path, {"hostile": "$$\n\\href{javascript:alert(1)}{x}\n$$\n"}
    )
    output = tmp_path / "output"
    result = build_site(content, output)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "posts/hostile.md:6: cannot render the math $$ \\href{" in log
    assert "Build failed (errors above); nothing was written." in log
    assert not (output / "index.html").exists()
