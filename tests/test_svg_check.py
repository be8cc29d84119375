"""executable_blocks.svg_check: an SVG figure is published only if it can run
nothing; what matplotlib writes always passes."""

import io

import matplotlib
import numpy as np
import pytest

from executable_blocks.svg_check import active_content

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen

OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
XHTML = "http://www.w3.org/1999/xhtml"


def svg(inside: str, before: str = "") -> bytes:
    return f"{before}{OPEN}{inside}</svg>".encode()


def saved(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    return buffer.getvalue()


def test_what_matplotlib_writes_passes_with_images_links_hatches_and_text():
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    axes.imshow(np.eye(4), extent=(0, 1, 0, 1))  # an embedded PNG
    axes.bar([1], [2], hatch="//")  # a <pattern> used by reference
    axes.text(0.5, 0.5, "a link").set_url("https://example.org/")
    axes.set_title("Title")
    assert active_content(saved(figure)) is None


def test_what_matplotlib_writes_passes_with_text_kept_as_text():
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        figure, axes = plt.subplots()
        axes.set_xlabel("x < 1 & y > 2")
        data = saved(figure)
    assert active_content(data) is None


@pytest.mark.parametrize(
    "inside, found",
    [
        ("<script>alert(1)</script>", "a <script> element"),
        ('<g><script xlink:href="data:,alert(1)"/></g>', "a <script> element"),
        (f'<html:script xmlns:html="{XHTML}">alert(1)</html:script>', "element of"),
        (f'<foreignObject><p xmlns="{XHTML}">x</p></foreignObject>', "foreignObject"),
        ('<rect onclick="alert(1)"/>', "event handler onclick="),
        ('<rect ONMOUSEOVER="alert(1)"/>', "event handler ONMOUSEOVER="),
        ('<a href="javascript:alert(1)"><text>x</text></a>', "a link to 'javascript"),
        ('<a xlink:href=" JavaScript:alert(1)"><text>x</text></a>', "a link to"),
        ('<a href="java&#9;script:alert(1)"><text>x</text></a>', "a link to"),
        ('<a href="vbscript:msgbox(1)"><text>x</text></a>', "a link to"),
        ('<use href="https://evil.example/x.svg#a"/>', "a link to 'https://evil"),
        ('<image href="data:image/svg+xml,x"/>', "a link to 'data:image/svg"),
        ('<set attributeName="onmouseover" to="alert(1)"/>', "a <set> element"),
        ('<animate attributeName="href" values="javascript:alert(1)"/>', "<animate>"),
        ("<rect/>" * 2 + "<unclosed>", "not well-formed XML"),
    ],
)
def test_active_content_is_found_and_named(inside, found):
    assert found in (active_content(svg(inside)) or "")


@pytest.mark.parametrize(
    "url", ["https://example.org/", "/about/", "../2009/other/#x", "mailto:d@x.org"]
)
def test_a_link_to_a_page_passes(url):
    assert active_content(svg(f'<a xlink:href="{url}"><text>x</text></a>')) is None


def test_an_entity_that_would_expand_to_a_script_is_refused_before_use():
    before = '<!DOCTYPE svg [<!ENTITY s "&#60;script&#62;alert(1)&#60;/script&#62;">]>'
    assert "a DTD subset" in active_content(svg("&s;", before))


def test_a_stylesheet_instruction_is_refused():
    before = '<?xml-stylesheet type="text/xsl" href="data:,x"?>'
    assert "processing instruction <?xml-stylesheet?>" in active_content(
        svg("<rect/>", before)
    )


def test_markup_of_another_namespace_is_refused():
    html = f'<html xmlns="{XHTML}"><body>x</body></html>'.encode()
    assert "element of http://www.w3.org/1999/xhtml <html>" in active_content(html)


def test_elements_of_no_namespace_pass_but_are_held_to_the_same_rules():
    assert active_content(b"<svg><rect/></svg>") is None
    assert "a <script> element" in active_content(b"<svg><script>x</script></svg>")
    assert "event handler" in active_content(b'<svg onload="x"/>')


def test_the_line_of_what_was_found_is_given():
    assert active_content(svg('\n\n<rect onload="x"/>')).endswith("(line 3)")
