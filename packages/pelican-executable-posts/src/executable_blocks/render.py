"""HTML for a block and what it produced. Every text from a block is escaped.

The source is shown as Pygments' ``HtmlFormatter(cssclass="highlight",
wrapcode=True)`` shows it (the site's stylesheet is made for that markup),
but from data: the token stream of the code, ``(class, text)`` pairs
(``protocol.Tokens``), which a worker makes ahead of need and the cache keeps, so a warm
build never loads the lexer. Nothing in a result is ever taken as HTML:
each class must be one of Pygments' standard short names, each text is
escaped, and the texts must join to exactly the code of the block, so a
token list from anywhere can at most colour the code, never change it.
"""

import math
import re
from functools import cache
from html import escape

from pygments.token import STANDARD_TYPES

from .claims import normalized
from .protocol import BlockResult, Picture, Status, Tokens

CHECK = "\N{CHECK MARK}"
TOKEN_CLASSES = frozenset(STANDARD_TYPES.values())
# Pygments' own escaping (html.escape writes ' differently)
ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}
)
OPENING = '<div class="highlight"><pre><span></span><code>'
BLOCK_START = '<div class="exec'  # how ``block_html`` begins: all of its chrome inside
CLOSING = "</code></pre></div>\n"


def source_html(code: str, tokens: Tokens | None = None) -> str:
    """``code`` highlighted: from ``tokens`` if they are ``code``'s, else by
    lexing it now."""
    if tokens is None or not tokens_match(code, tokens):
        tokens = code_tokens(code)
        if tokens is None:
            return pygments_html(code)
    return tokens_html(tokens)


def lexer_input(code: str) -> str:
    """``code`` as Pygments' lexer reads it, with its default options: no
    byte-order mark, Unix newlines, no blank lines around, one at the end."""
    text = code.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    text = text.strip("\n")
    return text if text.endswith("\n") else text + "\n"


def tokens_match(code: str, tokens) -> bool:
    """Whether ``tokens`` is a well-formed token stream of ``code``."""
    if type(tokens) is not tuple:
        return False
    texts = []
    for token in tokens:
        if type(token) is not tuple or len(token) != 2:
            return False
        css, text = token
        if type(css) is not str or css not in TOKEN_CLASSES:
            return False
        if type(text) is not str:
            return False
        texts.append(text)
    return "".join(texts) == lexer_input(code)


def code_tokens(code: str) -> Tokens | None:
    """The token stream of ``code``: ``(class, text)`` pairs, neighbours of
    one class merged (Pygments' markup is the same); None if the lexer
    gives a token type with no standard class."""
    lexer, _ = highlighter()
    tokens: list[tuple[str, str]] = []
    for kind, text in lexer.get_tokens(code):
        css = STANDARD_TYPES.get(kind)
        if css is None:
            return None
        if tokens and tokens[-1][0] == css:
            tokens[-1] = (css, tokens[-1][1] + text)
        elif text:
            tokens.append((css, text))
    return tuple(tokens)


def tokens_html(tokens: Tokens) -> str:
    """The markup of Pygments' HtmlFormatter for these tokens (its
    ``_format_lines``, with classes only and no options, line for line)."""
    out = [OPENING]
    line: list[str] = []
    open_span = ""
    for css, text in tokens:
        span = f'<span class="{css}">' if css else ""
        close = "</span>" if css else ""
        parts = text.translate(ESCAPES).split("\n")
        for part in parts[:-1]:  # every part that ends a line
            if line:
                if open_span != span and part:
                    line += (open_span and "</span>", span, part, close, "\n")
                else:
                    line += (part, open_span and "</span>", "\n")
                out.append("".join(line))
                line = []
            elif part:
                out.append(f"{span}{part}{close}\n")
            else:
                out.append("\n")
        last = parts[-1]
        if line and last:
            if open_span != span:
                line += (open_span and "</span>", span, last)
                open_span = span
            else:
                line.append(last)
        elif last:
            line = [span, last]
            open_span = span
    if line:
        line += (open_span and "</span>", "\n")
        out.append("".join(line))
    out.append(CLOSING)
    return "".join(out)


def pygments_html(code: str) -> str:
    """``code`` highlighted by Pygments itself."""
    from pygments import highlight

    lexer, formatter = highlighter()
    return highlight(code, lexer, formatter)


@cache
def highlighter():
    """Pygments' Python lexer and our HTML formatter, made when first needed:
    a build whose results all come from the cache never loads the lexer."""
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import PythonLexer

    return PythonLexer(), HtmlFormatter(cssclass="highlight", wrapcode=True)


# C0 controls (but tab and newline), DEL and C1 (not allowed in HTML text or
# XML feeds, acted on by terminals), and the bidirectional overrides (which
# make a line read other than it is): a block's output, on a page or in the
# build's log, shows them as Python would write them (\x1b, \u202e).
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    return CONTROLS.sub(lambda m: ascii(m[0])[1:-1], text)


def text_html(label: str, text: str, kind: str) -> str:
    return (
        f'<p class="exec-label">{escape(label)}</p>\n'
        f'<pre class="exec-{kind}"><code>{escape(visible(text))}</code></pre>'
    )


# The least size, in CSS px, of a figure's text on the page; and the page's
# side margins (style.css: body's padding, 1.25rem each side; less on phones).
LEGIBLE_PX = 10
PAGE_MARGINS_REM = 2.5


def picture_html(
    item: Picture, url: str, alt: str, caption: str, narrow_url: str | None = None
) -> str:
    """A figure or animation, with its caption. One with a narrow variant
    (``narrow_url``) offers that to screens too narrow for its own text."""
    size = f'width="{item.width:d}" height="{item.height:d}"'  # ints only
    if item.format == "mp4":
        media = (
            f'<video controls loop muted playsinline {size} aria-label="{escape(alt)}">'
            f'<source src="{escape(url)}" type="video/mp4">'
            f'<a href="{escape(url)}">{escape(alt)}</a></video>'
        )
    else:
        media = f'<img src="{escape(url)}" alt="{escape(alt)}" {size} loading="lazy">'
        narrow = item.narrow
        if narrow and narrow_url:
            narrow_size = f'width="{narrow.width:d}" height="{narrow.height:d}"'
            media = (
                f'<picture><source media="{narrow_media(item)}" '
                f'srcset="{escape(narrow_url)}" {narrow_size}>{media}</picture>'
            )
    caption_html = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="exec-figure">{media}{caption_html}</figure>'


def narrow_media(item: Picture) -> str:
    """The media query of screens on which the figure's own text would show
    smaller than ``LEGIBLE_PX``: the figure, scaled down to the page's
    column, keeps its text legible in a column this wide and no narrower.
    (In rem, rounded up: margins in rem grow with the reader's font size.)"""
    column = item.width * LEGIBLE_PX / item.smallest_text_px
    return f"(max-width: {math.ceil(column / 16 + PAGE_MARGINS_REM)}rem)"


def claim_checked(claim) -> tuple[str, bool]:
    """What checking ``claim`` compared, and whether all of it was compared:
    a claim whose "..." stood in for some lines says how many."""
    lines = normalized(claim.text).splitlines()
    elided = sum("..." in line for line in lines) if claim.ellipsis else 0
    within = (
        f" (numbers within {claim.tolerance})" if claim.tolerance is not None else ""
    )
    if not elided:
        return f"the output is the one the post claims{within}", True
    if elided == len(lines):
        return (
            f"the output matches the post's claim where it is written out{within}; "
            '"..." stood for the rest, which was not compared',
            False,
        )
    others = "the other line" if elided == 1 else f"the other {elided}"
    return (
        f"{len(lines) - elided} of {len(lines)} lines match the post's claim in "
        f'full{within}; in {others}, "..." stood for text that was not compared',
        False,
    )


def verdicts(outcome) -> tuple[list[str], bool]:
    """What was checked of the block, and whether it was checked in full."""
    block, result = outcome.block, outcome.result
    found, complete = [], True
    if block.claim and not outcome.errors:
        checked, complete = claim_checked(block.claim)
        if not block.shows("output"):  # (output="off": a claim the reader
            checked += " (neither is shown)"  # cannot see was checked)
        found.append(checked)
    if block.options.get("raises") and not outcome.errors:
        found.append(f"it raised {block.options['raises']}, as the post says")
    if block.mode == "pytest" and result and not block.claim and not outcome.errors:
        found.append("every test passed")
    return found, complete


def printed_nothing(result: BlockResult) -> bool:
    return not (
        result.stdout
        or result.stderr
        or result.exception
        or result.figures
        or result.animations
    )


def included_from(block) -> str | None:
    """Where the shown code comes from, for a block that includes a file
    (``users_api.py, lines 7-25``); None for code written in the post."""
    name = block.options.get("include")
    if name is None:
        return None
    lines = block.options.get("lines")
    if lines is None:
        return name
    return f"{name}, lines " + lines.replace("-", "\N{EN DASH}")


# What ``block_html`` says around a block's code and output: its labels,
# notes, verdict and file name (texts escaped here, so no ``<`` within), and
# its id. A summary on a list of posts is no place for them.
CHROME = re.compile(
    r'<p class="exec-(?:label|note|file|verdict[^"]*)">[^<]*</p>\n?'
    r'|(?<=<div class="exec") id="exec-\d+"'
    r'|(?<=<div class="exec exec-display-only") id="exec-\d+"'
)


# A block left with nothing to show (its source off, and it printed nothing)
EMPTIED = re.compile(r'<div class="exec(?: exec-display-only)?">\n</div>\n?')
# A fold (``source="fold"``): its code, without the opener ("Show the code")
FOLDED = re.compile(
    r'<details class="exec-source"><summary>[^<]*</summary>\n(.*?</code></pre></div>\n)'
    r"</details>",
    re.DOTALL,
)


def without_chrome(html: str) -> str:
    """``html`` with the blocks' labels, notes, verdicts and ids taken out:
    their code, output and figures as a list of posts shows them (two posts'
    ``exec-3`` would be one id twice there, and a meta description made of
    the summary read "Output" and "Checked at build time"), and a fold's
    opener; a block with nothing else is taken out whole."""
    if BLOCK_START not in html:
        return html
    return EMPTIED.sub("", FOLDED.sub(r"\1", CHROME.sub("", html)))


def block_html(outcome, picture_url) -> str:
    """The block's source (unless hidden) and what it produced (unless hidden).

    ``picture_url`` turns a saved figure into the URL it is published under.
    """
    block, result = outcome.block, outcome.result
    # No cache status in the class: a page is the same whether its blocks
    # ran now or came from the cache.
    display_only = outcome.status is Status.DISPLAY_ONLY
    kind = "exec exec-display-only" if display_only else "exec"
    parts = [f'<div class="{kind}" id="exec-{block.line}">']  # (BLOCK_START)
    if block.shows("source"):
        code = source_html(block.code, result and result.tokens)
        # named as Markdown's code blocks are, for the label and copy button
        code = code.replace("<code>", '<code class="language-python">', 1)
        name = included_from(block)
        if block.options.get("source") == "fold":
            opener = escape(name or "Show the code")
            code = (
                f'<details class="exec-source"><summary>{opener}</summary>\n'
                f"{code}</details>"
            )
        elif name:
            parts.append(f'<p class="exec-file">{escape(name)}</p>')
        parts.append(code)
    if display_only:
        parts.append(
            f'<p class="exec-note">Shown, not run: {escape(outcome.reason)}</p>'
        )
    elif result is None:
        parts.append('<p class="exec-note">This block did not run.</p>')
    else:
        if block.shows("output"):
            if result.stdout:
                kind = "pytest" if block.mode == "pytest" else "stdout"
                label = "pytest report" if block.mode == "pytest" else "Output"
                parts.append(text_html(label, result.stdout, kind))
            if result.stderr:
                parts.append(text_html("Standard error", result.stderr, "stderr"))
            if result.exception:
                label = "Raised" if block.options.get("raises") else "Failed with"
                parts.append(text_html(label, result.exception.traceback, "exception"))
        caption = block.options.get("caption", "")
        pictures = result.animations + result.figures
        for number, item in enumerate(pictures, start=1):
            alt = (
                caption
                if len(pictures) == 1
                else f"{caption} ({number} of {len(pictures)})"
            )
            narrow = item.narrow and picture_url(item.narrow)
            parts.append(picture_html(item, picture_url(item), alt, alt, narrow))
        if block.shows("output") and printed_nothing(result):
            parts.append('<p class="exec-note">Ran at build time; printed nothing.</p>')
        checked, complete = verdicts(outcome)
        if checked:
            text = escape("; ".join(checked))
            kind, how = (
                ("", ":") if complete else (" exec-verdict-elided", ", with elisions:")
            )
            parts.append(
                f'<p class="exec-verdict{kind}">{CHECK} Checked at build time{how} '
                f"{text}.</p>"
            )
    if len(parts) == 1:  # source and output off, and no verdict: a block that
        return ""  # only sets up later ones shows nothing (not an empty div)
    parts.append("</div>")
    return "\n".join(parts)
