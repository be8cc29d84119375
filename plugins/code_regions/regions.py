"""Give every code block, block output and table of a page its own scroll
region: focusable, so a keyboard can scroll it, and named, so a screen
reader says what it is (each name unique on the page, as landmarks must be).

Works on the final HTML of a page's body, which Markdown's codehilite and
the executable posts' renderer make in known shapes; nothing else is
touched, and text is never parsed as markup.
"""

import re
from functools import cache
from html import escape, unescape

# The shapes this pass understands, in document order.
PARTS = re.compile(
    r'(?P<exec><div class="exec[^"]*" id="[^"]*">)'
    r'|(?P<code><div class="highlight"><pre>)'
    r'(?=<span></span><code(?: class="language-(?P<language>[^"]+)")?>)'
    r'|<pre class="exec-(?P<output>stdout|stderr|exception|pytest)">'
    r"|(?P<table><table(?:\s[^>]*)?>)|(?P<table_end></table\s*>)",
    re.IGNORECASE,  # (tables of a post's raw HTML may be written <TABLE>)
)
OUTPUT_NAMES = {
    "stdout": "Output",
    "stderr": "Standard error",
    "exception": "Traceback",
    "pytest": "pytest report",
}


@cache
def language_name(alias: str | None) -> str:
    """Pygments' name for a language alias ("http" -> "HTTP")."""
    if alias in (None, "text"):
        return "Text"
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(alias).name
    except ClassNotFound:
        return alias


def region(label: str) -> str:
    return f'tabindex="0" role="region" aria-label="{escape(label)}"'


def scroll_regions(html: str) -> str:
    """``html`` with its code, outputs and tables in labelled scroll regions;
    code blocks also carry their language (``data-language``) for the label
    the stylesheet shows and the copy button's name."""
    examples = tables = 0
    current: int | None = None  # the code example the next output is of
    others: dict[str, int] = {}  # outputs whose code is not shown, by kind

    def replace(match: re.Match) -> str:
        nonlocal examples, tables, current
        if match["exec"]:
            current = None
            return match[0]
        if match["code"]:
            examples += 1
            current = examples
            language = match["language"]  # as the fence has it, escaped
            name = language_name(language and unescape(language))
            return (
                f'<div class="highlight" data-language="{escape(name)}">'
                f"<pre {region(f'Code example {examples} ({name})')}>"
            )
        if match["output"]:
            kind = OUTPUT_NAMES[match["output"]]
            if current is not None:
                label = f"{kind} of code example {current}"
            else:
                others[kind] = others.get(kind, 0) + 1
                label = f"{kind} {others[kind]} of code not shown"
            return f'<pre class="exec-{match["output"]}" {region(label)}>'
        if match["table"]:
            tables += 1
            return f'<div class="table-scroll" {region(f"Table {tables}")}>{match[0]}'
        return "</table></div>"

    return PARTS.sub(replace, html)
