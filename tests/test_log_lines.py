"""pelican.plugins.executable_posts.log_lines: log records reach a terminal
or a CI log whole, and with no control character left to act on."""

import io
import logging

from rich.logging import RichHandler

from executable_blocks.render import visible
from pelican.plugins.executable_posts.log_lines import Printable, readable_records


def test_control_characters_are_written_as_escapes_and_text_is_kept():
    text = "erase\x1b[1A\x1b[2K, return\r, bell\x07, DEL\x7f, CSI\x9b, bidi\u202e."
    assert visible(text) == (
        "erase\\x1b[1A\\x1b[2K, return\\r, bell\\x07, DEL\\x7f, CSI\\x9b, bidi\\u202e."
    )
    kept = "tab\tnewline\nUnicode: é, 漢, 🙂, and ∑"
    assert visible(kept) == kept


def record(message: str, *args) -> logging.LogRecord:
    return logging.LogRecord("x", logging.ERROR, __file__, 1, message, args, None)


def test_the_filter_escapes_the_formatted_message_and_passes_every_record():
    entry = record("%s: %s", "post.md:8", "boom\x1b[2K")
    assert Printable().filter(entry) is True
    assert entry.getMessage() == "post.md:8: boom\\x1b[2K"
    clean = record("%s", "fine")
    assert Printable().filter(clean) and clean.args == ("fine",)


def test_off_a_terminal_records_are_one_plain_line_each_and_printable():
    root, saved = logging.getLogger(), logging.getLogger().handlers[:]
    stream = io.StringIO()
    try:
        root.handlers = [RichHandler()]
        readable_records(stream)
        (handler,) = root.handlers
        assert type(handler) is logging.StreamHandler
        root.error("%s: %s", "post.md:8", "boom\x1b[1A\x1b[2K" + "x" * 300)
    finally:
        root.handlers = saved
    assert stream.getvalue() == f"ERROR    post.md:8: boom\\x1b[1A\\x1b[2K{'x' * 300}\n"


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_rich_stays_and_gets_the_filter_once():
    root, saved = logging.getLogger(), logging.getLogger().handlers[:]
    try:
        root.handlers = [RichHandler()]
        readable_records(Terminal())
        readable_records(Terminal())
        (handler,) = root.handlers
        assert isinstance(handler, RichHandler)
        assert sum(isinstance(f, Printable) for f in handler.filters) == 1
    finally:
        root.handlers = saved
