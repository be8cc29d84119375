"""Check every written page against the whole output: links and images that
resolve, fragments that exist, nothing from another host unless allowed.

The output's files are listed once; then pages are checked in parallel by
forked workers, each scraping a page in one pass and judging its references
against that list. Only a #fragment on another page waits for the end, when
every page's ids are known.

A post's summary is shown on every list of posts it is on (the index, its
tags', category's and author's pages...), its links leading where they did
on the post's page: a broken one there is the post's, reported once, at the
post, naming the lists, rather than once a list naming only the list.
"""

import os
import re
from collections import defaultdict
from collections.abc import Hashable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import unquote, urlsplit

from tagpositions.scraper import line_starts

from .page_facts import Reference, facts_of

SKIPPED_SCHEMES = ("mailto", "tel")  # nothing to check, nothing run
REFUSED_SCHEMES = ("javascript", "vbscript")  # run code when followed
# Where a data: URL is a document or a script of its own (an image, video
# or font in one is only data).
NO_DATA_IN = ("a", "area", "iframe", "script", "object", "embed", "form")
# A backslash, whitespace or a control character in a URL: browsers (the
# WHATWG URL standard) read the backslash as "/" in web and relative URLs,
# drop tabs and newlines, and strip or encode the rest; urlsplit does not,
# so the host or path this check reads would not be the one they open.
UNSAFE = re.compile(r"[\\\x00-\x20\x7f-\x9f]")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # shown escaped in the log
PARALLEL_FROM = 200  # pages; below that, starting workers costs more
SHOWN_LISTS = 3  # lists a post's problem names in the log (the report, all)
# What a reader follows (held to EXTERNAL_LINK_HOSTS); every other reference
# loads or sends something (held to the resource hosts).
NAVIGATIONS = frozenset(
    (
        ("a", "href"),
        ("a", "xlink:href"),
        ("area", "href"),
        ("form", "action"),
        ("button", "formaction"),
        ("input", "formaction"),
        ("meta", "content"),
    )
)


@dataclass(frozen=True)
class Problem:
    path: str  # the output file, as shown
    line: int
    column: int
    message: str
    source: str | None = None  # the post or page it was made from
    # the lists of posts whose copy of the post's summary has it too
    also_on: tuple[str, ...] = ()

    def __str__(self) -> str:
        shown = f"{self.path}:{self.line}:{self.column}: {self.message}"
        if self.also_on:
            few, more = self.also_on[:SHOWN_LISTS], len(self.also_on) - SHOWN_LISTS
            lists = ", ".join(few) + (f" and {more} more" if more > 0 else "")
            count = len(self.also_on)
            lists_of = "list" if count == 1 else "lists"
            shown += f"; also in its summary on {count} {lists_of} of posts: {lists}"
        if self.source:  # (last: a line ends with the post it is about)
            shown += f" (from {self.source})"
        # a page's text in the log: no control character reaches the terminal
        return CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", shown)


# What a problem is about, the same on every page that shows it: (tag,
# attribute, where the URL leads) for a reference, the message for the rest.
What = Hashable


@dataclass
class PageReport:
    path: str
    ids: list[str]
    problems: list[tuple[int, int, str, What]] = field(default_factory=list)
    # (line, column, element, target page, fragment, what): known once all
    # ids are
    fragments: list[tuple[int, int, str, str, str, What]] = field(default_factory=list)


WORKER_CHECK: "SiteCheck | None" = None  # in a worker: the check it serves


def serve_check(check: "SiteCheck") -> None:
    """A worker's initializer: with the fork context, ``check`` (and its
    list of files) is inherited, never pickled."""
    global WORKER_CHECK
    WORKER_CHECK = check


def check_chunk(paths: list[str]) -> list[PageReport]:
    return [WORKER_CHECK.check_page(path) for path in paths]


class SiteCheck:
    def __init__(
        self,
        output: Path,
        own_origins: list[str],
        link_hosts: list[str],
        resource_hosts: list[str],
        site_path: str = "",
    ):
        self.output = os.path.realpath(output)
        self.own_origins = [o.rstrip("/") for o in own_origins if o]
        # where the site is served on its host ("/blog" for SITEURL
        # https://example.org/blog): a link from the host's root must start so
        self.site_path = site_path.rstrip("/")
        self.link_hosts = set(link_hosts)
        self.resource_hosts = set(resource_hosts)
        self.verdicts: dict[tuple[str, str, str], tuple | None] = {}

    def run(
        self,
        pages: list[Path],
        sources: dict[str, str],
        shown,
        lists: dict[str, dict[str, set[str]]] | None = None,
    ) -> list[Problem]:
        """The problems of ``pages``; ``sources``: what a page was made
        from, as shown; ``lists``: a list of posts' page -> the page of each
        post it shows -> that post's summary as lists show it (a text for
        each SITEURL it was made on)."""
        self.files, self.folders = self.inventory()
        paths = [os.path.realpath(p) for p in pages]
        reports = self.check_all(paths)
        ids = {report.path: set(report.ids) for report in reports}
        found = {}
        for report in reports:
            found[report.path] = list(report.problems)
            for line, column, element, target, fragment, what in report.fragments:
                if not leads_somewhere(fragment, ids.get(target, ())):
                    message = f'{element}: no element with id "{fragment}" on that page'
                    found[report.path].append((line, column, message, what))
        also_on, made_from = summarised(found, lists or {})
        problems = [
            Problem(
                shown(path),
                line,
                column,
                message,
                sources.get(made_from.get((path, line, column), path)),
                tuple(shown(page) for page in sorted(also_on.get((path, what), ()))),
            )
            for path, page_problems in found.items()
            for line, column, message, what in page_problems
        ]
        return sorted(problems, key=lambda p: (p.path, p.line, p.column))

    def check_all(self, paths: list[str]) -> list[PageReport]:
        if len(paths) < PARALLEL_FROM:
            return [self.check_page(path) for path in paths]
        workers = os.cpu_count() or 1
        size = len(paths) // (workers * 4) + 1
        chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
        # forked: the workers inherit this check and the list of files, and
        # only read files (no lock of the builder's other threads is needed)
        with ProcessPoolExecutor(
            workers,
            mp_context=get_context("fork"),
            initializer=serve_check,
            initargs=(self,),
        ) as pool:
            return [
                report for chunk in pool.map(check_chunk, chunks) for report in chunk
            ]

    def inventory(self) -> tuple[set[str], set[str]]:
        """Every file and folder of the output, walked once."""
        files, folders = set(), set()
        for folder, _, names in os.walk(self.output):
            folders.add(folder)
            files.update(os.path.join(folder, name) for name in names)
        return files, folders

    def check_page(self, path: str) -> PageReport:
        facts = facts_of(path)
        problems = [(*problem, problem[2]) for problem in facts.problems]
        report = PageReport(path, facts.ids, problems)
        own_ids = set(facts.ids)
        for reference in facts.references:
            verdict = self.verdict(path, reference)
            if verdict is None:
                continue
            line, column = reference.line, reference.column
            what = (reference.tag, reference.attribute, self.leads_to(path, reference))
            if isinstance(verdict, str):
                report.problems.append((line, column, verdict, what))
                continue
            element, target, fragment = verdict
            if target == path:
                if not leads_somewhere(fragment, own_ids):
                    message = f'{element}: no element with id "{fragment}" on that page'
                    report.problems.append((line, column, message, what))
            else:
                report.fragments.append((line, column, element, target, fragment, what))
        return report

    def verdict(self, page: str, reference: Reference):
        """None (fine), a problem, or a fragment to look for on a page.
        Pages share most of their links (navigation, tags): each is judged
        once per folder (once per page for a bare #fragment)."""
        place = page if reference.url.startswith("#") else os.path.dirname(page)
        key = (place, reference.tag, reference.url)
        if key not in self.verdicts:
            self.verdicts[key] = self.judge(page, reference)
        return self.verdicts[key]

    def judge(self, page: str, reference: Reference):
        url = reference.url
        element = f'<{reference.tag} {reference.attribute}="{url}">'
        unsafe = UNSAFE.search(url)
        if unsafe:
            return f"{element}: {unsafe_character(unsafe[0])}"
        url = self.from_own_origin(url)
        below = self.below_site_path(url)
        if below is None:
            return (
                f"{element}: the site is served at {self.site_path}/ "
                "(SITEURL), and this link leads out of it"
            )
        url = below
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError as error:  # "http://[oops/": Invalid IPv6 URL
            return f"{element}: not a valid URL ({error})"
        if parts.scheme in SKIPPED_SCHEMES:
            return None
        if parts.scheme in REFUSED_SCHEMES:
            return f"{element}: a {parts.scheme}: URL runs code: not allowed"
        if parts.scheme == "data":
            if reference.tag in NO_DATA_IN:
                return (
                    f"{element}: a data: URL here is a document or script of "
                    "its own: not allowed"
                )
            return None
        if not parts.scheme and url.startswith("///"):
            return (
                f"{element}: browsers read the host after any number of slashes "
                "(this check, after two): write two or one"
            )
        if parts.scheme or parts.netloc:
            return self.foreign(reference, host)
        target = self.resolve(page, unquote(parts.path))
        if target is None:
            return f"{element}: no such file in the site"
        if parts.fragment and target.endswith(".html"):
            return element, target, parts.fragment
        return None

    def from_own_origin(self, url: str) -> str:
        """``url`` from the host's root if it is on one of the site's own
        origins (the origin's path kept, so that the site's path is held to
        below, whichever origin); else as it is."""
        for origin in self.own_origins:
            if url == origin or url.startswith(origin + "/"):
                return urlsplit(origin).path + (url[len(origin) :] or "/")
        return url

    def below_site_path(self, url: str) -> str | None:
        """``url``, a path from the host's root, made one from the site's
        root (``SITEURL``'s path taken off); None if it leads out of that
        path. Any other URL as it is."""
        if not self.site_path or not url.startswith("/") or url.startswith("//"):
            return url
        path = re.split(r"[?#]", url, maxsplit=1)[0]
        if path != self.site_path and not path.startswith(self.site_path + "/"):
            return None
        rest = url[len(self.site_path) :]
        return rest if rest.startswith("/") else "/" + rest

    def foreign(self, reference: Reference, host: str) -> str | None:
        element = f'<{reference.tag} {reference.attribute}="{reference.url}">'
        if not host:  # "http:/x", "https:x", "ftp:///x", "about:blank", ...
            return f"{element}: no host this check and browsers read alike"
        if (reference.tag, reference.attribute) in NAVIGATIONS:
            if host in self.link_hosts:
                return None
            return (
                f"{element}: link to another host ({host}), not in EXTERNAL_LINK_HOSTS"
            )
        if host in self.resource_hosts:
            return None
        return f"{element}: loads from another host ({host})"

    def leads_to(self, page: str, reference: Reference) -> str:
        """Where a reference of ``page`` leads, written alike from every page
        (an output path and its fragment, found or not), or its URL as
        written if it is no path of the site: a link of a post's summary
        leads to the same place from the post and from a list of posts,
        whether the list shows it on the site's absolute address or not."""
        url = self.from_own_origin(reference.url)
        url = self.below_site_path(url) or url
        try:
            parts = urlsplit(url)
        except ValueError:
            return url
        if UNSAFE.search(url) or parts.scheme or parts.netloc:
            return url
        path = unquote(parts.path)
        target = self.resolve(page, path) or self.place(page, path)
        return f"{target}#{parts.fragment}"

    def place(self, page: str, path: str) -> str:
        """The output path a URL path names (from ``page``), whether or not
        anything is there."""
        base = self.output if path.startswith("/") else os.path.dirname(page)
        return os.path.normpath(os.path.join(base, path.lstrip("/")))

    def resolve(self, page: str, path: str) -> str | None:
        """The output file a URL path names (a folder means its index.html);
        the page itself for a bare fragment (empty path)."""
        if not path:
            return page
        target = self.place(page, path)
        if not (target + os.sep).startswith(self.output + os.sep):
            return None
        if path.endswith("/") or target in self.folders:
            target = os.path.join(target, "index.html")
        return target if target in self.files else None


def summarised(
    found: dict[str, list[tuple[int, int, str, What]]],
    lists: dict[str, dict[str, set[str]]],
) -> tuple[dict[tuple[str, What], set[str]], dict[tuple[str, int, int], str]]:
    """Take each problem of a post's summary on a list of posts off the
    list's problems (``found``: page -> its problems, changed in place).
    Returns (post's page, what) -> the lists it was taken off, and (list,
    line, column) -> post's page for each one left on a list inside a
    post's summary.

    A list's problem is the post's when it lies inside a copy of the
    summary of a post the list shows, and the post's page has a problem
    about the same thing (the same element and attribute leading to the
    same place): it is reported there (with every problem of that page
    about that thing: a template's link to the same place there too). One
    of the list's own (its template's, even one leading to the same place)
    stays the list's, and so does one that the post's page does not have (a
    ``Summary:`` of its metadata, shown on lists alone), naming the post."""
    whats = {page: {problem[3] for problem in found[page]} for page in found}
    texts: dict[str, tuple[str, list[int]]] = {}  # page -> text, line starts
    also_on, made_from = defaultdict(set), {}
    for page, posts in lists.items():
        kept = []
        for line, column, message, what in found.get(page, ()):
            inside = [
                post
                for post, summaries in posts.items()
                if any(
                    shown_around(page, line, column, summary, texts)
                    for summary in summaries
                )
            ]
            holders = [post for post in inside if what in whats.get(post, ())]
            for post in holders:
                also_on[post, what].add(page)
            if not holders:
                kept.append((line, column, message, what))
                if inside:
                    made_from[page, line, column] = inside[0]
        if page in found:
            found[page] = kept
    return also_on, made_from


def shown_around(page: str, line: int, column: int, shown: str, texts) -> bool:
    """Whether ``page`` holds ``shown`` around ``line``:``column`` (read
    once a page, in ``texts``, as ``facts_of`` reads it)."""
    if page not in texts:
        text = Path(page).read_text(encoding="utf-8", errors="replace")
        texts[page] = text, line_starts(text)
    text, starts = texts[page]
    offset = starts[line - 1] + column - 1
    # (first, cheaply: the tag there, to its first ">", is in the copy; a
    # theme's broken link is on every list, each showing many summaries)
    if not shown or text[offset : text.find(">", offset) + 1] not in shown:
        return False
    # the first copy that ends after ``offset``: around it, if it starts
    # at or before it
    start = text.find(shown, max(0, offset - len(shown) + 1))
    return 0 <= start <= offset


def leads_somewhere(fragment: str, ids) -> bool:
    """Whether a browser scrolls to ``fragment`` on a page of ``ids`` (its
    ids and ``<a name>``s): "#top" is the page's top where nothing is
    named so (HTML's rule, any case)."""
    return fragment in ids or fragment.lower() == "top"


def unsafe_character(character: str) -> str:
    """Why a URL holding ``character`` is not the one browsers open."""
    if character == "\\":
        return (
            'a backslash in a URL: browsers read it as "/", so the host or '
            'path they open is not the one checked; write "/" or "%5C"'
        )
    what = "a space" if character == " " else "whitespace or a control character"
    return (
        f"{what} ({ord(character):#04x}) in a URL: browsers drop or encode it, "
        "so what they open is not what is checked; percent-encode it"
    )
