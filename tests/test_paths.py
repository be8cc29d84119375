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


def test_the_same_path_is_shown_from_whichever_directory_the_process_is_in(
    tmp_path, monkeypatch
):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    assert shown("post.md") == "post.md"
    assert shown(tmp_path / "b" / "post.md") == str(tmp_path / "b" / "post.md")
    monkeypatch.chdir(tmp_path / "b")
    assert shown(tmp_path / "b" / "post.md") == "post.md"
    assert shown("post.md") == "post.md"
    assert shown("../a/post.md") == str(tmp_path / "a" / "post.md")
