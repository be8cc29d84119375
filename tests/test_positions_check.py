"""The positions check: a written site with broken links, a missing fragment,
a missing image and an image without alt fails, naming each at path:line:col."""

import json
from pathlib import Path

from helpers import build_site, write_site
from positions_check import SiteCheck

BROKEN = """Some text first.

A [broken link](/no/such/page/) and a [missing fragment](#nowhere).

<img src="/figures/missing.png" alt="A picture that is not there">

<img src="/theme/favicon.svg">

<p id="twice">one</p>

<p id="twice">two</p>
"""


def where(page: Path, snippet: str) -> tuple[int, int]:
    """Line and column (1-based) of ``snippet`` in ``page``, found by hand."""
    text = page.read_text()
    offset = text.index(snippet)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def test_every_problem_is_reported_at_its_place(tmp_path):
    content = write_site(tmp_path, {"broken": BROKEN})
    result = build_site(content, tmp_path / "output")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Build failed (errors above); the output is incomplete." in log
    page = tmp_path / "output" / "2009" / "07" / "broken" / "index.html"
    shown = str(page)
    expected = {
        '<a href="/no/such/page/">': "no such file in the site",
        '<a href="#nowhere">': 'no element with id "nowhere" on that page',
        '<img src="/figures/missing.png"': "no such file in the site",
        '<img src="/theme/favicon.svg">': "image without alt text",
        '<p id="twice">two': 'duplicate id "twice"',
    }
    for snippet, problem in expected.items():
        line, column = where(page, snippet)
        prefix = f"{shown}:{line}:{column}: "
        matching = [entry for entry in log.splitlines() if prefix in entry]
        assert any(problem in entry for entry in matching), (snippet, prefix, log)
        assert all(
            "(from " in entry and "posts/broken.md)" in entry for entry in matching
        )


def test_a_clean_site_passes_and_the_report_says_so(tmp_path, monkeypatch):
    report = tmp_path / "positions.json"
    monkeypatch.setenv("POSITIONS_REPORT", str(report))
    content = write_site(
        tmp_path, {"fine": "A [link to itself](#top) is not needed.\n"}
    )
    (content / "posts" / "fine.md").write_text(
        (content / "posts" / "fine.md").read_text().replace("(#top)", "(/tags/)")
    )
    result = build_site(content, tmp_path / "output")
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(report.read_text())
    assert document["problems"] == [] and document["pages"] > 5


def page(root: Path, name: str, body: str) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<!DOCTYPE html>\n<html><body>\n{body}\n</body></html>\n")
    return path


def messages(root: Path, **options) -> list[str]:
    check = SiteCheck(
        root,
        ["https://blog.example.org"],
        **{"link_hosts": ["github.com"], "resource_hosts": [], **options},
    )
    pages = sorted(root.rglob("*.html"))
    return [f"{p.line}:{p.column}: {p.message}" for p in check.run(pages, {}, str)]


def test_fragments_on_other_pages_and_directories(tmp_path):
    page(tmp_path, "a/index.html", '<h2 id="there">x</h2>')
    page(tmp_path, "index.html", '<a href="a/#there">ok</a> <a href="/a/#gone">no</a>')
    assert messages(tmp_path) == [
        '3:27: <a href="/a/#gone">: no element with id "gone" on that page'
    ]


def test_the_sites_own_absolute_urls_are_internal(tmp_path):
    page(
        tmp_path,
        "index.html",
        '<a href="https://blog.example.org/">home</a>'
        '<a href="https://blog.example.org/missing.html">gone</a>',
    )
    assert messages(tmp_path) == [
        '3:45: <a href="https://blog.example.org/missing.html">: '
        "no such file in the site"
    ]


def test_other_hosts_only_when_allowed(tmp_path):
    page(
        tmp_path,
        "index.html",
        '<a href="https://github.com/x">ok</a>\n'
        '<a href="http://example.com/">no</a>\n'
        '<script src="https://cdn.example.net/x.js"></script>\n'
        '<a href="mailto:david@example.org">mail</a>',
    )
    assert messages(tmp_path) == [
        '4:1: <a href="http://example.com/">: link to another host (example.com), '
        "not in EXTERNAL_LINK_HOSTS",
        '5:1: <script src="https://cdn.example.net/x.js">: loads from another host '
        "(cdn.example.net)",
    ]


def test_srcset_urls_are_each_checked(tmp_path):
    page(tmp_path, "i.png", "")
    page(
        tmp_path,
        "index.html",
        '<img alt="x" src="i.png" srcset="i.png 1x, big.png 2x">',
    )
    assert messages(tmp_path) == [
        '3:1: <img srcset="big.png">: no such file in the site'
    ]


def test_links_may_not_climb_out_of_the_site(tmp_path):
    site = tmp_path / "site"
    page(site, "index.html", '<a href="../../etc/passwd">x</a>')
    assert messages(site) == [
        '3:1: <a href="../../etc/passwd">: no such file in the site'
    ]


def test_many_pages_are_checked_in_parallel_with_the_same_result(tmp_path):
    for n in range(250):
        page(tmp_path, f"p{n}.html", f'<a href="p{2 * n}.html">twice as far</a>')
    found = messages(tmp_path)  # pages 250 to 498 do not exist
    assert len(found) == 125 and all("no such file" in m for m in found)
