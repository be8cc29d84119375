"""The real posts, built: every sample ran (or says why not) and every claim
the posts make about their output was checked."""

import re

import pytest
from lxml import html

from helpers import ROOT, report_of

POSTS = sorted((ROOT / "content" / "posts").glob("*.md"))
CHECKED = "✓ Checked at build time"


def rendered(site, post) -> html.HtmlElement:
    (page,) = [p for p in site.output.rglob(f"{post.stem}/index.html")]
    return html.parse(str(page)).getroot()


def text(element) -> str:
    return element.text_content()


@pytest.mark.parametrize("post", POSTS, ids=lambda p: p.stem)
def test_every_python_sample_ran_or_says_why_not(site, post):
    fences = re.findall(r"^```python\b", post.read_text(), flags=re.MULTILINE)
    doc = rendered(site, post)
    blocks = doc.xpath("//div[@class='post-body']//div[contains(@class, 'exec')][@id]")
    assert len(blocks) == len(fences)
    for block in blocks:
        if "exec-display-only" in block.get("class"):
            (note,) = block.xpath("p[@class='exec-note']")
            assert re.fullmatch(r"Shown, not run: \S.*", text(note))


def test_the_build_report_has_every_block_and_no_failure(site):
    report = report_of(site.output)
    assert report["counts"].get("failed", 0) == 0
    assert report["counts"]["ran"] >= 12
    posts = {entry["post"] for entry in report["blocks"]}
    assert len(posts) == 8


def test_static_members_post_outputs_are_the_ones_it_claims(site):
    doc = rendered(site, ROOT / "content/posts/python-static-class-members-and-you.md")
    outputs = [text(p) for p in doc.xpath("//pre[@class='exec-stdout']")]
    assert outputs == [
        "Hello\n",
        "[]\n[1]\n[1, 1]\n",
        "{'n': 1, 'a': [1]} 0 []\n",  # the editor's note: instance attributes
        "[5, 2, 3, 4]\n[5, 2, 3, 4]\n[6, 2, 3, 4]\n",
    ]
    verdicts = doc.xpath("//p[@class='exec-verdict']")
    assert len(verdicts) == 4 and all(CHECKED in text(v) for v in verdicts)


def test_unit_testing_post_runs_pytest_and_its_predicted_failures_happen(site):
    doc = rendered(site, ROOT / "content/posts/python-unit-testing-super-fun-time.md")
    first, no_setup, second = (
        text(p) for p in doc.xpath("//pre[@class='exec-pytest']")
    )
    assert first == "FAILED test_iszero - assert 1 == 0\n1 failed\n"
    assert no_setup == "PASSED TestNumbers::test_two_is_even\n1 passed\n"
    assert second.splitlines()[-1] == "3 failed, 3 passed"
    assert "FAILED test_evenNumbers[5] - assert (5 % 2) == 0" in second
    assert len(doc.xpath(f"//p[@class='exec-verdict'][contains(., '{CHECKED}')]")) == 3


def test_pickle_post_signs_verifies_and_rejects_a_tampered_payload(site):
    doc = rendered(site, ROOT / "content/posts/making-pythons-pickle-safer.md")
    author, today = doc.xpath("//pre[@class='exec-stdout']")
    assert text(author) == "45\n{'foo': 'bar', 'spam': 'eggs', 'the answer': 42}\n"
    (raised,) = doc.xpath("//pre[@class='exec-exception']")
    assert text(raised).rstrip().endswith("AssertionError")
    verdicts = [text(v) for v in doc.xpath("//p[@class='exec-verdict']")]
    assert "it raised AssertionError, as the post says" in verdicts[0]
    assert "tampered: signature does not match" in text(today)
    assert "even signed: the pickle refers to posix.system" in text(today)


def test_pickle_post_shows_the_package_and_never_a_literal_key(site):
    post = ROOT / "content/posts/making-pythons-pickle-safer.md"
    doc = rendered(site, post)
    (folded,) = doc.xpath("//details[@class='exec-source']")
    assert text(folded.xpath("summary")[0]) == "signed_pickle/signer.py"
    assert "compare_digest" in text(folded)
    assert "super secret key" not in post.read_text()


def test_cloudcached_post_runs_the_client_against_s3_and_times_it(site):
    doc = rendered(site, ROOT / "content/posts/weekend-project-cloudcached.md")
    where, verbs, tags, bench = (
        text(p) for p in doc.xpath("//pre[@class='exec-stdout']")
    )
    assert tags.split() == [
        *("True:", "bool", "7:", "int", "2.5:", "float", "1j:", "complex"),
        *("'text':", "str", "b'\\x00raw':", "bytes", "[1,", "2]:", "pickle"),
    ]
    assert where.startswith("S3: moto's standalone S3 server on 127.0.0.1")
    assert verbs.splitlines()[:3] == ["True", "False", "True 43"]
    rows = bench.splitlines()[3:]
    assert [row[:22].strip() for row in rows] == [
        "GET integer",
        "GET string (32 byte)",
        "GET string (512KB)",
        "PUT integer",
        "PUT string (32 byte)",
        "PUT string (512KB)",
    ]
    assert all(float(row.split()[-1]) > 0 for row in rows)


def test_api_post_embeds_the_pytest_report_of_its_functional_tests(site):
    doc = rendered(site, ROOT / "content/posts/api-functional-testing-with-python.md")
    (report,) = doc.xpath("//pre[@class='exec-pytest']")
    lines = text(report).splitlines()
    assert lines[-1] == "10 passed"
    assert "PASSED TestUserNoun::test_user_count[20]" in lines
    (verdict,) = doc.xpath("//div[pre[@class='exec-pytest']]/p[@class='exec-verdict']")
    assert "the output is the one the post claims" in text(verdict)  # no "..."


def test_htmlparser_post_scrapes_its_own_article_at_build_time(site):
    doc = rendered(
        site, ROOT / "content/posts/htmlparser-not-for-the-faint-of-heart.md"
    )
    found, positions = (text(p) for p in doc.xpath("//pre[@class='exec-stdout']"))
    assert found.startswith("Found link: [('href', 'https://docs.python.org/")
    assert "the 2008 table says" in positions
    assert positions.rstrip().endswith("characters (2008: 276.21)")
    (folded,) = doc.xpath("//details[@class='exec-source']")
    assert text(folded.xpath("summary")[0]) == "tagpositions/scraper.py"


def test_fokker_planck_post_draws_its_solution_and_checks_it(site):
    doc = rendered(site, ROOT / "content/posts/1d-fokker-planck-equation.md")
    (equation,) = doc.xpath("//math[@display='block']")
    assert "partial" in equation.get("alttext")
    images = doc.xpath("//figure[@class='exec-figure']//img")
    assert len(images) == 5 and all(image.get("alt") for image in images)
    (gif,) = [i for i in images if i.get("src").endswith(".gif")]
    assert (site.output / gif.get("src").lstrip("/")).stat().st_size <= 2 * 1024 * 1024
    assert any(i.get("src").endswith(".png") for i in images)  # the heat map
    verdicts = [text(v) for v in doc.xpath("//p[contains(@class, 'exec-verdict')]")]
    assert len(verdicts) == 3 and all(CHECKED in v for v in verdicts)
    assert all("(numbers within 5%)" in v for v in verdicts)
    outputs = [text(p) for p in doc.xpath("//pre[@class='exec-stdout']")]
    (orders,) = [output for output in outputs if "orders" in output]
    assert "1600 cells: error 1.4e-04" in orders
    assert orders.count("within its bound") == orders.count("p >= 0 at every step") == 5
    (signs,) = [output for output in outputs if "plain BDF2" in output]
    assert "plain BDF2: lowest p -0.86, below zero" in signs


def test_websockets_post_runs_its_server_and_links_to_the_chat(site):
    doc = rendered(site, ROOT / "content/posts/websockets-in-python.md")
    handshakes, exchange = (text(p) for p in doc.xpath("//pre[@class='exec-stdout']"))
    assert "draft-76 example: fQJ,fN/4F4!~K~MH" in handshakes
    assert "RFC 6455 example: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in handshakes
    assert "second hears: Hello from 2010!" in exchange
    assert doc.xpath("//div[@class='post-body']//a[@href='/chat/']")


def test_chat_page_points_its_script_at_the_chat_server(site):
    doc = html.parse(str(site.output / "chat" / "index.html")).getroot()
    (room,) = doc.xpath("//article[@id='chat']")
    assert room.get("data-chat-url") == "ws://localhost:8765/"
    assert doc.xpath("//script[@src='/theme/js/chat.js']")


def test_the_htmlparser_posts_old_figure_carries_the_year_of_the_post(site):
    post = ROOT / "content/posts/htmlparser-not-for-the-faint-of-heart.md"
    year = re.search(r"^Date: (\d{4})", post.read_text(), re.MULTILINE)[1]
    doc = rendered(site, post)
    (measured,) = [
        p for p in doc.xpath("//pre[@class='exec-stdout']") if "276.21" in text(p)
    ]
    assert f"({year}: 276.21)" in text(measured)
    note = measured.getparent().getnext()
    assert "the two averages measure different pages" in text(note)


def test_the_fokker_planck_solver_is_folded_under_a_note_that_it_is_new(site):
    doc = rendered(site, ROOT / "content/posts/1d-fokker-planck-equation.md")
    (solver,) = [
        d
        for d in doc.xpath("//details[@class='exec-source']")
        if text(d.xpath("summary")[0]) == "fokker_planck.py"
    ]
    assert solver.get("open") is None
    note = solver.getparent().getprevious()
    assert "the author's code was lost" in text(note)
    assert "The solver below is new code" in text(note)


LOST_REFERENCES = {
    "api-functional-testing-with-python.md": "(here's a bunch",
    "making-pythons-pickle-safer.md": "(a nice example here",
    "python-unit-testing-super-fun-time.md": "(docs (link above",
}


@pytest.mark.parametrize("post, words", LOST_REFERENCES.items())
def test_a_reference_to_a_lost_link_is_marked(site, post, words):
    doc = rendered(site, ROOT / "content/posts" / post)
    (paragraph,) = [
        p
        for p in doc.xpath("//div[@class='post-body']/p")
        if words.split("(")[-1] in text(p)
    ]
    (mark,) = paragraph.xpath("span[@class='lost']")
    assert text(mark) == "[link lost with the old blog]"
    assert text(paragraph).index(words.split("(")[-1]) < text(paragraph).index(
        text(mark)
    )


def test_the_pickle_posts_lost_picture_is_noted(site):
    doc = rendered(site, ROOT / "content/posts/making-pythons-pickle-safer.md")
    second = doc.xpath("//div[@class='post-body']/p")[1]
    assert "a picture stood at the top of this post" in text(second)


def test_a_block_that_ran_and_printed_nothing_says_so(site):
    doc = rendered(site, ROOT / "content/posts/making-pythons-pickle-safer.md")
    (block,) = [
        b
        for b in doc.xpath("//div[@class='exec']")
        if "SECRET_KEY = os.urandom(32)" in text(b)
    ]
    assert not block.xpath("pre[starts-with(@class, 'exec-')]")
    assert text(block.xpath("p[@class='exec-note']")[0]) == (
        "Ran at build time; printed nothing."
    )
