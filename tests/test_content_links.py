"""Links in the content directory that lead out of the site."""

import os
from pathlib import Path

import pytest
from pelican.settings import DEFAULT_CONFIG

from pelican.plugins.executable_posts.content_links import linked, walked_out


def site(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A content folder with its code folder, and a folder outside both."""
    content, outside = tmp_path / "content", tmp_path / "home"
    (content / "posts").mkdir(parents=True)
    (content / "code").mkdir()
    outside.mkdir()
    (outside / "credentials").write_text("secret")
    return content, content / "code", outside


def leading_out(content: Path, roots: list[Path], skip=()) -> list[tuple[Path, str]]:
    """The links out of ``roots`` Pelican's walks of ``content`` reach, with
    its default settings (every folder of the content read for posts)."""
    return walked_out(content, settings(), roots, skip)


def test_a_post_linking_out_of_the_site_is_found(tmp_path):
    content, code, outside = site(tmp_path)
    link = content / "posts" / "notes.md"
    link.symlink_to(outside / "credentials")
    assert leading_out(content, [content, code]) == [
        (link, str(outside / "credentials"))
    ]


def test_links_within_the_content_or_code_are_fine(tmp_path):
    content, code, _ = site(tmp_path)
    (code / "helper.py").write_text("VALUE = 1\n")
    (content / "posts" / "helper.py").symlink_to(code / "helper.py")
    (content / "posts" / "same").symlink_to(content / "posts")
    assert leading_out(content, [content, code]) == []


def test_a_folder_linking_out_is_one_link_and_not_walked(tmp_path):
    content, code, outside = site(tmp_path)
    (content / "images").symlink_to(outside)  # (a static folder)
    (outside / "deep").mkdir()
    (outside / "deep" / "inner").symlink_to("/etc")
    assert leading_out(content, [content, code]) == [(content / "images", str(outside))]


def test_a_chain_of_links_is_judged_by_where_it_ends(tmp_path):
    content, code, outside = site(tmp_path)
    (content / "posts" / "hop.md").symlink_to(outside / "credentials")
    (content / "posts" / "notes.md").symlink_to(content / "posts" / "hop.md")
    found = [link.name for link, _ in leading_out(content, [content, code])]
    assert found == ["hop.md", "notes.md"]


def test_a_code_folder_elsewhere_counts_as_the_sites(tmp_path):
    content, _, outside = site(tmp_path)
    (content / "posts" / "shared.py").symlink_to(outside / "credentials")
    assert leading_out(content, [content, outside]) == []


def test_a_dangling_link_out_is_found(tmp_path):
    content, code, _ = site(tmp_path)
    (content / "posts" / "later.md").symlink_to("/nonexistent/place.md")
    ((link, target),) = leading_out(content, [content, code])
    assert link.name == "later.md" and target == os.path.realpath(
        "/nonexistent/place.md"
    )


def test_a_code_folder_that_is_a_link_is_found(tmp_path):
    content, code, outside = site(tmp_path)
    code.rmdir()
    code.symlink_to(outside)
    assert linked([content, code], tmp_path) == [(code, str(outside))]


def test_a_content_folder_that_links_to_the_site_itself_is_found(tmp_path):
    """As ``content -> .``: the whole checkout (its ``.git/config``, where
    CI keeps a token) would become readable content."""
    repository = tmp_path / "repository"
    repository.mkdir()
    (repository / "content").symlink_to(".")
    content = repository / "content"
    found = linked([content, content / "code"], repository)
    assert [folder for folder, _ in found] == [content, content / "code"]


def test_a_link_above_the_site_is_the_machines(tmp_path):
    """A home folder that is a link (``/home -> /var/home``) is no change
    to the site."""
    content, code, _ = site(tmp_path)
    (tmp_path.parent / f"{tmp_path.name}-home").symlink_to(tmp_path)
    through = tmp_path.parent / f"{tmp_path.name}-home"
    assert linked([through / "content", through / "content" / "code"], through) == []


def test_folders_without_links_are_fine(tmp_path):
    content, code, _ = site(tmp_path)
    assert linked([content, code], tmp_path) == []


def test_the_output_folder_is_not_looked_in(tmp_path):
    """Pelican writes it (with the content in the site's folder, it lies
    in the content)."""
    content, code, outside = site(tmp_path)
    (content / "output").mkdir()
    (content / "output" / "images").symlink_to(outside)
    (content / "posts" / "notes.md").symlink_to(outside / "credentials")
    found = leading_out(content, [content, code], skip=[content / "output"])
    assert [link for link, _ in found] == [content / "posts" / "notes.md"]


def settings(**changed) -> dict:
    """Pelican's settings (4.12's defaults), a site's ``changed`` ones."""
    return {**DEFAULT_CONFIG, **changed}


def link(content: Path, outside: Path, path: str) -> Path:
    """A link at ``path`` in ``content`` to a file outside, or to a folder
    outside for a ``path`` that ends in a slash."""
    made = content / path
    made.parent.mkdir(parents=True, exist_ok=True)
    made.symlink_to(outside if path.endswith("/") else outside / "credentials")
    return made


def walked(link: Path, content: Path, settings: dict) -> bool:
    """Whether Pelican's walks of ``content`` reach ``link``, leading out."""
    found = walked_out(content, settings, [content, content / "code"])
    return link in [path for path, _ in found]


@pytest.mark.parametrize(
    ("path", "changed"),
    [
        ("posts/notes.md", {}),
        ("posts/images/", {}),  # a folder: walked into
        ("images/photo.jpg", {}),  # STATIC_PATHS: any file
        ("blog/", {"ARTICLE_PATHS": ["blog/2009"]}),  # walked through
        (".venv/lib/notes.md", {"IGNORE_FILES": ["**/.*"]}),  # 4.11's: no name
        ("robots.txt", {"STATIC_PATHS": ["robots.txt"]}),
        ("extra.txt", {"ARTICLE_PATHS": [], "TEMPLATE_PAGES": {"extra.txt": "x"}}),
    ],
)
def test_links_pelican_walks_to(tmp_path, path, changed):
    content, _, outside = site(tmp_path)
    assert walked(link(content, outside, path), content, settings(**changed))


@pytest.mark.parametrize(
    ("path", "changed"),
    [
        (".venv/bin/python", {}),  # no reader's extension
        ("posts/notes.txt", {}),
        (".venv/lib/notes.md", {"IGNORE_FILES": [".*"]}),  # Pelican 4.10's
        ("drafts/notes.md", {"ARTICLE_PATHS": ["posts"]}),
        ("blog/", {"ARTICLE_PATHS": ["posts"], "PAGE_PATHS": []}),
        ("posts/.#notes.md", {"IGNORE_FILES": [".#*"]}),
    ],
)
def test_links_pelican_does_not_walk_to(tmp_path, path, changed):
    """Only a post naming one ({static}, {attach}) has Pelican read it."""
    content, _, outside = site(tmp_path)
    assert not walked(link(content, outside, path), content, settings(**changed))


def test_a_link_reached_through_another_of_the_content_is_walked(tmp_path):
    """Pelican follows linked folders: ``posts/more`` leading to the
    content's own ``stash`` has it read ``stash/notes.md``, a link out,
    as ``posts/more/notes.md`` (looked at by its own path, it was not
    walked, and strict let it through)."""
    content, code, outside = site(tmp_path)
    (content / "stash").mkdir()
    (content / "stash" / "notes.md").symlink_to(outside / "credentials")
    (content / "posts" / "more").symlink_to(content / "stash")
    found = walked_out(content, settings(), [content, code])
    assert found == [
        (content / "posts" / "more" / "notes.md", str(outside / "credentials"))
    ]


def test_a_cycle_of_links_ends(tmp_path):
    content, code, _ = site(tmp_path)
    (content / "posts" / "again").symlink_to(content / "posts")
    assert walked_out(content, settings(), [content, code]) == []
