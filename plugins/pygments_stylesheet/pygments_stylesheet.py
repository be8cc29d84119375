"""Write the stylesheet for highlighted code from the Pygments styles in use.

Generated at build time rather than committed, so the CSS always matches the
installed Pygments and the ``PYGMENTS_STYLE`` / ``PYGMENTS_STYLE_DARK``
settings; the dark style applies when the reader's system prefers it. Every
token colour is made to reach 4.5:1 on its style's background (contrast.py).
"""

from pathlib import Path

from pygments.formatters import HtmlFormatter

from pelican import signals

from .contrast import readable_style

STYLESHEET = "theme/css/pygments.css"


def stylesheet(light: str, dark: str | None, css_class: str = ".highlight") -> str:
    """CSS for ``light``, with ``dark`` under ``prefers-color-scheme: dark``."""
    css = HtmlFormatter(style=readable_style(light)).get_style_defs(css_class)
    if dark:
        dark_css = HtmlFormatter(style=readable_style(dark)).get_style_defs(css_class)
        indented = "\n".join("  " + line for line in dark_css.splitlines())
        css += f"\n@media (prefers-color-scheme: dark) {{\n{indented}\n}}\n"
    return css


def write_stylesheet(pelican) -> None:
    settings = pelican.settings
    target = Path(settings["OUTPUT_PATH"]) / STYLESHEET
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(
        stylesheet(
            settings.get("PYGMENTS_STYLE", "default"),
            settings.get("PYGMENTS_STYLE_DARK"),
        ),
        encoding="utf-8",
    )


def register():
    signals.finalized.connect(write_stylesheet)
