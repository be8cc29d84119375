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
import re
import sys

from rich.logging import RichHandler

FORMAT = "%(levelname)-8s %(message)s"
# C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def escaped(text: str) -> str:
    return CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


class Printable(logging.Filter):
    """Every record's message with its control characters as escapes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if CONTROL.search(message):
            record.msg, record.args = escaped(message), None
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
