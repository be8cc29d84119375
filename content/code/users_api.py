"""A small XML API with one noun, "users", and one verb, "show".

It stands in for the 2009 API of "API Functional Testing with Python" so that
the post's functional tests run for real, over HTTP, when the blog is built:

    GET /users/show?max_count=10&order_by=date

``max_count`` (1-100) is required; ``order_by`` is ``date`` (newest first),
``name`` or omitted (by id). Errors come back as ``<error code="400">``.
"""

import threading
from datetime import date, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

NAMES = [
    "ada",
    "alan",
    "barbara",
    "brian",
    "dennis",
    "donald",
    "edsger",
    "frances",
    "grace",
    "guido",
    "ken",
    "linus",
    "margaret",
    "niklaus",
    "radia",
    "rob",
    "tim",
    "tony",
]
USERS = [
    {"id": number, "name": name, "joined": date(2008, 1, 7) + timedelta(days=37 * n)}
    for n, (number, name) in enumerate(
        zip(
            range(1, len(NAMES) + 1), sorted(NAMES, key=lambda s: s[::-1]), strict=False
        )
    )
]
ORDERS = {
    "": lambda user: user["id"],
    "name": lambda user: user["name"],
    "date": lambda user: -user["joined"].toordinal(),
}


class BadRequest(Exception):
    pass


def show_users(query: dict[str, list[str]]) -> ElementTree.Element:
    """The <users> document for a ``users/show`` query."""
    counts = query.get("max_count", [""])
    if not counts[0]:
        raise BadRequest("max_count is required")
    try:
        max_count = int(counts[0])
    except ValueError:
        raise BadRequest(
            f"max_count must be a whole number, not {counts[0]!r}"
        ) from None
    if not 1 <= max_count <= 100:
        raise BadRequest("max_count must be between 1 and 100")
    order_by = query.get("order_by", [""])[0]
    if order_by not in ORDERS:
        raise BadRequest(f"order_by must be date or name, not {order_by!r}")
    users = ElementTree.Element("users")
    for user in sorted(USERS, key=ORDERS[order_by])[:max_count]:
        element = ElementTree.SubElement(users, "user", id=str(user["id"]))
        ElementTree.SubElement(element, "name").text = user["name"]
        ElementTree.SubElement(element, "joined").text = user["joined"].isoformat()
    users.set("count", str(len(users)))
    return users


class UsersHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path != "/users/show":
            return self.reply(HTTPStatus.NOT_FOUND, error(404, "no such noun or verb"))
        try:
            document = show_users(parse_qs(parts.query, keep_blank_values=True))
        except BadRequest as problem:
            return self.reply(HTTPStatus.BAD_REQUEST, error(400, str(problem)))
        self.reply(HTTPStatus.OK, document)

    def reply(self, status: HTTPStatus, document: ElementTree.Element) -> None:
        body = ElementTree.tostring(document, encoding="utf-8", xml_declaration=True)
        self.send_response(status)
        self.send_header("Content-Type", "application/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass  # quiet: the build's output is the post's, not the server's


def error(code: int, message: str) -> ElementTree.Element:
    element = ElementTree.Element("error", code=str(code))
    element.text = message
    return element


class UsersAPI:
    """The API served from a thread on 127.0.0.1 and a free port."""

    def __init__(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), UsersHandler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_server() -> UsersAPI:
    return UsersAPI()
