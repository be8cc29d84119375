"""The chat's messages: JSON objects with a "type".

From a client:

- ``{"type": "join", "nick": "david"}``: first message, once;
- ``{"type": "say", "text": "hello"}``: a message to everyone;
- ``{"type": "who"}``: ask who is online.

From the server:

- ``{"type": "welcome", "nick", "online": [nicks], "history": [messages]}``;
- ``{"type": "message", "id", "nick", "text", "at"}`` (``at``: Unix time);
- ``{"type": "presence", "joined": [nicks], "left": [nicks], "at"}``: who
  came and went, gathered over half a second; apply ``left``, then
  ``joined`` (which may name the receiver itself);
- ``{"type": "online", "online": [nicks]}``: the answer to ``who``;
- ``{"type": "error", "code", "message"}``; the connection stays open
  unless the code says otherwise;
- ``{"type": "shutdown", "message"}`` before the server goes away.

Every message a client sends counts against its rate limits, whatever it is.
"""

import json

TEXT_LENGTH = 1000
# A message is a flat object. One with more brackets than this outside its
# strings is refused unparsed: the parser recurses for each level of
# nesting, and catching the RecursionError of 2,000 levels left whatever ran
# at the bottom of the stack then (a finalizer, the garbage collector's
# callbacks) to fail in turn.
MAX_BRACKETS = 32
MESSAGE_HEAD = '{"type":"message","id":'
KINDS = ("join", "say", "who")


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
        if brackets(raw) > MAX_BRACKETS:
            raise ValueError("more structure than a message has")
        message = json.loads(raw)
    except ValueError:
        raise ProtocolError(
            "bad-json",
            f"that is not valid JSON (or it has over {MAX_BRACKETS} brackets)",
        ) from None
    if not isinstance(message, dict) or message.get("type") not in KINDS:
        raise ProtocolError(
            "bad-type", 'expected an object with "type": join, say or who'
        )
    return message


def brackets(raw: str) -> int:
    """How many ``[`` and ``{`` open something in ``raw`` (not in a string),
    in one pass over it: a regular expression for strings took time
    quadratic in the length of an unterminated one full of escaped quotes."""
    count = raw.count("[") + raw.count("{")
    if count <= MAX_BRACKETS:
        return count  # (no need to look closer)
    count, in_string, escaped = 0, False, False
    for char in raw:
        if escaped:
            escaped = False
        elif in_string:
            escaped = char == "\\"
            in_string = char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            count += 1
    return count


def text_of(message: dict) -> str:
    """The text of a ``say``: present, short enough, and real Unicode (a lone
    surrogate, which JSON can escape, cannot be sent on to anyone)."""
    text = message.get("text")
    if not isinstance(text, str) or not text.strip():
        raise ProtocolError("bad-text", "a message has some text")
    if len(text) > TEXT_LENGTH:
        raise ProtocolError(
            "too-long", f"a message has at most {TEXT_LENGTH} characters"
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError(
            "bad-text", "a message is Unicode text (no lone surrogates)"
        ) from None
    return text


def encode(kind: str, **fields) -> str:
    return json.dumps(
        {"type": kind, **fields}, ensure_ascii=False, separators=(",", ":")
    )


def message_around_id(nick: str, text: str, at: float) -> tuple[str, str]:
    """A ``message`` frame split where its id goes, so that whoever numbers
    it (this process, or Redis) only puts the number in between."""
    frame = encode("message", id=0, nick=nick, text=text, at=at)
    return MESSAGE_HEAD, frame[len(MESSAGE_HEAD) + 1 :]


def welcome(nick: str, online: list[str], history: list[str]) -> str:
    """The welcome, with the history's frames as they were sent."""
    return (
        encode("welcome", nick=nick, online=online)[:-1]
        + ',"history":['
        + ",".join(history)
        + "]}"
    )
