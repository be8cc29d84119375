"""A post's summary, on lists of posts and in meta descriptions: the post's
own words, code and output, without what the engine says around its blocks."""

import json
from pathlib import Path
from types import SimpleNamespace

from lxml import html

from executable_blocks.render import without_chrome
from helpers import PROBE, build_with_plugin, quickstart_build, write_site
from pelican.plugins.executable_posts.summaries import leave_blocks_chrome_out

# A post that begins with a block, whose claim the build checks.
BEGINS_WITH_A_BLOCK = (
    '```python exec="on"\nprint("forty-two")\n```\n\n'
    "```output\nforty-two\n```\n\nThen the post's own words.\n"
)


def summaries(tmp_path: Path, content: Path, *settings: str) -> dict:
    """Every post's summary in a build of ``content`` with the site's plugins."""
    probe_file = tmp_path / "seen.json"
    result = build_with_plugin(
        tmp_path,
        content,
        "probe",
        PROBE,
        f'PROBE_FILE="{probe_file}"',
        "SUMMARY_MAX_PARAGRAPHS=null",  # (Pelican's default; this site's is 1)
        *settings,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    seen = json.loads(probe_file.read_text())
    return {slug: post["summary"] for slug, post in seen.items()}


def test_a_summary_leaves_out_the_blocks_labels_verdict_and_id(tmp_path):
    """(A post that began with a block had "Output", "Checked at build
    time: ..." and ``id="exec-6"`` in its summary, on every list of posts
    and in its meta description.)"""
    content = write_site(tmp_path, {"first": BEGINS_WITH_A_BLOCK})
    summary = summaries(tmp_path, content)["first"]
    assert "forty-two" in summary  # the code and its output stay
    assert 'class="highlight"' in summary
    assert "Checked at build time" not in summary
    assert 'class="exec-label"' not in summary
    assert "exec-6" not in summary
    assert "the post's own words" in summary


def test_the_summarys_words_are_counted_without_the_blocks_labels(tmp_path):
    """The labels are taken out before the summary is cut to its length:
    they do not use up its words."""
    words = " ".join(f"w{n}" for n in range(12))
    content = write_site(tmp_path, {"first": BEGINS_WITH_A_BLOCK + words})
    summary = summaries(tmp_path, content, "SUMMARY_MAX_LENGTH=18")["first"]
    # print, "forty-two" twice (code, output), "Then the post's own words.":
    # 8 words, then 10 of the last paragraph's
    assert "w9" in summary and "w10" not in summary


def test_a_summary_the_author_wrote_is_shown_as_written(tmp_path):
    content = write_site(tmp_path, {"written": BEGINS_WITH_A_BLOCK})
    post = content / "posts" / "written.md"
    post.write_text(
        post.read_text().replace("\n\n", "\nSummary: A number, *printed*.\n\n", 1)
    )
    summary = summaries(tmp_path, content)["written"]
    assert summary == "<p>A number, <em>printed</em>.</p>"


def test_another_themes_lists_hold_no_block_id_twice(tmp_path):
    """Pelican's own theme shows the newest post in full on the home page and
    the others' summaries below it: three posts that begin with a block had
    ``exec-6`` three times there, and two "Checked at build time" that
    checked nothing on that page."""
    write_site(tmp_path, {f"p{n}": BEGINS_WITH_A_BLOCK for n in range(3)})
    result = quickstart_build(tmp_path, {})
    assert result.returncode == 0, result.stdout + result.stderr
    home = html.parse(str(tmp_path / "output" / "index.html")).getroot()
    assert home.text_content().count("forty-two") == 2 * 3  # code and output
    ids = home.xpath("//@id")
    assert len(ids) == len(set(ids))
    assert home.text_content().count("Checked at build time") == 1  # in full


def test_without_chrome_keeps_code_output_and_figures():
    block = (
        '<div class="exec" id="exec-3">\n'
        '<p class="exec-file">mod.py, lines 1\N{EN DASH}2</p>\n'
        '<div class="highlight"><pre><code>x</code></pre></div>\n'
        '<p class="exec-label">Output</p>\n'
        '<pre class="exec-stdout"><code>1\n</code></pre>\n'
        '<figure class="exec-figure"><img src="f.svg" alt="a"></figure>\n'
        '<p class="exec-verdict exec-verdict-elided">\N{CHECK MARK} Checked.</p>\n'
        "</div>"
    )
    assert without_chrome(block) == (
        '<div class="exec">\n'
        '<div class="highlight"><pre><code>x</code></pre></div>\n'
        '<pre class="exec-stdout"><code>1\n</code></pre>\n'
        '<figure class="exec-figure"><img src="f.svg" alt="a"></figure>\n'
        "</div>"
    )


def test_without_chrome_takes_out_a_block_left_with_nothing_to_show():
    """(A ``source="off"`` block that printed nothing left an empty
    ``<div class="exec">`` on every list of posts.)"""
    block = (
        '<div class="exec" id="exec-6">\n'
        '<p class="exec-note">Ran at build time; printed nothing.</p>\n'
        "</div>\n<p>Then the post.</p>"
    )
    assert without_chrome(block) == "<p>Then the post.</p>"


def test_a_summary_another_plugin_sets_later_is_the_one_shown():
    """The ``summary`` plugin's marker sets the metadata's summary on
    ``all_generators_finalized``, after the post was tracked: Pelican looks
    for it whenever the summary is asked for, and so does this."""
    post = SimpleNamespace(
        metadata={},
        settings={"SUMMARY_MAX_LENGTH": 50, "SUMMARY_END_SUFFIX": "…"},
        get_siteurl=lambda: "",
        get_content=lambda siteurl: "<p>All of the post.</p>",
    )
    leave_blocks_chrome_out(post)
    post.metadata["summary"] = "<p>What the author marked.</p>"
    assert post.get_summary("") == "<p>What the author marked.</p>"


def test_without_chrome_keeps_a_folds_code_without_its_opener():
    """(A meta description made of such a summary began "Show the code".)"""
    block = (
        '<div class="exec" id="exec-3">\n'
        '<details class="exec-source"><summary>Show the code</summary>\n'
        '<div class="highlight"><pre><span></span><code>x = 1\n</code></pre></div>\n'
        "</details>\n</div>"
    )
    assert without_chrome(block) == (
        '<div class="exec">\n'
        '<div class="highlight"><pre><span></span><code>x = 1\n</code></pre></div>\n'
        "\n</div>"
    )
