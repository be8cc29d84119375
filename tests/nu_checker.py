"""The Nu Html Checker (``vnu.jar``, the npm package ``vnu-jar`` pinned in
``tests/nu-checker/package-lock.json``) on Debian's Java, run once over many
files, its JSON report read into messages that name ``path:line:col``.

Feeds are not documents the checker validates (it has no Atom or RSS
schema), so a feed is checked the way a reader's feed reader sees it: the
HTML of each of its entries (Atom's ``type="html"`` text constructs, RSS's
``description``) is written into a minimal HTML document of its own, which
the checker validates like a page, and errors in it are reported against the
feed file and the entry they came from.
"""

from __future__ import annotations

import fcntl
import html
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "nu-checker"  # package.json and package-lock.json
JAR = PACKAGE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
REQUIRE = "REQUIRE_NU_CHECKER"
INSTALL_HINT = (
    "apt-get install -y default-jre-headless (and npm, if there is no `npm`), "
    "then `npm ci --ignore-scripts --prefix tests/nu-checker` "
    "(or let the tests run that themselves)"
)

ATOM = "http://www.w3.org/2005/Atom"
CONTENT = "http://purl.org/rss/1.0/modules/content/"
# Atom's text constructs; with type="html" their text is escaped HTML.
ATOM_TEXT = ("title", "subtitle", "summary", "content", "rights")


class Unavailable(Exception):
    """The checker cannot be run here; the message says what to install."""


def pinned_version() -> str:
    lock = json.loads((PACKAGE / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/vnu-jar"]["version"]


def installed_version() -> str | None:
    manifest = JAR.parents[2] / "package.json"
    if not JAR.is_file() or not manifest.is_file():
        return None
    return json.loads(manifest.read_text(encoding="utf-8")).get("version")


def find_java() -> str:
    java = shutil.which("java")
    if not java:
        raise Unavailable(f"no `java` on PATH for the Nu Html Checker: {INSTALL_HINT}")
    return java


def install_jar() -> Path:
    """The pinned ``vnu.jar``, running ``npm ci`` in ``tests/nu-checker`` first
    when it is missing or another version (one installer at a time, so that
    pytest-xdist's workers do not install over each other). Install scripts
    stay off: the package's only one downloads a Java runtime when it finds
    none, and the checker runs on Debian's."""
    wanted = pinned_version()
    with open(PACKAGE / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_version() == wanted:
            return JAR
        npm = shutil.which("npm")
        if not npm:
            raise Unavailable(
                f"vnu-jar {wanted} is not installed in tests/nu-checker and there "
                f"is no `npm` to install it: {INSTALL_HINT}"
            )
        command = [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"]
        result = subprocess.run(
            command, cwd=PACKAGE, capture_output=True, text=True, timeout=600
        )
        if result.returncode != 0 or installed_version() != wanted:
            raise Unavailable(
                f"`{' '.join(command)}` in {PACKAGE} did not install vnu-jar "
                f"{wanted} (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            )
        return JAR


@dataclass(frozen=True)
class Checker:
    java: str
    jar: Path
    version: str  # as the jar reports it, e.g. "26.9.27 (c6ba02c)"

    def command(self, *options: str) -> list[str]:
        return [self.java, "-jar", str(self.jar), *options]


def find_checker() -> Checker:
    """Java and the pinned jar, installed if need be, or ``Unavailable``."""
    java = find_java()
    jar = install_jar()
    result = subprocess.run(
        [java, "-jar", str(jar), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise Unavailable(
            f"`{java} -jar {jar} --version` failed (the checker needs Java 17 or "
            f"later: apt-get install -y default-jre-headless):\n"
            f"{result.stdout}{result.stderr}"
        )
    return Checker(java, jar, result.stdout.strip())


@dataclass(frozen=True)
class Message:
    """One message of the checker about one file."""

    path: Path
    kind: str  # "error", "warning", "info" or "non-document-error"
    text: str
    line: int | None = None
    column: int | None = None
    extract: str = ""
    hilite: tuple[int, int] = (0, 0)

    @classmethod
    def from_json(cls, message: dict) -> Message:
        kind = message["type"]
        if kind == "info" and message.get("subType") == "warning":
            kind = "warning"
        elif kind == "error" and message.get("subType") == "fatal":
            kind = "fatal error"
        elif kind == "non-document-error":
            kind = f"{message.get('subType', '')} error (not in the document)".lstrip()
        url = message.get("url", "")
        return cls(
            path=Path(unquote(urlsplit(url).path)).resolve() if url else Path(),
            kind=kind,
            text=message.get("message", ""),
            line=message.get("lastLine", message.get("firstLine")),
            column=message.get("firstColumn"),
            extract=message.get("extract", ""),
            hilite=(message.get("hiliteStart", 0), message.get("hiliteLength", 0)),
        )

    @property
    def is_error(self) -> bool:
        return self.kind not in ("warning", "info")

    def where(self) -> str:
        """``:line:col`` or ``:line``, or nothing for the whole file."""
        if self.line is None:
            return ""
        return f":{self.line}:{self.column}" if self.column else f":{self.line}"

    def shown_extract(self) -> str:
        """The checker's extract on one line, with a caret line under the
        part it highlights."""
        if not self.extract:
            return ""
        start, length = self.hilite
        flat = self.extract.replace("\r", " ").replace("\n", "↵").replace("\t", " ")
        carets = " " * start + "^" * max(length, 1)
        return f"\n    {flat}\n    {carets}"


@dataclass(frozen=True)
class FeedDocument:
    """A minimal HTML document made of one HTML text of one feed entry."""

    feed: Path
    entry: int  # 1-based position among the feed's entries (0: the feed itself)
    title: str
    element: str  # e.g. '<content type="html">'
    sourceline: int | None  # of that element in the feed file
    document: Path
    first_line: int  # line of the document where the entry's HTML starts
    html: str  # the entry's HTML itself

    def describe(self, message: Message, root: Path) -> str:
        where = f"{shown(self.feed, root)}:{self.sourceline or 1}"
        what = f'entry {self.entry} "{self.title}"' if self.entry else "the feed"
        if message.line is None:
            inner = "its HTML"
        else:
            line = message.line - self.first_line + 1
            if line < 1:  # an error the document's own wrapper brought out
                inner = "its HTML (in the document made around it)"
            elif line > len(self.html.splitlines()) or not self.html:
                inner = "the end of its HTML (an element it leaves open?)"
            else:
                inner = f"line {line}, column {message.column} of its HTML"
        return (
            f"{where}: {what}, {self.element}, {inner}: {message.kind}: "
            f"{message.text}{message.shown_extract()}"
        )


def shown(path: Path, root: Path) -> str:
    """``path`` as the tests show it: from the checked site's directory name,
    like ``output/2009/07/post/index.html``."""
    try:
        return str(Path(root.name) / path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def describe(message: Message, root: Path) -> str:
    return (
        f"{shown(message.path, root)}{message.where()}: {message.kind}: "
        f"{message.text}{message.shown_extract()}"
    )


class Unchecked(ValueError):
    """Part of a feed that this cannot check, at a line of the feed."""

    def __init__(self, text: str, line: int | None):
        super().__init__(text)
        self.line = line or 1


# A document as a feed reader shows an entry: its title as the heading, its
# HTML in a div (RFC 4287 3.1.1.2: HTML that "could validly appear directly
# within an HTML DIV element"). The HTML starts on line WRAPPER_FIRST_LINE.
WRAPPER = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<title>{title}</title>
</head>
<body>
<h1>{title}</h1>
<div>
{html}
</div>
</body>
</html>
"""
WRAPPER_FIRST_LINE = 10


def feed_documents(feed: Path, into: Path, default_lang: str) -> list[FeedDocument]:
    """Write a document for every HTML text of ``feed`` into ``into`` (which
    must exist). Raises lxml's ``XMLSyntaxError`` if the feed is not
    well-formed XML, and ``Unchecked`` for HTML this cannot check (Atom's
    ``type="xhtml"``)."""
    root = etree.parse(str(feed)).getroot()
    found: list[tuple[int, str, etree._Element, str]] = []
    if root.tag == f"{{{ATOM}}}feed":
        for index, parent in enumerate([root, *root.iterfind(f"{{{ATOM}}}entry")]):
            title = parent.findtext(f"{{{ATOM}}}title", "").strip()
            for name in ATOM_TEXT:
                for element in parent.iterfind(f"{{{ATOM}}}{name}"):
                    kind = element.get("type", "text")
                    if kind == "xhtml":
                        raise Unchecked(
                            f'<{name} type="xhtml">: only HTML text (type="html") '
                            "is checked; check this kind too before the site uses it",
                            element.sourceline,
                        )
                    if kind == "html":
                        found.append((index, title, element, f'<{name} type="html">'))
    elif root.tag == "rss":
        for index, item in enumerate(root.iterfind("channel/item"), start=1):
            title = item.findtext("title", "").strip()
            for element in item.iterfind("description"):
                found.append((index, title, element, "<description>"))
            for element in item.iterfind(f"{{{CONTENT}}}encoded"):
                found.append((index, title, element, "<content:encoded>"))
    else:
        raise Unchecked(f"neither an Atom nor an RSS 2.0 feed: <{root.tag}>", 1)
    documents = []
    for number, (index, title, element, name) in enumerate(found):
        lang = element.xpath("ancestor-or-self::*[@xml:lang][1]/@xml:lang")
        if not lang and root.tag == "rss":
            lang = root.xpath("channel/language/text()")
        path = into / f"{feed.stem}-{number:04d}.html"
        path.write_text(
            WRAPPER.format(
                lang=html.escape(lang[0].strip() if lang else default_lang),
                # on one line, so that the entry's HTML starts where it should
                title=html.escape(" ".join(f"{feed.name}: {title or name}".split())),
                html=element.text or "",
            ),
            encoding="utf-8",
        )
        documents.append(
            FeedDocument(
                feed,
                index,
                title,
                name,
                element.sourceline,
                path,
                WRAPPER_FIRST_LINE,
                element.text or "",
            )
        )
    return documents


@dataclass
class Report:
    """Every message of one or more checker runs, by file."""

    messages: dict[Path, list[Message]] = field(default_factory=dict)
    checked: set[Path] = field(default_factory=set)
    seconds: float = 0.0  # wall time of the runs

    def add(self, message: Message) -> None:
        self.messages.setdefault(message.path, []).append(message)

    def of(self, path: Path) -> list[Message]:
        return self.messages.get(path.resolve(), [])


class CheckerFailed(Exception):
    pass


def start(checker: Checker, files: list[Path], *options: str) -> subprocess.Popen:
    """Start one checker run over ``files`` (JSON on stdout)."""
    missing = [str(path) for path in files if not path.is_file()]
    if missing:  # the checker says nothing at all about a missing file
        raise FileNotFoundError(f"not there to check: {missing}")
    command = checker.command(
        "--format", "json", "--stdout", "--exit-zero-always", *options,
        *[str(path.resolve()) for path in files],
    )  # fmt: skip
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(run: subprocess.Popen, files: list[Path], report: Report) -> None:
    """Wait for a run started by ``start`` and add what it said to ``report``."""
    stdout, stderr = run.communicate(timeout=900)
    try:
        parsed = json.loads(stdout)
    except json.JSONDecodeError:
        parsed = None
    if run.returncode != 0 or not isinstance(parsed, dict):
        raise CheckerFailed(
            f"the Nu Html Checker failed (exit {run.returncode}): "
            f"{' '.join(run.args[:4])} ... ({len(files)} files)\n"
            f"{stdout[-4000:]}{stderr[-4000:]}"
        )
    for raw in parsed.get("messages", []):
        message = Message.from_json(raw)
        if not raw.get("url") and message.is_error:  # about no file: the run's
            raise CheckerFailed(f"the Nu Html Checker: {message.kind}: {message.text}")
        report.add(message)
    report.checked.update(path.resolve() for path in files)
    if stderr.strip():
        print(stderr, file=sys.stderr)


def run(checker: Checker, batches: list[tuple[list[Path], tuple[str, ...]]]) -> Report:
    """Run the checker once per batch of (files, options), all at once."""
    report = Report()
    started: list[tuple[subprocess.Popen, list[Path]]] = []
    begun = time.monotonic()
    try:
        for files, options in batches:
            started.append((start(checker, files, *options), files))
        for process, files in started:
            finish(process, files, report)
    finally:
        for process, _ in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    report.seconds = time.monotonic() - begun
    return report


def required() -> bool:
    return os.environ.get(REQUIRE) == "1"
