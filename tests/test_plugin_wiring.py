"""The plugin's wiring into Pelican: nothing depends on the order of
PLUGINS or of blinker's receivers."""

from types import SimpleNamespace

import pytest
from pelican.readers import MarkdownReader, RstReader

from pelican.plugins.executable_posts import wiring


def test_markdown_readers_run_code_inside_strict_error_reporting():
    readers = SimpleNamespace(
        reader_classes={"md": MarkdownReader, "rst": RstReader, "off": None}
    )
    wiring.wrap_readers(readers)
    markdown = readers.reader_classes["md"]
    assert markdown.explains_errors  # strict, outermost
    executable = markdown.__mro__[1]
    assert executable.read is not MarkdownReader.read  # runs the blocks
    assert executable.__mro__[1] is MarkdownReader
    assert readers.reader_classes["rst"].__mro__[1] is RstReader  # strict only
    assert readers.reader_classes["off"] is None


def test_wrapping_twice_keeps_one_strict_layer():
    readers = SimpleNamespace(reader_classes={"rst": RstReader})
    wiring.wrap_readers(readers)
    once = readers.reader_classes["rst"]
    wiring.wrap_readers(readers)
    assert readers.reader_classes["rst"] is once


def test_the_running_pelican_is_one_the_plugin_was_tested_with():
    wiring.check_pelican()  # raises SystemExit on a Pelican it cannot use


def test_a_pelican_that_makes_a_posts_html_otherwise_is_refused_at_start(monkeypatch):
    monkeypatch.setattr(wiring.inspect, "getsource", lambda module: "_get_content()")
    with pytest.raises(SystemExit, match="_get_content and _update_content"):
        wiring.check_pelican()
