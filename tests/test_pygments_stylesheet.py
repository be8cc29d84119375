"""Unit tests of the pygments_stylesheet plugin."""

from pygments_stylesheet.pygments_stylesheet import stylesheet


def test_light_style_rules_for_the_highlight_class():
    css = stylesheet("vs", None)
    assert ".highlight .k { color: #00F }" in css
    assert "@media" not in css


def test_dark_style_applies_only_when_the_reader_prefers_dark():
    css = stylesheet("vs", "github-dark")
    light, dark = css.split("@media (prefers-color-scheme: dark) {")
    assert ".highlight .k { color: #00F }" in light
    assert ".highlight .k { color: #FF7B72 }" in dark
    assert css.rstrip().endswith("}")
