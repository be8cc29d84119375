"""The chat page in Debian's Chromium, driven by Playwright, against a real
chat server: two readers talk, markup stays text, a restart is survived,
others coming and going show by presence frames, refusals show the server's
word for them. What a real server will not do on demand (many joining in one
presence frame, any error code) comes from a WebSocket the test answers."""

import json
import re
import shutil
import threading

import pytest
from playwright import sync_api
from websockets.sync.client import connect

from browser_fixtures import chromium, require_chromium
from chat_fixtures import ChatThread, free_port
from chatroom.room import RoomUnavailable
from chatroom.server import UNAVAILABLE
from helpers import ROOT, build_site, eventually

require_chromium()


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
    with chromium() as context:
        yield context


def open_chat(browser, site: str, nick: str, frames: list | None = None):
    """A page joined as ``nick``; the frames it receives are appended to
    ``frames``, parsed, if given."""
    page = browser.new_page()
    if frames is not None:
        page.on(
            "websocket",
            lambda ws: ws.on(
                "framereceived", lambda payload: frames.append(json.loads(payload))
            ),
        )
    page.goto(f"{site}/chat/")
    join(page, nick)
    sync_api.expect(page.locator("#chat-status")).to_have_text(f"Connected as {nick}.")
    sync_api.expect(page.locator("#chat-join")).to_be_hidden()
    sync_api.expect(page.locator("#chat-room")).to_be_visible()
    return page


def join(page, nick: str) -> None:
    page.fill("#chat-nick", nick)
    page.click("#chat-join button")


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


# Where each part of the last message shows, from the left: its name, and
# its text (the item's last node, an element or not).
PLACES = """item => {
  const left = node => {
    const range = document.createRange();
    range.selectNodeContents(node);
    return range.getBoundingClientRect().left;
  };
  return [left(item.querySelector("strong")), left(item.lastChild)];
}"""


@pytest.mark.parametrize(
    "text",
    ["مرحبا بالجميع", "\u202eevery word after an override"],
    ids=["arabic", "override"],
)
def test_a_right_to_left_name_and_text_keep_their_places(
    browser, chat, chat_site, text
):
    """The page is left to right: the name, then what was said. Without
    isolation, an Arabic text after an Arabic name took the name's left
    (the colon between them, neutral, took their direction)."""
    site, _ = chat_site
    salma, bob = open_chat(browser, site, "سلمى"), open_chat(browser, site, "bob")
    say(salma, text)
    last = bob.locator("#chat-log li.chat-message").last
    sync_api.expect(last).to_contain_text("سلمى")
    name, said = last.evaluate(PLACES)
    assert name < said
    salma.close()
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


def test_back_after_a_restart_the_page_waits_for_its_name_to_be_free(
    browser, chat, chat_site
):
    """As after a crash of a process sharing the room through Redis, whose
    users hold their names until their presence expires."""
    site, _ = chat_site
    ada = open_chat(browser, site, "ada")
    chat.stop()
    sync_api.expect(ada.locator("#chat-status")).to_contain_text("Reconnecting")
    chat.start()
    assert chat.call(chat.server.room.claim("ada"))  # the name still held
    refusals = chat.server.refusals.rules
    eventually(lambda: refusals["nick-taken"], 20)  # the page came back, refused
    assert ada.locator("#chat-join").is_hidden()
    chat.call(chat.server.room.release("ada"))
    sync_api.expect(ada.locator("#chat-status")).to_have_text(
        "Connected as ada.", timeout=20_000
    )
    assert ada.locator("#chat-join").is_hidden()
    ada.close()


def test_a_third_client_joining_and_leaving_shows_in_the_people_list_and_log(
    browser, chat, chat_site
):
    site, port = chat_site
    frames = []
    ada = open_chat(browser, site, "ada", frames)
    people, notices = ada.locator("#chat-people li"), ada.locator("#chat-log li")
    sync_api.expect(people).to_have_text(["ada"])
    with connect(f"ws://127.0.0.1:{port}/") as carol:
        carol.send(json.dumps({"type": "join", "nick": "Carol"}))
        assert json.loads(carol.recv(5))["type"] == "welcome"
        sync_api.expect(people).to_have_text(["ada", "Carol"])  # case-insensitive
        sync_api.expect(notices.last).to_have_text(re.compile(r"Carol joined$"))
        sync_api.expect(notices.last).to_have_class("chat-notice")
    sync_api.expect(people).to_have_text(["ada"])
    sync_api.expect(notices).to_have_text(
        [re.compile(r"Carol joined$"), re.compile(r"Carol left$")]
    )
    presence = [frame for frame in frames if frame["type"] == "presence"]
    assert any("Carol" in frame["joined"] for frame in presence)
    assert any("Carol" in frame["left"] for frame in presence)
    # the server names ada to ada too; that changes nothing and is not noticed
    assert any("ada" in frame["joined"] for frame in presence)
    assert not {"joined", "left"} & {frame["type"] for frame in frames}
    ada.close()


def test_a_nickname_in_use_or_like_one_is_refused_and_another_can_be_chosen(
    browser, chat, chat_site
):
    site, _ = chat_site
    ivan = open_chat(browser, site, "Ivan")
    again = browser.new_page()
    again.goto(f"{site}/chat/")
    for taken in ("IVAN", "lvan"):  # the same but for case; confusable
        join(again, taken)
        sync_api.expect(again.locator("#chat-status")).to_have_text(
            f"{taken!r} is taken, or looks like a name that is; choose another"
        )
        sync_api.expect(again.locator("#chat-join")).to_be_visible()
        sync_api.expect(again.locator("#chat-room")).to_be_hidden()
    join(again, "bob")
    sync_api.expect(again.locator("#chat-status")).to_have_text("Connected as bob.")
    sync_api.expect(ivan.locator("#chat-people li")).to_have_text(["bob", "Ivan"])
    ivan.close()
    again.close()


def test_an_unreachable_room_keeps_the_connection_and_the_reader_tries_again(
    browser, chat, chat_site
):
    site, _ = chat_site
    room, outages = chat.server.room, {"claim": 1, "say": 1}
    for name in outages:  # the room fails once to claim a nickname, once to say

        def once(real, name=name):
            async def method(*args):
                if outages[name]:
                    outages[name] -= 1
                    raise RoomUnavailable
                return await real(*args)

            return method

        setattr(room, name, once(getattr(room, name)))
    sockets = []
    page = browser.new_page()
    page.on("websocket", lambda ws: sockets.append(ws))
    page.goto(f"{site}/chat/")
    status = page.locator("#chat-status")
    join(page, "ada")
    sync_api.expect(status).to_have_text(UNAVAILABLE.message)
    sync_api.expect(page.locator("#chat-nick")).to_have_value("ada")
    page.click("#chat-join button")
    sync_api.expect(status).to_have_text("Connected as ada.")
    say(page, "hello")
    sync_api.expect(status).to_have_text(UNAVAILABLE.message)
    sync_api.expect(page.locator("#chat-text")).to_have_value("hello")  # to resend
    page.press("#chat-text", "Enter")
    sync_api.expect(page.locator("#chat-log li.chat-message")).to_contain_text(
        ["ada: hello"]
    )
    assert outages == {"claim": 0, "say": 0}
    assert len(sockets) == 1
    page.close()


class FakeChat:
    """The page's WebSocket answered by the test (Playwright's
    ``route_web_socket``): ``answer`` says what to send back to each message
    the page sends, and ``send`` sends whatever the test likes."""

    def __init__(self, page, url: str, answer):
        self.answer, self.received, self.connections = answer, [], []
        page.route_web_socket(url, self.accept)

    def accept(self, ws) -> None:
        self.connections.append(ws)
        ws.on_message(lambda raw: self.reply(ws, json.loads(raw)))

    def reply(self, ws, message: dict) -> None:
        self.received.append(message)
        for frame in self.answer(message):
            ws.send(json.dumps(frame))

    def send(self, **frame) -> None:
        self.connections[-1].send(json.dumps(frame))


def welcome(message: dict, online: tuple[str, ...] = ()) -> dict:
    nick = message["nick"]
    return {"type": "welcome", "nick": nick, "online": [nick, *online], "history": []}


def fake_chat(browser, chat_site, answer):
    site, port = chat_site
    page = browser.new_page()
    fake = FakeChat(page, f"ws://127.0.0.1:{port}/", answer)
    page.goto(f"{site}/chat/")
    return page, fake


def test_presence_frames_update_the_people_list_and_many_names_make_one_notice(
    browser, chat_site
):
    page, fake = fake_chat(
        browser,
        chat_site,
        lambda m: [welcome(m, ("bob",))] if m["type"] == "join" else [],
    )
    join(page, "ada")
    people, notices = page.locator("#chat-people li"), page.locator("#chat-log li")
    sync_api.expect(people).to_have_text(["ada", "bob"])

    # our own name, and one the welcome gave, are in the set already
    fake.send(type="presence", joined=["ada", "bob"], left=[], at=1e9)
    names = ["Zoë", "émile", "Carol", "<img src=x onerror=window.pwned=1>"]
    fake.send(type="presence", joined=names, left=["nobody"], at=1e9)
    everyone = sorted(["ada", "bob", *names], key=str.casefold)
    sync_api.expect(people).to_have_text(everyone)
    sync_api.expect(notices).to_have_text(
        [re.compile(f"{re.escape(name)} joined$") for name in names]
    )
    assert page.locator("#chat-room img").count() == 0

    # left first, then joined: bob going and coming back is still here
    fake.send(type="presence", joined=["bob"], left=["bob", "Carol"], at=1e9)
    sync_api.expect(notices.nth(-3)).to_have_text(re.compile("bob left$"))
    sync_api.expect(notices.nth(-2)).to_have_text(re.compile("Carol left$"))
    sync_api.expect(notices.nth(-1)).to_have_text(re.compile("bob joined$"))
    everyone.remove("Carol")
    sync_api.expect(people).to_have_text(everyone)

    crowd = [f"reader {n}" for n in range(12)]
    fake.send(type="presence", joined=crowd, left=[], at=1e9)
    sync_api.expect(notices.last).to_have_text(re.compile("12 people joined$"))
    sync_api.expect(notices.last).to_have_attribute(
        "title", ", ".join(sorted(crowd, key=str.casefold))
    )
    sync_api.expect(people).to_have_count(len(everyone) + 12)
    fake.send(type="presence", joined=[], left=crowd, at=1e9)
    sync_api.expect(notices.last).to_have_text(re.compile("12 people left$"))
    sync_api.expect(people).to_have_text(everyone)
    assert notices.count() == len(names) + 3 + 2
    assert page.evaluate("window.pwned") is None
    page.close()


@pytest.mark.parametrize(
    "code", ["bad-text", "bad-json", "rate-limited", "too-long", "something-new"]
)
def test_an_error_shows_the_servers_message_and_the_page_stays_joined(
    browser, chat_site, code
):
    error = {"type": "error", "code": code, "message": f"<b>{code}</b>, sorry"}
    page, fake = fake_chat(
        browser,
        chat_site,
        lambda m: [welcome(m)] if m["type"] == "join" else [error],
    )
    join(page, "ada")
    sync_api.expect(page.locator("#chat-status")).to_have_text("Connected as ada.")
    page.fill("#chat-text", "hello")
    page.press("#chat-text", "Enter")
    sync_api.expect(page.locator("#chat-status")).to_have_text(f"<b>{code}</b>, sorry")
    sync_api.expect(page.locator("#chat-room")).to_be_visible()
    sync_api.expect(page.locator("#chat-text")).to_be_enabled()
    assert len(fake.connections) == 1
    page.close()
