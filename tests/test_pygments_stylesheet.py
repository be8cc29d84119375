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


def contrast_of(colour: str, background: str) -> float:
    from pygments_stylesheet.contrast import contrast, rgb

    return contrast(rgb(colour), rgb(background))


def test_every_colour_of_both_styles_reaches_4_5_to_1_on_its_background():
    import re

    from pygments.styles import get_style_by_name

    for name in ("vs", "github-dark"):
        background = get_style_by_name(name).background_color
        light_or_dark = stylesheet(name, None)
        rules = [line for line in light_or_dark.splitlines() if "highlight ." in line]
        colours = re.findall(
            r"(?<!background-)color: (#[0-9A-Fa-f]{3,6})", "".join(rules)
        )
        assert colours
        for colour in colours:
            assert contrast_of(colour, background) >= 4.5, (name, colour)


def test_a_colour_that_falls_short_is_changed_no_more_than_it_must_be():
    from pygments_stylesheet.contrast import readable

    darker = readable("#2b91af", "#ffffff")  # vs's class names: 3.6:1
    assert 4.5 <= contrast_of(darker, "#ffffff") < 4.7
    assert readable("#0000ff", "#ffffff") == "#0000ff"  # already readable
