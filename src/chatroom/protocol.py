"""The chat's messages: JSON objects with a "type".

From a client:

- ``{"type": "join", "nick": "david"}``: first message, once;
- ``{"type": "say", "text": "hello"}``: a message to everyone;
- ``{"type": "who"}``: ask who is online.

From the server:

- ``{"type": "welcome", "nick", "online": [nicks], "history": [messages]}``;
- ``{"type": "message", "id", "nick", "text", "at"}`` (``at``: Unix time);
- ``{"type": "joined" | "left", "nick", "online": [nicks], "at"}``;
- ``{"type": "online", "online": [nicks]}``;
- ``{"type": "error", "code", "message"}``; the connection stays open
  unless the code says otherwise;
- ``{"type": "shutdown", "message"}`` before the server goes away.
"""

import json
import re
import unicodedata

NICK = re.compile(r"^[\w][\w.\- ]{0,22}[\w]$|^\w$")
NICK_LENGTH = 24
TEXT_LENGTH = 1000


class ProtocolError(Exception):
    """A message that breaks the protocol; ``code`` names the rule."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def parse(raw) -> dict:
    """A client's message, checked: a JSON object with a known type."""
    if not isinstance(raw, str):
        raise ProtocolError("not-text", "messages are JSON text, not binary")
    try:
        message = json.loads(raw)
    except ValueError:
        raise ProtocolError("bad-json", "that is not valid JSON") from None
    if not isinstance(message, dict) or message.get("type") not in (
        "join",
        "say",
        "who",
    ):
        raise ProtocolError(
            "bad-type", 'expected an object with "type": join, say or who'
        )
    return message


def nickname(message: dict) -> str:
    nick = message.get("nick")
    if not isinstance(nick, str):
        raise ProtocolError("bad-nick", "a nickname is a string")
    nick = unicodedata.normalize("NFC", nick.strip())
    if not 1 <= len(nick) <= NICK_LENGTH or not NICK.match(nick):
        raise ProtocolError(
            "bad-nick",
            f"a nickname is 1 to {NICK_LENGTH} letters, digits, spaces, dots, "
            "dashes or underscores, starting and ending with a letter or digit",
        )
    return nick


def text_of(message: dict) -> str:
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError("bad-text", "a message has some text")
    if len(text) > TEXT_LENGTH:
        raise ProtocolError(
            "too-long", f"a message has at most {TEXT_LENGTH} characters"
        )
    return text


def encode(kind: str, **fields) -> str:
    return json.dumps(
        {"type": kind, **fields}, ensure_ascii=False, separators=(",", ":")
    )
