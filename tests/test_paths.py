"""executable_blocks.paths: paths as messages show them."""

import os

from executable_blocks.paths import shown


def test_a_path_inside_the_working_directory_is_shown_relative(tmp_path, monkeypatch):
    (tmp_path / "content").mkdir()
    monkeypatch.chdir(tmp_path)
    assert shown(tmp_path / "content" / "post.md") == "content/post.md"
    assert shown("content/../content/post.md") == "content/post.md"


def test_a_path_outside_is_shown_absolute(tmp_path, monkeypatch):
    (tmp_path / "site").mkdir()
    monkeypatch.chdir(tmp_path / "site")
    assert shown(tmp_path / "elsewhere.md") == str(tmp_path / "elsewhere.md")
    assert shown("../elsewhere.md") == str(tmp_path / "elsewhere.md")


def test_a_path_through_a_link_to_the_working_directory_is_relative(
    tmp_path, monkeypatch
):
    (tmp_path / "site").mkdir()
    os.symlink(tmp_path / "site", tmp_path / "link")
    monkeypatch.chdir(tmp_path / "site")
    assert shown(tmp_path / "link" / "post.md") == "post.md"
