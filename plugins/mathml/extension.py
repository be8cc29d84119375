"""Display math in Markdown, rendered as MathML when the site is built.

A paragraph of its own between ``$$`` lines is LaTeX; it becomes a
``<math display="block">`` element (via latex2mathml), which browsers draw
natively: no JavaScript, nothing from another host.

Posts may come from strangers, so what reaches the page is made here, not
taken from latex2mathml as text: its element tree is checked (MathML
presentation elements only, an allowlist of attributes: no ``href`` from
``\\href``, no ``style`` or ``class`` from ``\\style`` or ``\\class``) and
serialized with every text escaped, so ``\\text{<b>}`` shows ``<b>``. TeX
that cannot be converted, or is refused, is logged as an error at the
post's file and line, which fails the build.
"""

import logging
import re
from html import escape
from xml.etree.ElementTree import Element, tostring

from latex2mathml.converter import convert_to_element
from markdown import Extension
from markdown.blockprocessors import BlockProcessor
from markdown.preprocessors import Preprocessor

logger = logging.getLogger(__name__)
DISPLAY = re.compile(r"^\$\$\s*(?P<tex>.+?)\s*\$\$\s*$", re.DOTALL)
NAMESPACE = "http://www.w3.org/1998/Math/MathML"
# MathML's presentation elements, less those that can hold or fetch other
# content (annotation-xml, mglyph) or act on clicks (maction).
ELEMENTS = frozenset(
    (
        "math", "mi", "mn", "mo", "ms", "mspace", "mtext", "mrow", "mfrac", "msqrt",
        "mroot", "mstyle", "merror", "mpadded", "mphantom", "mfenced", "menclose",
        "msub", "msup", "msubsup", "munder", "mover", "munderover", "mmultiscripts",
        "mprescripts", "none", "mtable", "mtr", "mlabeledtr", "mtd", "maligngroup",
        "malignmark",
    )
)  # fmt: skip
# Presentation attributes: sizes, spacing, fonts, colours, table layout.
ATTRIBUTES = frozenset(
    (
        "display", "mathvariant", "mathsize", "mathcolor", "mathbackground",
        "displaystyle", "scriptlevel", "stretchy", "fence", "separator", "separators",
        "form", "largeop", "movablelimits", "accent", "accentunder", "lspace", "rspace",
        "minsize", "maxsize", "symmetric", "width", "height", "depth", "voffset",
        "linethickness", "linebreak", "notation", "numalign", "denomalign", "bevelled",
        "open", "close", "columnalign", "rowalign", "columnlines", "rowlines",
        "columnspacing", "rowspacing", "frame", "framespacing", "equalrows",
        "equalcolumns", "rowspan", "columnspan",
    )
)  # fmt: skip
# What latex2mathml writes for a symbol: a character reference, as text.
REFERENCE = re.compile(r"&amp;#x([0-9A-Fa-f]{1,6});")
# Characters XML (so the feeds) cannot hold.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
SHOWN = 200  # characters of TeX an error message shows


class RefusedMath(ValueError):
    """latex2mathml made something this plugin will not put on a page."""


def refuse_characters(text: str) -> None:
    """Refuse ``text`` if it holds a character an XML feed cannot."""
    if found := NOT_XML.search(text):
        raise RefusedMath(f"U+{ord(found[0]):04X} is not a character XML allows")


def check(math: Element) -> None:
    """Refuse ``math`` unless it is MathML presentation markup only."""
    for element in math.iter():
        if not isinstance(element.tag, str) or element.tag not in ELEMENTS:
            raise RefusedMath(f"<{element.tag}> is not a MathML presentation element")
        if element.tag == "math" and element is not math:
            raise RefusedMath("<math> inside <math>")
        for name, value in element.attrib.items():
            namespace = name == "xmlns" and element is math and value == NAMESPACE
            if name not in ATTRIBUTES and not namespace:
                raise RefusedMath(
                    f"attribute {name!r} is not allowed (on <{element.tag}>)"
                )
        for text in (element.text, element.tail, *element.attrib.values()):
            refuse_characters(text or "")


def character(match: re.Match) -> str:
    """latex2mathml's ``&#x…;`` symbol, kept as a reference if XML allows it."""
    code = int(match[1], 16)
    if code <= 0x10FFFF and not NOT_XML.match(chr(code)):
        return f"&#x{match[1]};"
    return match[0]


def mathml(tex: str) -> str:
    """``tex`` as a MathML block, with the LaTeX as its text alternative.

    Serialized from latex2mathml's tree, not its string, which unescapes
    the text (``\\text{<svg onload=…>}`` became an element); only the
    symbols it writes as ``&#x…;`` are turned back into references.
    """
    refuse_characters(tex)
    math = convert_to_element(tex, display="block")
    check(math)
    math.attrib = {"alttext": tex, **math.attrib}  # first, as it always was
    return REFERENCE.sub(character, tostring(math, encoding="unicode"))


def shortened(tex: str) -> str:
    """``tex`` on one line, cut to ``SHOWN`` characters, for a message."""
    line = " ".join(tex.split())
    if len(line) <= SHOWN:
        return line
    return f"{line[:SHOWN]}… ({len(line) - SHOWN:,} more characters)"


def comparable(line: str) -> str:
    """A line without the indentation and ``>`` a list or quote adds."""
    return line.lstrip(" \t>").rstrip()


FENCE = re.compile(r"(`{3,}|~{3,})")


def outside_fences(lines: list[str]) -> list[str | None]:
    """Each line made comparable, those of fenced code blocks None: a post
    showing a block of math as code, before the math itself, had the math's
    error named at the code's line."""
    kept, fence = [], None
    for line in lines:
        text = comparable(line)
        if fence is None:
            opening = FENCE.match(text)
            info = text[opening.end() :] if opening else ""
            if opening and not (opening[1][0] == "`" and "`" in info):
                fence = opening[1]  # (```x``` starting a paragraph is no fence)
            kept.append(None if fence else text)
        else:
            if text == fence:  # its closing line: the same fence, as Markdown's
                fence = None
            kept.append(None)
    return kept


class SourceLines(Preprocessor):
    """Keeps the document's lines as the file has them (after whitespace
    normalization, before meta takes the header away) so that a block can
    be found at its line: blocks themselves do not know it."""

    def __init__(self, md):
        super().__init__(md)
        self.lines: list[str | None] = []
        self.searched = 0

    def run(self, lines: list[str]) -> list[str]:
        self.lines, self.searched = outside_fences(lines), 0
        return lines

    def line_of(self, block: str) -> int | None:
        """The 1-based line where ``block`` starts, after the last found."""
        wanted = [comparable(line) for line in block.split("\n")]
        for start in range(self.searched, len(self.lines) - len(wanted) + 1):
            if self.lines[start : start + len(wanted)] == wanted:
                self.searched = start + len(wanted)
                return start + 1
        return None


class DisplayMathProcessor(BlockProcessor):
    def __init__(self, parser, extension, source):
        super().__init__(parser)
        self.extension, self.source = extension, source

    def test(self, parent, block):
        return bool(DISPLAY.match(block))

    def run(self, parent, blocks):
        block = blocks.pop(0)
        tex = DISPLAY.match(block)["tex"]
        try:
            html = mathml(tex)
        except Exception as error:  # noqa: BLE001 - latex2mathml's own errors
            self.report(block, tex, error)
            html = f'<pre class="math-error">{escape(tex)}</pre>'
        placeholder = self.parser.md.htmlStash.store(html)
        paragraph = parent.makeelement("p", {})
        paragraph.text = placeholder
        parent.append(paragraph)

    def report(self, block: str, tex: str, error: Exception) -> None:
        path = self.extension.getConfig("source_path")
        line = self.source.line_of(block)
        where = f"{path}:{line}" if line else path
        reason = str(error) or type(error).__name__
        logger.error(
            "%s: cannot render the math $$ %s $$: %s", where, shortened(tex), reason
        )


class MathExtension(Extension):
    def __init__(self, **kwargs):
        self.config = {
            "source_path": ["<document>", "path of the document, as messages show it"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # Between whitespace normalization (30) and the executable blocks
        # (29), which replace lines: the lines are still the file's.
        source = SourceLines(md)
        md.preprocessors.register(source, "math_source_lines", 29.5)
        processor = DisplayMathProcessor(md.parser, self, source)
        md.parser.blockprocessors.register(processor, "math", 95)
