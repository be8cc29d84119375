"""The Python-Markdown extension: replace each executable block, and the claim
that follows it, by the block's rendered source and results."""

import logging
from pathlib import Path

from markdown import Extension
from markdown.preprocessors import Preprocessor

from .blocks import find_blocks
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


class ExecutablePreprocessor(Preprocessor):
    def __init__(self, md, extension):
        super().__init__(md)
        self.extension = extension

    def run(self, lines: list[str]) -> list[str]:
        config = self.extension.getConfigs()
        path = config["source_path"]
        found = config["find"](lines, path, [Path(d) for d in config["code_dirs"]])
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
            "find": [find_blocks, "callable: (lines, path, code_dirs) -> blocks"],
        }
        super().__init__(**kwargs)

    def extendMarkdown(self, md):
        # After whitespace normalization (30), before meta (27) and fenced
        # code (25): lines still match the file's, header included.
        md.preprocessors.register(
            ExecutablePreprocessor(md, self), "executable_code", 29
        )
