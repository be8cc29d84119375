"""A post cannot have Pelican copy a file from outside the content directory,
write outside the output folder, or write over another post's page."""

import pytest

from helpers import HEADER, build_site, quickstart_build, write_site

SECRET = "the builder's secret, which must not be published"


def built(tmp_path, posts: dict[str, str], metadata: dict[str, str] = ()):
    """A small site of ``posts`` built, some of them with more ``metadata``
    (name -> header lines): its result, its log and its output folder."""
    content = write_site(tmp_path, posts)
    for name, lines in dict(metadata).items():
        with_metadata(content, name, lines)
    output = tmp_path / "site" / "output"
    result = build_site(content, output)
    return result, result.stdout + result.stderr, output


def published(output) -> str:
    """Every file the build wrote, read as text."""
    if not output.exists():
        return ""
    return "".join(
        path.read_text(errors="replace") for path in output.rglob("*") if path.is_file()
    )


def test_an_attach_link_out_of_the_content_directory_fails_and_copies_nothing(
    tmp_path,
):
    """``{attach}../..`` had Pelican copy any file the builder can read into
    the site (the cache's signing key, ``/etc/hostname``), exit 0."""
    (tmp_path / "secret.txt").write_text(SECRET)
    body = "Text.\n\n[notes]({attach}../../secret.txt)\n"
    result, log, output = built(tmp_path, {"notes": body})
    assert result.returncode != 0
    assert "posts/notes.md:8: a {static} or {attach} link to" in log
    assert "leads out of the content directory" in log
    assert SECRET not in published(output)
    assert "Traceback" not in log


def test_a_static_link_from_the_site_root_out_of_it_fails(tmp_path):
    (tmp_path / "secret.txt").write_text(SECRET)
    body = "Text.\n\n![a pixel]({static}/../secret.txt)\n"
    result, log, output = built(tmp_path, {"pixel": body})
    assert result.returncode != 0
    assert "posts/pixel.md:8: a {static} or {attach} link" in log
    assert SECRET not in published(output)


def test_an_attached_file_inside_the_content_directory_is_published(tmp_path):
    content = write_site(tmp_path, {"data": "Text.\n\n[data]({attach}data.csv)\n"})
    (content / "posts" / "data.csv").write_text("a,b\n1,2\n")
    output = tmp_path / "site" / "output"
    result = build_site(content, output)
    assert result.returncode == 0, result.stdout + result.stderr
    (copied,) = output.rglob("data.csv")
    assert copied.read_text() == "a,b\n1,2\n"


def test_a_page_written_outside_the_output_folder_fails_before_it_is(tmp_path):
    """Pelican compares the start of the path's text: ``output`` let a post
    write ``output-old/...``, beside it."""
    result, log, _ = built(
        tmp_path, {"away": "Text.\n"}, {"away": "Save_as: ../output-old/x.html"}
    )
    assert result.returncode != 0
    assert "posts/away.md:5: its page would be written to '../output-old/x.html'" in log
    assert not (tmp_path / "site" / "output-old").exists()
    assert "Traceback" not in log


def test_a_second_post_of_the_same_slug_does_not_replace_the_first(tmp_path):
    """Pelican warned of two items with one slug, wrote the later post over
    the earlier one's page, and exited 0."""
    content = write_site(tmp_path, {"original": "The real post.\n"})
    impostor = HEADER.format(title="Original") + "The impostor.\n"
    (content / "posts" / "impostor.md").write_text(impostor)
    output = tmp_path / "site" / "output"
    result = build_site(content, output)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "its page would be written to '2009/07/original/index.html'" in log
    assert "posts/original.md" in log and "posts/impostor.md" in log
    assert "The impostor." not in published(output)


def with_metadata(content, name: str, lines: str) -> None:
    post = content / "posts" / f"{name}.md"
    post.write_text(post.read_text().replace("\n\n", f"\n{lines}\n\n", 1))


@pytest.mark.parametrize(
    "save_as",
    [
        "index.html",
        "404.html",
        "feeds/all.atom.xml",
        "tag/t/index.html",
        "page/2/index.html",
        "tag/t/page/3/index.html",
    ],
)
def test_an_explicit_save_as_replaces_a_page_of_the_site_as_in_pelican(
    tmp_path, save_as
):
    """Pelican writes a post's own ``Save_as`` over the templates' page
    there on purpose (its writer's ``override_output``): it was an error,
    "over the index page" (or 404, a feed, a tag's page), exit 1."""
    result, log, output = built(
        tmp_path,
        {"visible": "A post.\n", "takeover": "Mine.\n"},
        {"takeover": f"Status: hidden\nSave_as: {save_as}"},
    )
    assert result.returncode == 0, log
    assert "Mine." in (output / save_as).read_text()


def test_pelicans_static_page_as_home_page_builds(tmp_path):
    """Pelican's documented recipe, in a quickstart site: a page with
    ``Save_as: index.html`` and an empty ``URL`` is the home page."""
    result = quickstart_build(
        tmp_path,
        {
            "content/pages/home.md": (
                "Title: Home\nSave_as: index.html\nURL:\n\nWelcome home.\n"
            ),
            "content/first.md": "Title: First\nDate: 2009-07-18\n\nA post.\n",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Welcome home." in (tmp_path / "output" / "index.html").read_text()


def test_two_save_as_of_one_page_of_the_site_fail_naming_both(tmp_path):
    """Pelican lets one explicit ``Save_as`` win, and stops on a second
    with a traceback naming no post."""
    result, log, _ = built(
        tmp_path,
        {"home": "Mine.\n", "rival": "Theirs.\n"},
        {"home": "Save_as: index.html", "rival": "Save_as: index.html"},
    )
    assert result.returncode != 0
    assert "its page would be written to 'index.html', over the page of" in log
    assert "posts/home.md" in log and "posts/rival.md" in log
    assert "Traceback" not in log


def test_a_save_as_over_a_template_page_fails(tmp_path):
    """``TEMPLATE_PAGES`` are written with ``override_output`` too: Pelican
    stops on the second write with a traceback."""
    result = quickstart_build(
        tmp_path,
        {
            "content/extra.html": "An extra page.\n",
            "content/first.md": (
                "Title: First\nDate: 2009-07-18\nSave_as: extra.html\n\nA post.\n"
            ),
        },
        settings='TEMPLATE_PAGES = {"extra.html": "extra.html"}\n',
    )
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "content/first.md:3: its page would be written to 'extra.html'" in log
    assert "over a page of TEMPLATE_PAGES" in log
    assert "Traceback" not in log


def test_a_slug_that_happens_to_be_index_fails(tmp_path):
    """A post titled "Index" where ``ARTICLE_SAVE_AS`` is ``{slug}.html``
    is no override: Pelican stops on it with a traceback."""
    result = quickstart_build(
        tmp_path,
        {"content/index.md": "Title: Index\nDate: 2009-07-18\n\nA post.\n"},
        settings='ARTICLE_SAVE_AS = "{slug}.html"\n',
    )
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "content/index.md" in log
    assert "its page would be written to 'index.html', over the index page" in log


def test_a_slug_that_climbs_onto_a_page_of_the_site_fails_naming_the_post(tmp_path):
    """``Slug: ../../search`` put the post's page where the search page goes:
    a traceback (Pelican refused to write one file twice), no post named."""
    result, log, _ = built(
        tmp_path,
        {"visible": "A post.\n", "climber": "Mine.\n"},
        {"climber": "Slug: ../../search"},
    )
    assert result.returncode != 0
    assert "posts/climber.md:5: its page would be written to" in log
    assert "over the search page" in log
    assert "Traceback" not in log


def test_a_slug_too_long_for_a_file_name_fails_naming_the_post(tmp_path):
    result, log, _ = built(
        tmp_path, {"long": "A post.\n"}, {"long": "Slug: " + "a" * 300}
    )
    assert result.returncode != 0
    assert "posts/long.md:5: its page would be written to a file or folder" in log
    assert "Traceback" not in log


@pytest.mark.parametrize("lang", ['en" onload="x', "en-" + "a" * 40, "e n"])
def test_a_lang_that_is_not_a_language_tag_fails_naming_the_post(tmp_path, lang):
    """``Lang`` goes into file names and the page's ``lang``; one of 40
    letters stopped Pagefind (exit 101) with no post named."""
    result, log, _ = built(
        tmp_path, {"tongue": "A post.\n"}, {"tongue": f"Lang: {lang}"}
    )
    assert result.returncode != 0
    assert "posts/tongue.md:5: Lang" in log and "is not a language tag" in log


@pytest.mark.parametrize("lang", ["zh_CN", "pt-BR", "sr-Latn-RS"])
def test_a_language_written_as_a_locale_or_a_tag_builds(tmp_path, lang):
    """(``DEFAULT_LANG = "zh_CN"``, as Pelican and its i18n plugins take it,
    failed every post of the site, none of which said ``Lang``.)"""
    content = write_site(tmp_path, {"first": "A post.\n"})
    output = tmp_path / "site" / "output"
    result = build_site(content, output, None, "--", "-e", f'DEFAULT_LANG="{lang}"')
    assert result.returncode == 0, result.stdout + result.stderr
    page = (output / "2009" / "07" / "first" / "index.html").read_text()
    # (BCP 47's way; Pelican writes the post's language in lower case)
    assert f'<html lang="{lang.replace("_", "-").lower()}">' in page


def test_a_first_paragraph_pelican_cannot_summarise_fails_naming_the_post(tmp_path):
    """Pelican's summary truncator (Python's HTMLParser) raised on ``<![<![``
    in a first paragraph: a traceback as the pages were written."""
    result, log, _ = built(tmp_path, {"marked": "<p>A <![<![ section.</p>\n\nMore.\n"})
    assert result.returncode != 0
    assert "posts/marked.md: its summary cannot be made" in log
    assert "Traceback" not in log


def test_a_url_python_cannot_read_fails_naming_the_post(tmp_path):
    result, log, _ = built(
        tmp_path, {"bracket": "A post.\n"}, {"bracket": "URL: http://[oops/"}
    )
    assert result.returncode != 0
    assert "posts/bracket.md:5: its URL 'http://[oops/' is not a valid URL" in log
    assert "Traceback" not in log


def test_a_template_the_theme_does_not_have_fails_naming_the_post(tmp_path):
    """Pelican stopped on it with a traceback naming no post, once it had
    written pages: now an error at the post's ``Template:`` line, before
    anything is written."""
    result, log, output = built(
        tmp_path, {"odd": "A post.\n", "fine": "B.\n"}, {"odd": "Template: nothere"}
    )
    assert result.returncode != 0
    assert "posts/odd.md:5: Template: 'nothere' is not a template of the theme" in log
    assert "nothere.html in " in log and "Traceback" not in log
    assert not output.exists()
