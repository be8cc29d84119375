"""The chat page in Debian's Chromium, driven by Playwright, against a real
chat server: two readers talk, markup stays text, a restart is survived."""

import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest
from chat_fixtures import ChatThread, free_port
from conftest import ROOT, build_site
from playwright import sync_api

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not Path(CHROMIUM).exists():
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium")
    pytest.skip(
        f"{CHROMIUM} is not installed (apt-get install -y chromium)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def chat_site(tmp_path_factory):
    """A site of just the chat page, pointed at a chat server's port, and
    served over HTTP; the chat server itself is the test's to run."""
    import tasks

    root = tmp_path_factory.mktemp("chat-site")
    content = root / "content"
    (content / "pages").mkdir(parents=True)
    shutil.copy(ROOT / "content" / "pages" / "chat.md", content / "pages")
    (content / "posts").mkdir()
    chat_port = free_port()
    result = build_site(
        content,
        root / "output",
        None,
        "--",
        "-e",
        f'CHAT_URL="ws://127.0.0.1:{chat_port}/"',
    )
    assert result.returncode == 0, result.stdout + result.stderr
    server = tasks.site_server(root / "output", "127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}", chat_port
    server.shutdown()


@pytest.fixture
def chat(chat_site):
    site, port = chat_site
    server = ChatThread(port, (site,)).start()
    yield server
    server.close()


@pytest.fixture(scope="module")
def browser():
    profile = tempfile.mkdtemp(prefix="chromium-")  # a fresh user-data dir
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, args=ARGS, headless=True
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def open_chat(browser, site: str, nick: str):
    page = browser.new_page()
    page.goto(f"{site}/chat/")
    page.fill("#chat-nick", nick)
    page.click("#chat-join button")
    sync_api.expect(page.locator("#chat-status")).to_have_text(f"Connected as {nick}.")
    return page


def say(page, text: str) -> None:
    page.fill("#chat-text", text)
    page.press("#chat-text", "Enter")


def test_two_readers_see_each_other_and_each_others_messages(browser, chat, chat_site):
    site, _ = chat_site
    ada, bob = open_chat(browser, site, "ada"), open_chat(browser, site, "bob")
    sync_api.expect(ada.locator("#chat-people li")).to_have_text(["ada", "bob"])
    sync_api.expect(bob.locator("#chat-people li")).to_have_text(["ada", "bob"])
    say(ada, "Hello, bob!")
    sync_api.expect(bob.locator("#chat-log li.chat-message").last).to_contain_text(
        "ada: Hello, bob!"
    )
    say(bob, "Hi, ada.")
    sync_api.expect(ada.locator("#chat-log li.chat-message").last).to_contain_text(
        "bob: Hi, ada."
    )
    bob.close()
    sync_api.expect(ada.locator("#chat-people li")).to_have_text(["ada"])
    ada.close()


def test_markup_in_a_message_is_shown_as_text(browser, chat, chat_site):
    site, _ = chat_site
    ada, bob = open_chat(browser, site, "ada"), open_chat(browser, site, "bob")
    attack = (
        '<script>window.pwned = true</script><img src=x onerror="window.pwned = true">'
    )
    say(ada, attack)
    last = bob.locator("#chat-log li.chat-message").last
    sync_api.expect(last).to_contain_text(attack)
    assert last.locator("script, img").count() == 0
    assert bob.evaluate("window.pwned") is None
    ada.close()
    bob.close()


def test_the_page_reconnects_after_the_server_restarts(browser, chat, chat_site):
    site, _ = chat_site
    ada = open_chat(browser, site, "ada")
    chat.stop()
    sync_api.expect(ada.locator("#chat-status")).to_contain_text("Reconnecting")
    chat.start()
    sync_api.expect(ada.locator("#chat-status")).to_have_text(
        "Connected as ada.", timeout=20_000
    )
    say(ada, "back again")
    sync_api.expect(ada.locator("#chat-log li.chat-message").last).to_contain_text(
        "ada: back again"
    )
    ada.close()
