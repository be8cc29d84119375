"""Log records as the reader of a terminal or a CI log should see them.

One record, one line, when the build's output is not a terminal: Pelican
logs through rich, which lays records out in columns and wraps them at the
console's width, so in a CI log or a pipe a ``path:line: message`` is split
across lines with the logger's source file in between. Off a terminal,
records are written whole instead, as ``LEVEL    message``.

And no control characters, on a terminal or off it: what a block printed
and the messages of its exceptions reach the log, and an escape sequence
there could rewrite what the log shows (move up and erase the error line
above it, or print over it after a carriage return). They are written as
escapes (``\\x1b``), as are the bidirectional overrides, which can make a
line read other than it is.
"""

import logging
import sys

from rich.logging import RichHandler

from executable_blocks.render import CONTROLS, visible

FORMAT = "%(levelname)-8s %(message)s"


class Printable(logging.Filter):
    """Every record's message with its control characters as escapes, as a
    block's output shows them on its page (``render.visible``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if CONTROLS.search(message):
            record.msg, record.args = visible(message), None
        return True


def readable_records(stream=None) -> None:
    """Records whole and printable off a terminal, printable on one."""
    stream = stream or sys.stderr
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RichHandler) and not stream.isatty():
            plain = logging.StreamHandler(stream)
            plain.setFormatter(logging.Formatter(FORMAT))
            plain.setLevel(handler.level)
            root.removeHandler(handler)
            root.addHandler(plain)
            handler = plain
        if not any(isinstance(f, Printable) for f in handler.filters):
            handler.addFilter(Printable())
