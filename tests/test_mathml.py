"""The mathml plugin: display math becomes MathML at build time."""

import markdown

from mathml import MathExtension, mathml


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
