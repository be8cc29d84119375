"""The invoke tasks a Pelican user expects, exercised as a user runs them."""

import base64
import subprocess
import threading
import urllib.error
import urllib.request

import pytest

import tasks
from helpers import ROOT, eventually, invoke, invoke_command, write_site

QUICKSTART_TASKS = [
    "clean",
    "build",
    "rebuild",
    "regenerate",
    "serve",
    "reserve",
    "preview",
    "livereload",
    "test",
    "demo",
]


@pytest.fixture
def served(site):
    """The session's built site, served by the `serve` task's server."""
    server = tasks.site_server(site.output, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def fetch(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_every_quickstart_task_is_listed():
    listed = invoke("--list").stdout.split()
    for name in QUICKSTART_TASKS:
        assert name in listed


def test_server_serves_pretty_urls(served):
    status, body = fetch(served + "/tags/")
    assert status == 200
    assert "<h1>Tags</h1>" in body
    status, body = fetch(served + "/tags")  # redirected to /tags/
    assert status == 200
    assert "<h1>Tags</h1>" in body


def test_server_answers_a_missing_page_with_the_404_page(served):
    status, body = fetch(served + "/no/such/post/")
    assert status == 404
    assert "<h1>Page not found</h1>" in body


def test_clean_removes_the_output(tmp_path):
    output = tmp_path / "output"
    (output / "stale").mkdir(parents=True)
    assert invoke("clean", "--output", str(output)).returncode == 0
    assert not output.exists()


def test_rebuild_deletes_files_the_site_no_longer_has(tmp_path):
    content = write_site(tmp_path, {"post": "Text.\n"})
    output = tmp_path / "output"
    output.mkdir()
    (output / "stale.html").write_text("left over")
    result = invoke("rebuild", "--output", str(output), "--content", str(content))
    assert result.returncode == 0, result.stderr
    assert not (output / "stale.html").exists()
    assert (output / "index.html").is_file()


def test_preview_without_siteurl_says_what_to_set(tmp_path):
    content = str(write_site(tmp_path, {"post": "Text.\n"}))
    output = str(tmp_path / "o")
    env = {"SITEURL": ""}
    result = invoke("preview", "--output", output, "--content", content, env=env)
    assert result.returncode != 0
    assert "set SITEURL" in result.stdout + result.stderr


def test_preview_builds_absolute_feed_links_for_the_public_address(production_site):
    """(``invoke preview`` with SITEURL=https://blog.example.org/)"""
    feed = (production_site.output / "feeds" / "all.atom.xml").read_text()
    assert 'href="https://blog.example.org/2009/07/api-functional-testing' in feed


def test_regenerate_rebuilds_when_a_post_changes(tmp_path):
    content = write_site(tmp_path, {"post": "Ask the boss-man.\n"})
    output = tmp_path / "output"
    watcher = subprocess.Popen(
        invoke_command(
            "regenerate", "--content", str(content), "--output", str(output)
        ),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    page = output / "2009" / "07" / "post" / "index.html"
    try:
        eventually(lambda: page.is_file(), 60, 0.2)
        post = content / "posts" / "post.md"
        edited = post.read_text().replace("boss-man", "boss-person")

        def edit_reaches_the_page():
            # Written again on each poll: the watcher may start after a write.
            if "boss-person" not in page.read_text():
                post.write_text(edited)
                return False
            return True

        eventually(edit_reaches_the_page, 60, 3)
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


def test_build_of_the_real_content_succeeds(site):
    result = site.built  # the run's build of the blog
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Done: Processed 8 articles" in " ".join(result.stdout.split())


def test_cache_key_prints_the_public_key_it_makes_on_first_use(tmp_path):
    state = tmp_path / "state"
    first = invoke("cache-key", "--state-dir", str(state))
    assert first.returncode == 0, first.stderr
    name, _, encoded = first.stdout.strip().partition(":")
    assert name and len(base64.b64decode(encoded)) == 32
    assert (state / "cache-signing.pub").read_text() == first.stdout
    assert (state / "cache-signing.key").stat().st_mode & 0o777 == 0o600
    assert invoke("cache-key", "--state-dir", str(state)).stdout == first.stdout


def test_cache_key_refuses_a_key_file_others_can_read(tmp_path):
    assert invoke("cache-key", "--state-dir", str(tmp_path)).returncode == 0
    (tmp_path / "cache-signing.key").chmod(0o644)
    result = invoke("cache-key", "--state-dir", str(tmp_path))
    assert result.returncode != 0 and not result.stdout
    assert "permissions 0644 are too open" in result.stderr
    assert "Traceback" not in result.stderr
