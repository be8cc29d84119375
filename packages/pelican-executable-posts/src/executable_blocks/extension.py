"""The Python-Markdown extension: replace each executable block, and the claim
that follows it, by the block's rendered source and results."""

import logging
from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor

from .blocks import find_blocks, source_lines
from .errors import BlockError
from .render import block_html

logger = logging.getLogger(__name__)


def log_error(error: BlockError) -> None:
    logger.error("%s", error)


def outcome_html(outcome, picture_url, report) -> str:
    """The HTML of one block's outcome, its problems given to ``report``; a
    pending outcome is its placeholder, which the engine fills in later."""
    if outcome.placeholder:
        return outcome.placeholder
    for error in outcome.errors:
        report(error)
    return block_html(outcome, picture_url)


class SourceLines(Preprocessor):
    """Keeps the document's lines as they come to normalize_whitespace, which
    runs next and expands their tabs, empties their lines of spaces: the
    code that runs, and is shown, is the post's."""

    def __init__(self, md):
        super().__init__(md)
        self.lines: list[str] | None = None

    def run(self, lines: list[str]) -> list[str]:
        self.lines = lines
        return lines

    def take(self, normalized: list[str]) -> list[str] | None:
        """The kept lines, one for each of ``normalized`` (what
        normalize_whitespace made of them); None if they are not those."""
        lines, self.lines = self.lines, None
        if lines is None or "normalize_whitespace" not in self.md.preprocessors:
            return None
        lines = source_lines("\n".join(lines))
        normalize = self.md.preprocessors["normalize_whitespace"]
        return lines if normalize.run(lines) == normalized else None


class ExecutablePreprocessor(Preprocessor):
    def __init__(self, md, extension, source: SourceLines):
        super().__init__(md)
        self.extension = extension
        self.source = source

    def run(self, lines: list[str]) -> list[str]:
        config = self.extension.getConfigs()
        path = config["source_path"]
        found = config["find"](
            lines,
            path,
            [Path(d) for d in config["code_dirs"]],
            source=self.source.take(lines),
        )
        blocks = [
            block
            for _, _, block in found
            if not isinstance(block, BlockError) and block.mode
        ]
        for _, _, problem in found:
            if isinstance(problem, BlockError):
                config["report"](problem)
        if config["require_exec"]:
            for _, _, block in found:
                if not isinstance(block, BlockError) and not block.mode:
                    config["report"](
                        BlockError(
                            path,
                            block.line,
                            'a python block must say exec="on", or exec="off" '
                            'with a reason="..." why it does not run '
                            "(EXEC_REQUIRE = False shows one that says "
                            "neither as plain code)",
                        )
                    )
        outcomes = config["run"](blocks) if blocks else []
        rendered = {}
        for outcome in outcomes:
            html = outcome_html(outcome, config["picture_url"], config["report"])
            # (a block that shows nothing leaves no line: a stashed "" would
            # be a paragraph of its own, ``<p></p>``)
            stored = self.md.htmlStash.store(html) if html else ""
            rendered[outcome.block.line] = stored
        output, index = [], 0
        for first, last, block in found:
            if isinstance(block, BlockError) or block.line not in rendered:
                continue
            output.extend(lines[index:first])
            output.extend(["", rendered[block.line], ""])
            index = last + 1
        output.extend(lines[index:])
        return output


class ExecutableCodeExtension(Extension):
    """Run fenced ``python`` blocks with options and show what they did.

    ``run`` maps the blocks of the document to their outcomes (the build's
    engine, or a stand-in in tests); ``report`` receives every problem. An
    outcome still pending renders as its placeholder.
    """

    def __init__(self, **kwargs):
        self.config = {
            "source_path": ["<document>", "path of the document, as messages show it"],
            "code_dirs": [["content/code"], "directories include= paths start from"],
            "run": [lambda blocks: [], "callable: blocks -> outcomes"],
            "picture_url": [lambda item: "", "callable: figure -> URL"],
            "report": [log_error, "callable receiving each BlockError"],
            "require_exec": [False, "every python block must say exec=on or off"],
            "find": [
                find_blocks,
                "callable: (lines, path, code_dirs, source=) -> blocks",
            ],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # After whitespace normalization (30), before meta (27) and fenced
        # code (25): lines still match the file's, header included; the
        # blocks' code is taken from the lines as they were before it (31).
        source = SourceLines(md)
        md.preprocessors.register(source, "executable_code_source", 31)
        md.preprocessors.register(
            ExecutablePreprocessor(md, self, source), "executable_code", 29
        )
