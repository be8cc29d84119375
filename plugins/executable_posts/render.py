"""HTML for a block and what it produced. Every text from a block is escaped."""

import re
from functools import cache
from html import escape

CHECK = "\N{CHECK MARK}"


def source_html(code: str) -> str:
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


# C0 controls (but tab and newline), DEL and C1: not allowed in HTML text or
# XML feeds, so a block's output shows them as Python would write them.
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    return CONTROLS.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def text_html(label: str, text: str, kind: str) -> str:
    return (
        f'<p class="exec-label">{escape(label)}</p>\n'
        f'<pre class="exec-{kind}"><code>{escape(visible(text))}</code></pre>'
    )


def picture_html(item: dict, url: str, alt: str, caption: str) -> str:
    size = f'width="{item["width"]}" height="{item["height"]}"'
    if item["format"] == "mp4":
        media = (
            f'<video controls loop muted playsinline {size} aria-label="{escape(alt)}">'
            f'<source src="{escape(url)}" type="video/mp4">'
            f'<a href="{escape(url)}">{escape(alt)}</a></video>'
        )
    else:
        media = f'<img src="{escape(url)}" alt="{escape(alt)}" {size} loading="lazy">'
    caption_html = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="exec-figure">{media}{caption_html}</figure>'


def verdicts(outcome) -> list[str]:
    block, result = outcome.block, outcome.result
    found = []
    if block.claim and not outcome.errors:
        found.append("the output is the one the post claims")
    if block.options.get("raises") and not outcome.errors:
        found.append(f"it raised {block.options['raises']}, as the post says")
    if block.mode == "pytest" and result and not block.claim and not outcome.errors:
        found.append("every test passed")
    return found


def block_html(outcome, picture_url) -> str:
    """The block's source (unless hidden) and what it produced (unless hidden).

    ``picture_url`` turns a saved figure into the URL it is published under.
    """
    block, result = outcome.block, outcome.result
    # No cache status in the class: a page is the same whether its blocks
    # ran now or came from the cache.
    kind = "exec exec-display-only" if outcome.status == "display-only" else "exec"
    parts = [f'<div class="{kind}" id="exec-{block.line}">']
    if block.shows("source"):
        code = (result or {}).get("source_html") or source_html(block.code)
        if block.options.get("source") == "fold":
            name = block.options.get("include", "Show the code")
            code = (
                f'<details class="exec-source"><summary>{escape(name)}</summary>\n'
                f"{code}</details>"
            )
        parts.append(code)
    if outcome.status == "display-only":
        parts.append(
            f'<p class="exec-note">Shown, not run: {escape(outcome.reason)}</p>'
        )
    elif result is None:
        parts.append('<p class="exec-note">This block did not run.</p>')
    else:
        if block.shows("output"):
            if result.get("stdout"):
                kind = "pytest" if block.mode == "pytest" else "stdout"
                label = "pytest report" if block.mode == "pytest" else "Output"
                parts.append(text_html(label, result["stdout"], kind))
            if result.get("stderr"):
                parts.append(text_html("Standard error", result["stderr"], "stderr"))
            if result.get("exception"):
                label = "Raised" if block.options.get("raises") else "Failed with"
                parts.append(
                    text_html(label, result["exception"]["traceback"], "exception")
                )
        caption = block.options.get("caption", "")
        pictures = result.get("animations", []) + result.get("figures", [])
        for number, item in enumerate(pictures, start=1):
            alt = (
                caption
                if len(pictures) == 1
                else f"{caption} ({number} of {len(pictures)})"
            )
            parts.append(picture_html(item, picture_url(item), alt, alt))
        checked = verdicts(outcome)
        if checked:
            text = "; ".join(checked)
            parts.append(
                f'<p class="exec-verdict">{CHECK} Checked at build time: {text}.</p>'
            )
    parts.append("</div>")
    return "\n".join(parts)
