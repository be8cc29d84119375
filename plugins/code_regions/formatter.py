"""Pygments' HTML, with the language of the code on its ``<code>`` element.

Python-Markdown's codehilite hands its formatter the language as
``lang_str`` (``language-http``), which Pygments' own formatter ignores;
this is the formatter its documentation shows for keeping it. The language
comes from the post's fence, as its author wrote it: it is escaped, as
Python-Markdown escapes it when it writes the ``<code>`` element itself.
"""

from html import escape

from pygments.formatters import HtmlFormatter


class LanguageFormatter(HtmlFormatter):
    def __init__(self, lang_str: str = "", **options):
        super().__init__(**options)
        self.lang_str = lang_str

    def _wrap_code(self, source):
        lang = escape(self.lang_str, quote=True)
        yield 0, f'<code class="{lang}">' if lang else "<code>"
        yield from source
        yield 0, "</code>"
