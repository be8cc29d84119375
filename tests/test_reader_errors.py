"""Unit tests of the plugin's reader_errors: finding the line that broke a read."""

from pathlib import Path

import pytest
from pelican.readers import MarkdownReader
from pelican.settings import DEFAULT_CONFIG

from helpers import quickstart_build
from pelican.plugins.executable_posts.reader_errors import (
    SourceError,
    failing_line,
    strict,
)


@pytest.fixture
def reader():
    return strict(MarkdownReader)(dict(DEFAULT_CONFIG))


def write(tmp_path: Path, data: bytes) -> str:
    path = tmp_path / "post.md"
    path.write_bytes(data)
    return str(path)


def test_source_error_reads_as_path_line_message():
    assert str(SourceError("content/posts/a.md", 4, "bad")) == (
        "content/posts/a.md:4: bad"
    )
    assert str(SourceError("content/posts/a.md", None, "bad")) == (
        "content/posts/a.md: bad"
    )


def test_bad_metadata_value_is_found_on_its_line(tmp_path, reader):
    path = write(tmp_path, b"Title: T\nTags: a, b\nDate: not a date\n\nBody\n")
    with pytest.raises(ValueError) as raised:
        MarkdownReader(reader.settings).read(path)
    assert failing_line(reader, path, raised.value) == 3


def test_undecodable_byte_is_found_on_its_line(tmp_path, reader):
    path = write(tmp_path, b"Title: T\n\nfirst\nsecond \xe9\n")
    with pytest.raises(UnicodeDecodeError) as raised:
        MarkdownReader(reader.settings).read(path)
    assert failing_line(reader, path, raised.value) == 4


def test_strict_reader_raises_source_error_naming_the_line(tmp_path, reader):
    path = write(tmp_path, b"Title: T\nDate: 2009-13-45\n\nBody\n")
    with pytest.raises(SourceError) as raised:
        reader.read(path)
    assert raised.value.line == 2
    assert raised.value.path.endswith("post.md")
    assert "is not a valid date" in raised.value.message


def test_strict_reader_reads_good_files_unchanged(tmp_path, reader):
    path = write(tmp_path, b"Title: Fine\nDate: 2009-07-18\n\nSome *text*.\n")
    content, metadata = reader.read(path)
    assert content == "<p>Some <em>text</em>.</p>"
    assert metadata["title"] == "Fine"


def test_strict_wraps_a_reader_class_once():
    once = strict(MarkdownReader)
    assert strict(once) is once
    assert once.__name__ == "MarkdownReader"


WRONG_CLAIM = (
    'Title: First\nDate: 2009-07-18\n\n```python exec="on"\nprint([1, 2])\n```\n\n'
    "```output\n[1, 2, 3]\n```\n"
)


def test_fatal_errors_stop_at_the_first_error_not_blamed_on_the_post(tmp_path):
    """Under ``--fatal errors`` Pelican's logger raises on the first error
    logged; read from the cache, a wrong claim is logged as its post is
    read, and the reader relabelled that exception as the post's own:
    "ERROR content/first.md: RuntimeError: Warning or error encountered"."""
    files = {"content/first.md": WRONG_CLAIM}
    env = {"COLUMNS": "1000"}
    first = quickstart_build(tmp_path, files, env=env)  # (caches the block)
    assert first.returncode != 0
    result = quickstart_build(tmp_path, files, "--fatal", "errors", env=env)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert log.count("the output differs from what the post claims") == 1, log
    assert "first.md: RuntimeError" not in log
    assert "first.md: Warning or error encountered" not in log


def test_a_runtime_error_of_the_readers_own_is_still_the_files(tmp_path):
    """Only the exception raised in Pelican's logger passes unexplained,
    whatever its words."""

    class Failing(MarkdownReader):
        def read(self, source_path):
            raise RuntimeError("Warning or error encountered")

    path = write(tmp_path, b"Title: T\n\nBody\n")
    with pytest.raises(SourceError) as raised:
        strict(Failing)(dict(DEFAULT_CONFIG)).read(path)
    assert raised.value.message == "RuntimeError: Warning or error encountered"
