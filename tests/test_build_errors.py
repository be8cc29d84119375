"""A post that cannot be read stops the build: non-zero exit, file and line named."""

import pytest

from helpers import build_site, write_site

GOOD_HEADER = "Title: Broken\nDate: 2009-01-01\nTags: python\n\nBody.\n"


@pytest.fixture
def content(tmp_path):
    """A small site whose one post, with a block to run, is fine, so the
    broken post is the only problem."""
    block = '```python exec="on"\nprint("fine")\n```\n'
    return write_site(tmp_path, {"good": block})


def build_with(content, tmp_path, name: str, data: bytes):
    (content / "posts" / name).write_bytes(data)
    output = tmp_path / "output"
    result = build_site(content, output)
    return result, result.stdout + result.stderr, output


def test_invalid_date_fails_naming_file_and_line(content, tmp_path):
    data = b"Title: Broken\nCategory: Web\nDate: the day after tomorrow\n\nBody.\n"
    result, log, output = build_with(content, tmp_path, "broken-date.md", data)
    assert result.returncode != 0
    assert "posts/broken-date.md:3: 'the day after tomorrow' is not a valid date" in log
    assert "Build failed (errors above); nothing was written." in log
    assert not (output / "index.html").exists()


def test_file_that_is_not_utf8_fails_naming_file_and_line(content, tmp_path):
    data = GOOD_HEADER.encode() + b"caf\xe9 au lait\n"
    result, log, output = build_with(content, tmp_path, "latin1.md", data)
    assert result.returncode != 0
    assert "posts/latin1.md:6: not valid UTF-8" in log
    assert not (output / "index.html").exists()


def test_post_without_title_fails_naming_file(content, tmp_path):
    data = b"Date: 2009-01-01\n\nA post with no title.\n"
    result, log, output = build_with(content, tmp_path, "untitled.md", data)
    assert result.returncode != 0
    assert "untitled.md" in log and "title" in log
    assert not (output / "index.html").exists()


def test_every_broken_post_is_reported_in_one_build(content, tmp_path):
    (content / "posts" / "bad-date.md").write_bytes(b"Title: A\nDate: soon\n\nA.\n")
    result, log, _ = build_with(content, tmp_path, "bad-bytes.md", b"Title: B\n\xff\n")
    assert result.returncode != 0
    assert "posts/bad-date.md:2: 'soon' is not a valid date" in log
    assert "posts/bad-bytes.md:2: not valid UTF-8" in log


@pytest.mark.parametrize("task", ["build", "rebuild"])
def test_failed_build_leaves_the_previous_output_alone(content, tmp_path, task):
    """``rebuild`` (and ``publish``) empty the output folder, which Pelican
    did before reading a post: one that failed left no site at all."""
    output = tmp_path / "output"
    output.mkdir()
    (output / "index.html").write_text("the site as last published")
    (content / "posts" / "bad.md").write_bytes(b"Title: A\nDate: soon\n\nA.\n")
    result = build_site(content, output, task=task)
    assert result.returncode != 0
    assert "nothing was written" in result.stdout + result.stderr
    assert (output / "index.html").read_text() == "the site as last published"


def test_a_rebuild_still_removes_what_the_site_no_longer_has(content, tmp_path):
    output = tmp_path / "output"
    output.mkdir()
    (output / "gone.html").write_text("a page of a post since removed")
    result = build_site(content, output, task="rebuild")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (output / "gone.html").exists()
    assert (output / "index.html").is_file()


def test_valid_extra_post_builds(content, tmp_path):
    result, log, output = build_with(content, tmp_path, "fine.md", GOOD_HEADER.encode())
    assert result.returncode == 0, log
    assert (output / "2009" / "01" / "broken" / "index.html").is_file()


def test_a_block_nested_too_deeply_to_parse_fails_at_its_line(content, tmp_path):
    deep = "x" + ".a" * 100_000
    data = (GOOD_HEADER + f'\n```python exec="on"\n{deep}\n```\n').encode()
    result, log, output = build_with(content, tmp_path, "deep.md", data)
    assert result.returncode != 0
    assert "posts/deep.md:7: RecursionError" in log  # (its fence: no line ran)
    assert "Traceback" not in log.split("posts/deep.md:7")[0]


def test_a_quiet_build_still_fails_and_names_what_failed(content, tmp_path):
    """``pelican -q`` shows critical records only: a wrong claim was not
    said, its page was written and the build exited 0. It still fails it,
    saying where, and prints neither the sandbox's line nor the tables."""
    (content / "posts" / "claims.md").write_text(
        "Title: Claims\nDate: 2009-01-01\n\n"
        '```python exec="on"\nprint(1)\n```\n\n```output\n2\n```\n'
    )
    output = tmp_path / "output"
    result = build_site(content, output, None, "--", "-q")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "posts/claims.md:8: the output differs from what the post claims" in log
    assert not (output / "index.html").exists()
    assert "sandbox" not in log and "Slowest blocks" not in log


@pytest.mark.parametrize(
    "header, said",
    [
        ("Title: Later\nDate: the day after tomorrow\n", "Could not process"),
        (
            "Title: Up\nDate: 2009-01-01\n\n[x]({attach}../../../../etc/hostname)\n",
            "leads out of the content directory",
        ),
    ],
    ids=["unreadable-post", "path-out-of-the-content"],
)
def test_a_quiet_build_fails_on_pelicans_and_the_adapters_errors(
    content, tmp_path, header, said
):
    """(``-q`` set the level of Pelican's own logger too, below which
    Pelican logs a post it cannot read and the plugin its path errors: the
    build said nothing and exited 0, the post missing or the path copied.)"""
    (content / "posts" / "quiet.md").write_text(header)
    output = tmp_path / "output"
    result = build_site(content, output, None, "--", "-q")
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "quiet.md" in log and said in log
    assert not (output / "index.html").exists()
