"""Display math in Markdown, rendered as MathML when the site is built.

A paragraph of its own between ``$$`` lines is LaTeX; it becomes a
``<math display="block">`` element (via latex2mathml), which browsers draw
natively: no JavaScript, nothing from another host.
"""

import logging
import re
from html import escape

from latex2mathml.converter import convert
from markdown import Extension
from markdown.blockprocessors import BlockProcessor

logger = logging.getLogger(__name__)
DISPLAY = re.compile(r"^\$\$\s*(?P<tex>.+?)\s*\$\$\s*$", re.DOTALL)


def mathml(tex: str) -> str:
    """``tex`` as a MathML block, with the LaTeX as its text alternative."""
    element = convert(tex, display="block")
    return element.replace("<math ", f'<math alttext="{escape(tex)}" ', 1)


class DisplayMathProcessor(BlockProcessor):
    def test(self, parent, block):
        return bool(DISPLAY.match(block))

    def run(self, parent, blocks):
        tex = DISPLAY.match(blocks.pop(0))["tex"]
        try:
            html = mathml(tex)
        except Exception as error:  # noqa: BLE001 - latex2mathml's own errors
            logger.error("cannot render the math %r: %s", tex, error)
            html = f'<pre class="math-error">{escape(tex)}</pre>'
        placeholder = self.parser.md.htmlStash.store(html)
        paragraph = parent.makeelement("p", {})
        paragraph.text = placeholder
        parent.append(paragraph)


class MathExtension(Extension):
    def extendMarkdown(self, md):
        md.parser.blockprocessors.register(DisplayMathProcessor(md.parser), "math", 95)
