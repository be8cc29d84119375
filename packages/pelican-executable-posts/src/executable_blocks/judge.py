"""Decide whether a block did what its post says it does.

Runs in the builder, on the worker's ``protocol.BlockResult``, so a claim
can be edited and re-checked without running the block again.
"""

import re

from . import claims
from .blocks import Block
from .errors import BlockError, TookTooLong
from .paths import shown
from .protocol import BlockResult, ExceptionInfo
from .time_limit import within


def raised_expected(block: Block, exception: ExceptionInfo) -> bool:
    expected = block.options["raises"]
    return any(expected in (name, name.rsplit(".", 1)[-1]) for name in exception.types)


def where_raised(block: Block, exception: ExceptionInfo) -> tuple[str, int]:
    """The file and line an exception points at: the post, or its include."""
    line = exception.line
    if block.source_file and line:
        return shown(block.source_file), line
    return block.path, line or block.line


def exception_error(block: Block, exception: ExceptionInfo) -> BlockError:
    path, line = where_raised(block, exception)
    message = f"{exception.type}: {exception.message}".rstrip(": ")
    if block.source_file:
        message += f" (in the file included by {block.where})"
    return BlockError(path, line, f"{message}\n{exception.traceback.rstrip()}")


def judge(block: Block, result: BlockResult) -> list[BlockError]:
    """Every way in which ``result`` contradicts the post (none: it is right)."""
    errors = []
    exception = result.exception
    expected = block.options.get("raises")
    if exception and not expected:
        errors.append(exception_error(block, exception))
    elif exception and not raised_expected(block, exception):
        error = exception_error(block, exception)
        errors.append(
            BlockError(
                error.path, error.line, f"expected {expected}, got {error.message}"
            )
        )
    elif exception and "match" in block.options:
        try:
            with within():
                found = re.search(block.options["match"], exception.message)
        except TookTooLong as error:
            pattern = block.options["match"]
            return [BlockError(block.path, block.line, f"match={pattern!r} {error}")]
        if not found:
            errors.append(
                BlockError(
                    block.path,
                    block.line,
                    f"raised {exception.type} as expected, but its message "
                    f"{exception.message!r} does not match "
                    f"{block.options['match']!r}",
                )
            )
    elif expected and not exception:
        errors.append(
            BlockError(
                block.path, block.line, f"expected {expected}; nothing was raised"
            )
        )
    if block.claim:
        claim = block.claim
        printed = result.stdout
        try:
            with within():
                same = claims.matches(
                    claim.text, printed, claim.ellipsis, claim.tolerance
                )
        except TookTooLong as error:
            return [BlockError(block.path, claim.line, f"the claim {error}")]
        if not same:
            where = f"{block.path}:{claim.line}"
            errors.append(
                BlockError(
                    block.path,
                    claim.line,
                    "the output differs from what the post claims:\n"
                    + claims.diff(claim.text, printed, where),
                )
            )
    elif block.mode == "pytest":
        for test in result.tests:
            if test.outcome in ("failed", "error"):
                what = f"test {test.id} {test.outcome}: {test.message}"
                errors.append(BlockError(block.path, test.line or block.line, what))
    pictures = len(result.figures) + len(result.animations)
    if pictures and not block.options.get("caption", "").strip():
        errors.append(
            BlockError(
                block.path,
                block.line,
                f'the block made {pictures} figure(s); give it a caption="..." '
                "(their alt text)",
            )
        )
    return errors
