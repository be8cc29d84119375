"""Integration tests of executable posts: small sites built in temporary
directories with ``invoke build``, as an author would build them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import html

from helpers import (
    HEADER,
    PROBE,
    ROOT,
    build_site,
    build_with_plugin,
    page,
    report_of,
    write_site,
)


def build(tmp_path: Path, content: Path, name="output", *options, cache=None):
    output = tmp_path / name
    result = build_site(content, output, cache or tmp_path / "cache", *options)
    return result, result.stdout + result.stderr, output


def statuses(output: Path) -> dict[int, tuple[str, str]]:
    return {b["line"]: (b["status"], b["reason"]) for b in report_of(output)["blocks"]}


def test_wrong_claimed_output_fails_with_a_diff_and_the_line(tmp_path):
    content = write_site(
        tmp_path,
        {
            "claims": '```python exec="on"\nprint([1] * 2)\n```\n\n'
            "```output\n[1, 1, 1]\n```\n"
        },
    )
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/claims.md:10: the output differs from what the post claims:" in log
    assert "-[1, 1, 1]" in log and "+[1, 1]" in log
    assert "Build failed (errors above); nothing was written." in log
    assert not output.exists()


def test_unexpected_exception_fails_with_its_line(tmp_path):
    body = 'Intro.\n\n```python exec="on"\nvalues = {}\nprint(values["missing"])\n```\n'
    result, log, _ = build(tmp_path, write_site(tmp_path, {"raises": body}))
    assert result.returncode != 0
    assert "posts/raises.md:10: KeyError: 'missing'" in log
    assert "line 10, in <module>" in log


def test_expected_exception_that_does_not_come_fails(tmp_path):
    body = '```python exec="on" raises="AssertionError"\nassert 1 == 1\n```\n'
    result, log, _ = build(tmp_path, write_site(tmp_path, {"quiet": body}))
    assert result.returncode != 0
    assert "posts/quiet.md:6: expected AssertionError; nothing was raised" in log


def test_infinite_loop_is_killed_by_the_timeout(tmp_path):
    body = '```python exec="on" timeout="2"\nwhile True:\n    pass\n```\n'
    result, log, _ = build(tmp_path, write_site(tmp_path, {"loop": body}))
    assert result.returncode != 0
    assert "posts/loop.md:6: timed out after 2 s; its worker was killed" in log


def test_os_exit_in_a_block_fails_the_build_cleanly(tmp_path):
    posts = {
        "exits": '```python exec="on"\nimport os\nos._exit(1)\n```\n',
        "fine": '```python exec="on"\nprint("still built")\n```\n',
    }
    result, log, _ = build(tmp_path, write_site(tmp_path, posts))
    assert result.returncode == 1
    assert "posts/exits.md:6: the worker process exited with code 1" in log
    assert "Traceback" not in log  # reported, not crashed


def test_blocks_that_do_not_say_whether_they_run_fail_the_build(tmp_path):
    result, log, _ = build(
        tmp_path, write_site(tmp_path, {"unsaid": "```python\nx = 1\n```\n"})
    )
    assert result.returncode != 0
    assert 'posts/unsaid.md:6: a python block must say exec="on"' in log
    assert "(EXEC_REQUIRE = False shows one that says neither as plain code)" in log


FIGURE = (
    '```python exec="on" caption="A parabola"\n'
    "import matplotlib.pyplot as plt\n"
    "plt.plot([0, 1, 2], [0, 1, 4])\n"
    "```\n"
)


def test_figure_appears_as_a_file_and_an_image(tmp_path):
    result, log, output = build(tmp_path, write_site(tmp_path, {"plot": FIGURE}))
    assert result.returncode == 0, log
    (image,) = page(output, "plot").xpath("//figure[@class='exec-figure']//img")
    assert image.get("alt") == "A parabola"
    assert image.get("src").startswith("/figures/") and image.get("src").endswith(
        ".svg"
    )
    assert (output / image.get("src").lstrip("/")).read_bytes().startswith(b"<?xml")


WIDE_FIGURE = FIGURE.replace("plt.plot(", "plt.figure(figsize=(14, 4))\nplt.plot(")


def test_with_relative_urls_figures_are_found_from_every_page_that_shows_them(
    tmp_path,
):
    """Pelican's RELATIVE_URLS makes a post's links relative to each page
    that shows it (the post's, a listing's); figures were /figures/..., which
    a site opened from its files, or served below a folder, does not have."""
    result, log, output = build(
        tmp_path,
        write_site(tmp_path, {"plot": WIDE_FIGURE}),
        "output",
        "--",
        "-e",
        "RELATIVE_URLS=true",
    )
    assert result.returncode == 0, log
    post_page = output / "2009" / "07" / "plot" / "index.html"
    urls = {}
    for shown_in in (post_page, output / "index.html"):
        tree = html.parse(str(shown_in)).getroot()
        figure = "//figure[@class='exec-figure']//"
        urls[shown_in] = tree.xpath(f"{figure}img/@src | {figure}source/@srcset")
    assert len(urls[post_page]) == 2, urls  # the figure and its narrow variant
    for shown_in, found in urls.items():
        for url in found:
            assert not url.startswith("/"), url
            assert (shown_in.parent / url).resolve().is_file(), (shown_in, url)


def test_a_markdown_file_pelican_does_not_read_as_a_post_runs_nothing(tmp_path):
    """Outside ARTICLE_PATHS and PAGE_PATHS (notes of the author's, a folder
    copied as it is): its block ran at every build, and counted as failed."""
    content = write_site(tmp_path, {"kept": '```python exec="on"\nprint(1)\n```\n'})
    (content / "notes").mkdir()
    (content / "notes" / "todo.md").write_text(
        HEADER.format(title="Todo") + '```python exec="on"\nraise SystemExit(3)\n```\n'
    )
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    posts = [Path(block["post"]) for block in report_of(output)["blocks"]]
    assert posts == [content / "posts" / "kept.md"]
    assert "todo.md" not in log


def test_second_build_is_served_from_the_cache(tmp_path):
    posts = {
        "one": '```python exec="on"\nx = 6 * 7\n```\n\n'
        '```python exec="on"\nprint(x)\n```\n',
        "two": FIGURE,
    }
    content = write_site(tmp_path, posts)
    first, log, output = build(tmp_path, content, "first")
    assert first.returncode == 0, log
    assert {s for s, _ in statuses(output).values()} == {"ran"}
    second, log, again = build(tmp_path, content, "second")
    assert second.returncode == 0, log
    assert set(statuses(again).values()) == {("cached", "cache hit")}
    for page_path in output.rglob("*.html"):
        assert (
            page_path.read_bytes()
            == (again / page_path.relative_to(output)).read_bytes()
        )


TABBED_CODE = 'print(repr("a\tb"))\ntext = """a\n    \nb"""\nprint(repr(text))\n'


def test_a_block_runs_its_code_as_the_post_writes_it_tabs_and_all(tmp_path):
    """Python-Markdown expands tabs and empties lines of spaces before the
    extension reads the lines: the code ran with spaces for the tab, an
    empty line for the spaces, and its claim failed. A second build finds
    the same code at start-up and in the reader: every block cached."""
    body = f'```python exec="on"\n{TABBED_CODE}```\n\n'
    body += "```output\n'a\\tb'\n'a\\n    \\nb'\n```\n"
    content = write_site(tmp_path, {"tabs": body, "tabs-crlf": body})
    crlf = content / "posts" / "tabs-crlf.md"
    crlf.write_bytes(crlf.read_bytes().replace(b"\n", b"\r\n"))
    first, log, output = build(tmp_path, content, "first")
    assert first.returncode == 0, log
    assert [b["status"] for b in report_of(output)["blocks"]] == ["ran"] * 2
    for slug in ("tabs", "tabs-crlf"):
        (shown,) = page(output, slug).xpath('//div[@class="highlight"]//code')
        assert shown.text_content() == TABBED_CODE
    second, log, again = build(tmp_path, content, "second")
    assert second.returncode == 0, log
    blocks = report_of(again)["blocks"]
    assert [(b["status"], b["reason"]) for b in blocks] == [("cached", "cache hit")] * 2


def test_editing_an_included_file_reruns_only_its_blocks(tmp_path):
    posts = {
        "uses": 'x\n\n```python exec="on" include="shown.py"\n```\n\n'
        '```python exec="on" session="other"\nprint("other session")\n```\n',
        "unrelated": '```python exec="on"\nprint("unrelated")\n```\n',
    }
    content = write_site(tmp_path, posts, {"shown.py": "print('version 1')\n"})
    result, log, _ = build(tmp_path, content, "first")
    assert result.returncode == 0, log
    (content / "code" / "shown.py").write_text("print('version 2')\n")
    result, log, output = build(tmp_path, content, "second")
    assert result.returncode == 0, log
    reasons = [
        (b["post"].rsplit("/", 1)[-1], b["status"], b["reason"])
        for b in report_of(output)["blocks"]
    ]
    assert sorted(reasons) == [
        ("unrelated.md", "cached", "cache hit"),
        ("uses.md", "cached", "cache hit"),
        ("uses.md", "ran", "include changed"),
    ]
    assert "version 2" in page(output, "uses").text_content()


def test_editing_an_imported_module_reruns_the_blocks_that_import_it(tmp_path):
    posts = {
        "imports": '```python exec="on"\nfrom helper import VALUE\nprint(VALUE)\n```\n'
    }
    content = write_site(tmp_path, posts, {"helper.py": "VALUE = 1\n"})
    assert build(tmp_path, content, "first")[0].returncode == 0
    (content / "code" / "helper.py").write_text("VALUE = 2\n")
    result, log, output = build(tmp_path, content, "second")
    assert result.returncode == 0, log
    ((status, reason),) = statuses(output).values()
    assert status == "ran" and reason.startswith("dependency changed:")
    assert reason.endswith("content/code/helper.py")


def test_fresh_build_runs_every_block_again(tmp_path):
    content = write_site(tmp_path, {"one": '```python exec="on"\nprint(1)\n```\n'})
    assert build(tmp_path, content, "first")[0].returncode == 0
    result, log, output = build(tmp_path, content, "second", "--fresh")
    assert result.returncode == 0, log
    assert list(statuses(output).values()) == [("ran", "forced")]


def test_error_in_an_included_file_points_at_that_file(tmp_path):
    code = {"broken.py": "def f():\n    return 1 / 0\n\nf()\n"}
    content = write_site(
        tmp_path, {"inc": '```python exec="on" include="broken.py"\n```\n'}, code
    )
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "content/code/broken.py:2: ZeroDivisionError: division by zero" in log
    assert "posts/inc.md:6)" in log


def test_report_has_every_block_with_its_timing_and_cache_status(tmp_path):
    posts = {
        "mixed": '```python exec="on"\nprint(1)\n```\n\n'
        '```python exec="off" reason="a sketch"\nnothing()\n```\n'
    }
    result, log, output = build(tmp_path, write_site(tmp_path, posts))
    assert result.returncode == 0, log
    report = report_of(output)
    assert report["counts"] == {"ran": 1, "display-only": 1}
    ran, shown = report["blocks"]
    assert ran["post"].endswith("posts/mixed.md") and ran["line"] == 6
    assert (
        ran["session"] == "main" and ran["cache"] == "miss" and ran["reason"] == "new"
    )
    assert ran["seconds"] >= 0
    assert shown["status"] == "display-only" and shown["reason"] == "a sketch"
    assert "Blocks, in " in log and "Why blocks ran" in log


def test_output_is_the_same_whatever_the_number_of_workers(tmp_path):
    posts = {
        f"post-{n}": f'```python exec="on"\nprint({n} * {n})\n```\n\n' + FIGURE
        for n in range(6)
    }
    content = write_site(tmp_path, posts)
    serial = build(
        tmp_path, content, "serial", "--", "-e", "EXEC_WORKERS=1", cache=tmp_path / "c1"
    )
    parallel = build(
        tmp_path,
        content,
        "parallel",
        "--",
        "-e",
        "EXEC_WORKERS=4",
        cache=tmp_path / "c2",
    )
    assert serial[0].returncode == 0 and parallel[0].returncode == 0
    one, two = serial[2], parallel[2]
    files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
    for name in files:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_pelican_content_cache_cannot_hide_an_edited_include(tmp_path):
    content = write_site(
        tmp_path,
        {"inc": '```python exec="on" include="shown.py"\n```\n'},
        {"shown.py": "print('before the edit')\n"},
    )
    output = tmp_path / "output"

    def pelican():
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "pelican",
                str(content),
                "-s",
                str(ROOT / "pelicanconf.py"),
                "-o",
                str(output),
                "-e",
                "CACHE_CONTENT=true",
                "LOAD_CONTENT_CACHE=true",
                f'CACHE_PATH="{tmp_path / "pelican-cache"}"',
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**__import__("os").environ, "EXEC_CACHE": str(tmp_path / "cache")},
        )

    assert pelican().returncode == 0
    (content / "code" / "shown.py").write_text("print('after the edit')\n")
    result = pelican()
    assert result.returncode == 0, result.stderr
    assert "after the edit" in page(output, "inc").text_content()


@pytest.mark.parametrize("status", ["ran", "cached"])
def test_failed_build_writes_nothing_even_when_cached(tmp_path, status):
    body = '```python exec="on" raises="ValueError"\nraise ValueError("x")\n```\n'
    content = write_site(tmp_path, {"post": body})
    if status == "cached":
        assert build(tmp_path, content, "warm")[0].returncode == 0
    (content / "posts" / "post.md").write_text(
        HEADER.format(title="P") + body.replace('ValueError"', 'KeyError"', 1)
    )
    result, log, output = build(tmp_path, content)
    assert result.returncode != 0
    assert "expected KeyError, got ValueError: x" in log
    assert not output.exists()


SLOW = '```python exec="on"\nimport time\ntime.sleep(1)\nprint("slow but sure")\n```\n'


def test_a_post_read_before_its_session_ends_is_filled_in(tmp_path):
    """Pelican reads a post whose block still runs; the page, its summaries
    and the feeds get the block's output all the same."""
    content = write_site(tmp_path, {"slow": "A slow one.\n\n" + SLOW})
    result, log, output = build(tmp_path, content)
    assert result.returncode == 0, log
    assert "slow but sure" in page(output, "slow").text_content()
    for written in output.rglob("*"):
        if written.suffix in (".html", ".xml"):
            assert "executable-posts" not in written.read_text(), written


def test_a_block_that_fails_after_its_post_is_read_fails_the_build(tmp_path):
    body = '```python exec="on"\nimport time\ntime.sleep(1)\nprint(1 / 0)\n```\n'
    result, log, output = build(tmp_path, write_site(tmp_path, {"late": body}))
    assert result.returncode != 0
    assert "posts/late.md:9: ZeroDivisionError: division by zero" in log
    assert "Build failed (errors above); nothing was written." in log
    assert not output.exists()


def test_plugins_that_read_content_early_see_it_filled_in(tmp_path):
    probe_file = tmp_path / "seen.json"
    content = write_site(tmp_path, {"slow": SLOW})
    result = build_with_plugin(
        tmp_path, content, "probe", PROBE, f'PROBE_FILE="{probe_file}"'
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(probe_file.read_text())["slow"]
    assert "slow but sure" in seen["content"]
    assert "executable-posts" not in seen["content"] + seen["summary"]


def test_a_figures_folder_outside_the_output_fails_before_anything_is_written(
    tmp_path,
):
    elsewhere = tmp_path / "elsewhere"
    body = (
        '```python exec="on"\nimport matplotlib.pyplot as plt\nplt.plot([1, 2])\n```\n'
    )
    result, log, output = build(
        tmp_path,
        write_site(tmp_path, {"drawn": body}),
        "output",
        "--",
        "-e",
        f'EXEC_FIGURES_DIR="{elsewhere}"',
    )
    assert result.returncode != 0
    assert f"EXEC_FIGURES_DIR={str(elsewhere)!r}: expected a folder inside" in log
    assert not elsewhere.exists() and not output.exists()


WORD_COUNT = """\
from pelican import signals


def count(content):
    content.words = len(content.content.split())


def register():
    signals.content_object_init.connect(count)
"""


def test_a_plugin_before_it_that_reads_content_as_posts_are_made_sees_no_stale_page(
    tmp_path,
):
    """A word-count plugin listed first reads each post's content on
    ``content_object_init``, before this plugin tracks the post: Pelican kept
    that copy, placeholders and all, and wrote it (the block missing from its
    page, exit 0, on a cold build only)."""
    content = write_site(tmp_path, {"slow": "A slow one.\n\n" + SLOW})
    result = build_with_plugin(tmp_path, content, "word_count", WORD_COUNT, first=True)
    output = tmp_path / "output"
    assert result.returncode == 0, result.stdout + result.stderr
    assert statuses(output)[8][0] == "ran"  # (cold: its session was running)
    assert "slow but sure" in page(output, "slow").text_content()
    for written in output.rglob("*"):
        if written.suffix in (".html", ".xml"):
            assert "executable-posts" not in written.read_text(), written


@pytest.mark.parametrize("engine", ["first", "last"])
def test_where_the_plugin_stands_in_plugins_does_not_matter(tmp_path, engine):
    """An error positions_check logs after the pages are written (on
    ``finalized``) fails the build whether executable_posts is listed before
    or after it: its gate checks once Pelican's whole run is over."""
    import pelicanconf

    others = [name for name in pelicanconf.PLUGINS if name != "executable_posts"]
    plugins = ["executable_posts", *others]
    if engine == "last":
        plugins = [*others, "executable_posts"]
    content = write_site(
        tmp_path,
        {"linked": '[gone](/nowhere/)\n\n```python exec="on"\nprint(1)\n```\n'},
    )
    setting = "PLUGINS=" + json.dumps(plugins)
    result, log, output = build(tmp_path, content, "output", "--", "-e", setting)
    assert result.returncode != 0, log
    assert '<a href="/nowhere/">: no such file' in log
    assert "Build failed (errors above); the output is incomplete." in log
    assert statuses(output) == {8: ("ran", "new")}  # the block ran too


def test_an_include_directory_given_relative_to_the_build_is_found(tmp_path):
    """The zygote runs in a folder of its own: a code directory named
    relative to where the build runs must reach it as the same folder."""
    library = tmp_path / "lib"
    library.mkdir()
    (library / "shared_code.py").write_text("ANSWER = 42\n")
    body = '```python exec="on"\nimport shared_code\nprint(shared_code.ANSWER)\n```\n'
    content = write_site(tmp_path, {"relative": body})
    relative = os.path.relpath(library, ROOT)  # (invoke builds from the project)
    result, log, output = build(
        tmp_path, content, "output", "--", "-e", f'EXEC_INCLUDE_DIRS=["{relative}"]'
    )
    assert result.returncode == 0, log
    assert "42" in page(output, "relative").text_content()


RAISES = '```python exec="on"\nraise RuntimeError("never run")\n```\n'
RUNS = '```python exec="on"\nprint("ran")\n```\n'


@pytest.mark.parametrize(
    ("skip", "keep", "settings"),
    [
        ("Status: skip", "", ()),
        ("", "Status: published", ("-e", 'DEFAULT_METADATA={"status": "skip"}')),
    ],
    ids=["its header", "DEFAULT_METADATA"],
)
def test_a_skipped_posts_blocks_neither_run_nor_fail(tmp_path, skip, keep, settings):
    """Pelican does not process a post of ``Status: skip`` (it writes
    nothing of it): its blocks ran all the same, and one that raised
    failed the site."""
    content = write_site(tmp_path, {"kept": RUNS, "skipped": RAISES})
    for name, line in (("skipped", skip), ("kept", keep)):
        post = content / "posts" / f"{name}.md"
        post.write_text(post.read_text().replace("\n\n", f"\n{line}\n\n", 1))
    result, log, output = build(tmp_path, content, "output", "--", *settings)
    assert result.returncode == 0, log
    assert "never run" not in log and "skipped.md" not in log
    assert [Path(b["post"]).name for b in report_of(output)["blocks"]] == ["kept.md"]


def test_a_drafts_failing_block_fails_the_build(tmp_path):
    """Pelican writes a draft (to ``drafts/``): its blocks run, and their
    errors fail the build as a published post's do."""
    content = write_site(tmp_path, {"draft": RAISES})
    post = content / "posts" / "draft.md"
    post.write_text(post.read_text().replace("\n\n", "\nStatus: draft\n\n", 1))
    result, log, _ = build(tmp_path, content)
    assert result.returncode != 0
    assert "posts/draft.md:8: RuntimeError: never run" in log
