"""Check every written page against the whole output: links and images that
resolve, fragments that exist, nothing from another host unless allowed.

Pages are scraped in parallel (one pass each); references are resolved in
the builder against the set of files and the ids of every scraped page.
"""

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .page_facts import PageFacts, Reference, facts_of_all

SKIPPED_SCHEMES = ("mailto", "tel", "data", "javascript")
PARALLEL_FROM = 200  # pages; below that, starting workers costs more
CHUNK = 50


@dataclass(frozen=True)
class Problem:
    path: str  # the output file, as shown
    line: int
    column: int
    message: str
    source: str | None = None  # the post or page it was made from

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}:{self.column}: {self.message}"
        return f"{where} (from {self.source})" if self.source else where


def scrape_all(paths: list[str], workers: int | None = None) -> list[PageFacts]:
    if len(paths) < PARALLEL_FROM:
        return facts_of_all(paths)
    chunks = [paths[i : i + CHUNK] for i in range(0, len(paths), CHUNK)]
    # spawn, not fork: the builder has threads (Pelican's status line) by now
    with ProcessPoolExecutor(
        workers or os.cpu_count(), mp_context=get_context("spawn")
    ) as pool:
        return [facts for chunk in pool.map(facts_of_all, chunks) for facts in chunk]


class SiteCheck:
    def __init__(
        self,
        output: Path,
        own_origins: list[str],
        link_hosts: list[str],
        resource_hosts: list[str],
    ):
        self.output = Path(output).resolve()
        self.own_origins = [o.rstrip("/") for o in own_origins if o]
        self.link_hosts = set(link_hosts)
        self.resource_hosts = set(resource_hosts)

    def run(self, pages: list[Path], sources: dict[str, str], shown) -> list[Problem]:
        facts = scrape_all([str(Path(p).resolve()) for p in pages])
        ids = {f.path: set(f.ids) for f in facts}
        problems = []
        for page in facts:
            source = sources.get(page.path)
            where = shown(page.path)
            problems += [
                Problem(where, line, col, msg, source)
                for line, col, msg in page.problems
            ]
            for reference in page.references:
                message = self.problem_with(Path(page.path), reference, ids)
                if message:
                    problems.append(
                        Problem(
                            where, reference.line, reference.column, message, source
                        )
                    )
        return sorted(problems, key=lambda p: (p.path, p.line, p.column))

    def problem_with(self, page: Path, reference: Reference, ids: dict) -> str | None:
        url = reference.url
        for origin in self.own_origins:
            if url == origin or url.startswith(origin + "/"):
                url = url[len(origin) :] or "/"
                break
        parts = urlsplit(url)
        if parts.scheme in SKIPPED_SCHEMES:
            return None
        if parts.scheme or parts.netloc:
            return self.foreign(reference, parts.hostname or "")
        target = self.resolve(page, unquote(parts.path))
        element = f'<{reference.tag} {reference.attribute}="{reference.url}">'
        if target is None:
            return f"{element}: no such file in the site"
        wanted = parts.fragment and target.suffix == ".html"
        if wanted and parts.fragment not in ids.get(str(target), set()):
            return f'{element}: no element with id "{parts.fragment}" on that page'
        return None

    def foreign(self, reference: Reference, host: str) -> str | None:
        element = f'<{reference.tag} {reference.attribute}="{reference.url}">'
        if reference.tag in ("a", "area"):
            if host in self.link_hosts:
                return None
            return (
                f"{element}: link to another host ({host}), not in EXTERNAL_LINK_HOSTS"
            )
        if host in self.resource_hosts:
            return None
        return f"{element}: loads from another host ({host})"

    def resolve(self, page: Path, path: str) -> Path | None:
        """The output file a URL path names (directories mean their index.html)."""
        if not path:
            return page
        target = (
            (self.output / path.lstrip("/"))
            if path.startswith("/")
            else page.parent / path
        )
        target = Path(os.path.normpath(target))
        if not target.is_relative_to(self.output):
            return None
        if path.endswith("/") or target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None
