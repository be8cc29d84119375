"""Report a content file that cannot be read as ``path:line: what is wrong``.

Pelican logs "Could not process <file>" without the reason. Wrapping every
reader class logs an error that names the file, the line and the cause;
but for the exception Pelican's logger raises under ``--fatal``, which
stops the build at an error already shown.
"""

import logging
import re

from executable_blocks.paths import shown

logger = logging.getLogger(__name__)

METADATA_LINE = re.compile(r"^(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")


class SourceError(Exception):
    """A content file that cannot be turned into a page."""

    def __init__(self, path: str, line: int | None, message: str):
        self.path, self.line, self.message = path, line, message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")


def failing_line(reader, path: str, error: Exception) -> int | None:
    """The 1-based line of ``path`` that caused ``error``, when it can be found."""
    if isinstance(error, UnicodeDecodeError):
        with open(path, "rb") as source:
            return source.read()[: error.start].count(b"\n") + 1
    with open(path, encoding="utf-8-sig", errors="replace") as source:
        for number, text in enumerate(source, start=1):
            match = METADATA_LINE.match(text.rstrip("\n"))
            if not match:
                return None  # past the metadata header
            try:
                reader.process_metadata(match["key"].lower(), match["value"])
            except Exception:
                return number
    return None


def describe(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return f"not valid UTF-8 ({error.reason} at byte {error.start})"
    if isinstance(error, ValueError) and str(error):
        return str(error)
    return f"{type(error).__name__}: {error}".rstrip(": ")


def raised_by_pelicans_log(error: Exception) -> bool:
    """Whether ``error`` is the one Pelican's logger raises under ``--fatal``
    once a warning or error is logged (a RuntimeError from ``pelican.log``,
    whose words differ between Pelican versions): the build stops at that
    record, already shown; it is no error of the file read."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return (
        type(error) is RuntimeError
        and trace is not None
        and trace.tb_frame.f_globals.get("__name__") == "pelican.log"
    )


def strict(reader_class: type) -> type:
    """A subclass of ``reader_class`` whose failures name their file and line."""
    if getattr(reader_class, "explains_errors", False):
        return reader_class

    class StrictReader(reader_class):
        explains_errors = True

        def read(self, source_path):
            try:
                return super().read(source_path)
            except Exception as error:
                if raised_by_pelicans_log(error):
                    raise  # (it read "first.md: RuntimeError: Warning or
                    # error encountered", after the error that stopped it)
                problem = SourceError(
                    shown(source_path),
                    failing_line(self, source_path, error),
                    describe(error),
                )
                logger.error("%s", problem)
                raise problem from error

    StrictReader.__name__ = StrictReader.__qualname__ = reader_class.__name__
    return StrictReader
