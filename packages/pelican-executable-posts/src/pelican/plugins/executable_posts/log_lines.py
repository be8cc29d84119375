"""One log record, one line, when the build's output is not a terminal.

Pelican logs through rich, which lays records out in columns and wraps them
at the console's width: in a CI log or a pipe, a ``path:line: message`` is
split across lines with the logger's source file in between. Off a
terminal, records are written whole instead, as ``LEVEL    message``.
"""

import logging
import sys

from rich.logging import RichHandler

FORMAT = "%(levelname)-8s %(message)s"


def plain_lines_off_terminal(stream=None) -> None:
    stream = stream or sys.stderr
    if stream.isatty():
        return
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RichHandler):
            plain = logging.StreamHandler(stream)
            plain.setFormatter(logging.Formatter(FORMAT))
            plain.setLevel(handler.level)
            root.removeHandler(handler)
            root.addHandler(plain)
