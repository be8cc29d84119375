"""Pygments styles with every token colour readable on the style's own
background: at least 4.5:1, WCAG 2's contrast for normal text.

Some styles fall short (``vs`` writes class names in #2b91af, 3.6:1 on
white); each colour that does is darkened (on a light background) or
lightened (on a dark one) just enough, so the style keeps its look.
"""

import re

from pygments.style import Style
from pygments.styles import get_style_by_name

MINIMUM = 4.5
COLOUR = re.compile(r"(?<![:\w])#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def rgb(hex_colour: str) -> tuple[int, int, int]:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))


def luminance(colour: tuple[int, int, int]) -> float:
    """Relative luminance, as WCAG 2 defines it."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def readable(colour: str, background: str) -> str:
    """``colour``, mixed towards black or white (away from ``background``)
    in the smallest step that reaches the minimum contrast."""
    fore, back = rgb(colour), rgb(background)
    if contrast(fore, back) >= MINIMUM:
        return colour
    target = (0, 0, 0) if luminance(back) > 0.18 else (255, 255, 255)
    for step in range(1, 101):
        share = step / 100
        mixed = tuple(
            round(f + (t - f) * share) for f, t in zip(fore, target, strict=True)
        )
        if contrast(mixed, back) >= MINIMUM:
            return "#{:02x}{:02x}{:02x}".format(*mixed)
    return "#{:02x}{:02x}{:02x}".format(*target)


def readable_style(name: str) -> type[Style]:
    """The Pygments style ``name``, its foreground colours made readable."""
    style = get_style_by_name(name)
    background = style.background_color or "#ffffff"
    styles = {
        token: COLOUR.sub(lambda m: readable(m[0], background), definition)
        for token, definition in style.styles.items()
    }
    numbers = style.line_number_color
    if COLOUR.fullmatch(numbers or ""):
        numbers = readable(numbers, background)
    return type(
        style.__name__, (style,), {"styles": styles, "line_number_color": numbers}
    )
