"""Wiring: the language formatter for Markdown's codehilite, and the
``scroll_regions`` filter the theme applies to every page's body."""

from pelican import signals

from .formatter import LanguageFormatter
from .regions import scroll_regions

CODEHILITE = "markdown.extensions.codehilite"


def use_language_formatter(pelican) -> None:
    """codehilite writes ``<code class="language-…">`` (unless the site
    chose a formatter of its own)."""
    markdown = pelican.settings.setdefault("MARKDOWN", {})
    configs = markdown.setdefault("extension_configs", {})
    if CODEHILITE in configs:
        configs[CODEHILITE].setdefault("pygments_formatter", LanguageFormatter)


def add_filter(generator) -> None:
    generator.env.filters["scroll_regions"] = scroll_regions


def register():
    signals.initialized.connect(use_language_formatter)
    signals.generator_init.connect(add_filter)
