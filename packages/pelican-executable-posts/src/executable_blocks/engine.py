"""Run the posts' blocks: sessions in parallel worker processes, through the cache.

Every post's sessions are handed to the zygote as soon as the build starts,
so they run on the other cores while Pelican reads posts one by one. The
builder reads their results between posts and never waits for one while it
reads: a post whose sessions have not finished yet gets its outcomes later
(see ``plugin.py``). Results are judged in the builder against what the post
claims, so the order in which sessions finish never shows.
"""

import ast
import hashlib
import logging
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import cache as cache_module
from . import render
from .blocks import Block
from .errors import BlockError, MalformedIndex, MalformedResult, NotRun, WorkerLost
from .judge import judge
from .paths import shown
from .protocol import (
    BlockRequest,
    BlockResult,
    CacheEntry,
    Confinement,
    Highlighted,
    HighlightRequest,
    Picture,
    Status,
    Tokens,
)
from .result_shape import check_result
from .writeback import Writeback
from .zygote_client import SessionRun, ZygoteClient

logger = logging.getLogger(__name__)


@dataclass
class Outcome:
    """What became of one block, as the page and the report show it."""

    block: Block
    status: Status
    reason: str  # "cache hit", or why it ran / did not
    result: BlockResult | None = None
    errors: list[BlockError] = field(default_factory=list)
    seconds: float = 0.0
    placeholder: str = ""  # pending: what stands in the page for it until then


@dataclass(eq=False)  # compared by identity: two sessions are never the same
class Session:
    path: str
    name: str
    blocks: list[Block]
    parts: list
    cached: list[BlockResult | None]  # each block's result in the cache
    reasons: list[str]
    run: SessionRun | None = None  # None: every block came from the cache
    # what is wrong with each result its run sent (None: nothing), checked once
    checked: dict[int, str | None] = field(default_factory=dict)

    def malformed(self, index: int, result, code_roots: list[Path]) -> str | None:
        if index not in self.checked:
            self.checked[index] = malformed(result, code_roots)
        return self.checked[index]


def imports_of(code: str) -> set[str]:
    """Modules a block imports at its top level (for the zygote to preload).
    Code Python cannot parse (a syntax error; nesting too deep for the
    parser, which raises ``RecursionError`` or ``MemoryError``; a null
    byte) imports nothing here: its worker reports it at its line."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return set()
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


class Engine:
    def __init__(
        self,
        cache: cache_module.ResultStore,
        code_dirs: list[Path],
        lockfile: Path | None = None,
        workers: int | None = None,
        timeout: float = 60.0,
        fresh: bool = False,
        progress=None,
        sandbox: dict | None = None,
        pass_env: tuple[str, ...] = (),
    ):
        self.cache = cache
        self.writeback = Writeback(cache)
        self.code_dirs = [Path(d) for d in code_dirs]
        self.code_roots = [d.resolve() for d in self.code_dirs]
        self.env = cache_module.environment_digest(lockfile)
        self.timeout = timeout
        self.fresh = fresh
        self.progress = progress
        try:
            self.index = cache.load_index()
        except MalformedIndex as error:
            logger.warning("%s; it is made anew (it only explains misses)", error)
            self.index = {}
        self.new_index: dict = {}
        self.sessions: dict[str, list[Session]] = {}
        # path -> the blocks last judged (the reader's list) and their outcomes
        self.outcomes_by_path: dict[str, tuple[list[Block], list[Outcome]]] = {}
        self.files: dict[str, bytes] = {}  # figure file name -> bytes
        self.rasters: dict[str, Picture] = {}  # SVG figure file name -> its PNG
        self.workers = workers
        self.sandbox, self.pass_env = sandbox, tuple(pass_env)
        self._zygote: ZygoteClient | None = None
        self.local_modules: dict[str, Path] | None = None  # name -> file
        self.to_highlight: set[str] = set()
        self.highlighting: SessionRun | None = None
        self.highlighted: dict[str, Tokens] = {}  # code -> its tokens

    # -- scheduling -------------------------------------------------------

    def submit(self, path: str, blocks: list[Block]) -> None:
        """Look up ``path``'s blocks in the cache, plan its sessions, and hand
        the ones the cache cannot answer to the zygote at once."""
        by_session: dict[str, list[Block]] = {}
        for block in blocks:
            if block.runs:
                by_session.setdefault(block.session, []).append(block)
        sessions = [self.plan(path, name, group) for name, group in by_session.items()]
        self.sessions[path] = sessions
        if self.progress:
            self.progress.add(sum(len(s.blocks) for s in sessions), path)
        for session in sessions:
            if None in session.cached:
                self.run(session)
            elif self.progress:
                self.progress.advance(len(session.blocks), session.path, ran=False)

    def run(self, session: Session) -> None:
        """Run the session's blocks up to its last cache miss in one worker:
        earlier blocks run again even when cached, to rebuild the state the
        missing ones start from. The zygote imports what they import first."""
        zygote = self.zygote()
        zygote.preload(self.imports(session))
        last = max(i for i, entry in enumerate(session.cached) if entry is None)
        blocks = session.blocks[: last + 1]
        timeouts = [float(b.options.get("timeout", self.timeout)) for b in blocks]
        requests = [self.request(block) for block in blocks]
        confinement = Confinement(
            network=any(b.options.get("network") == "on" for b in blocks),
            read=tuple(sorted({path for b in blocks for path in b.depends})),
        )
        session.run = zygote.submit(
            requests, timeouts, tag=session, confinement=confinement
        )
        self.to_highlight.update(b.code for b in blocks if b.shows("source"))

    def highlight(self) -> None:
        """Have the sources of the blocks submitted so far lexed by a worker,
        ahead of the sessions still waiting: Pygments' lexer is slow next to
        a small block, and Pelican's thread has posts to read."""
        if self.to_highlight and self.highlighting is None:
            request = HighlightRequest(tuple(sorted(self.to_highlight)))
            self.highlighting = self._zygote.submit(
                [request], [self.timeout], urgent=True
            )

    def tokens(self, code: str) -> Tokens | None:
        """``code``'s tokens: from the worker that lexes them, if it has and
        they are ``code``'s, else lexed here."""
        if self.highlighting and self.highlighting.done and not self.highlighted:
            run = self.highlighting
            codes, sent = run.requests[0].codes, run.results[0]
            # (a worker's: each of its token streams is checked before use)
            sent = getattr(sent, "tokens", None) if type(sent) is Highlighted else None
            if type(sent) is tuple and len(sent) == len(codes):
                self.highlighted = dict(zip(codes, sent, strict=True))
        tokens = self.highlighted.get(code)
        if render.tokens_match(code, tokens):
            return tokens
        return render.code_tokens(code)

    def plan(self, path: str, name: str, blocks: list[Block]) -> Session:
        parts = cache_module.key_parts(blocks, self.env)
        cached, reasons = [], []
        for index, part in enumerate(parts):
            identity = f"{path}::{name}::{index}"
            entry, refused = None, None
            if not self.fresh:
                try:
                    entry = self.cache.get(part.key)
                except cache_module.CACHE_FAILURES as error:
                    refused = error
                    logger.warning(
                        "%s:%s: %s; the block runs again",
                        path,
                        blocks[index].line,
                        error,
                    )
            changed = entry and cache_module.changed_dependency(entry)
            if self.fresh:
                reasons.append("forced")
            elif refused:
                reasons.append("cache entry refused")
            elif changed:
                entry = None
                reasons.append(f"dependency changed: {shown(changed)}")
            elif entry is None:
                reasons.append(cache_module.miss_reason(part, self.index.get(identity)))
            else:
                reasons.append("cache hit")
            if entry is None:
                logger.info("%s:%s runs: %s", path, blocks[index].line, reasons[-1])
            cached.append(entry and entry.result)
        return Session(path, name, blocks, parts, cached, reasons)

    # -- running ----------------------------------------------------------

    def zygote(self) -> ZygoteClient:
        if self._zygote is None:
            code_dirs = [str(d) for d in self.code_dirs]
            self._zygote = ZygoteClient(
                None,
                code_dirs,
                self.workers,
                sandbox=self.sandbox,
                pass_env=self.pass_env,
            )
        return self._zygote

    def imports(self, session: Session) -> set[str]:
        """What the zygote imports for ``session``: what its blocks import,
        except the posts' own modules (importing those may have side effects),
        and what those modules import in turn, so a worker imports nothing
        big (matplotlib) on its own."""
        modules = set()
        for block in session.blocks:
            modules |= imports_of(block.code)
            if block.mode == "pytest":
                modules |= {"pytest", "executable_blocks.pytest_runner"}
        if self.local_modules is None:
            self.local_modules = {
                p.stem: p / "__init__.py" if p.is_dir() else p
                for d in reversed(self.code_dirs)
                if d.is_dir()
                for p in d.iterdir()
            }
        found, seen = set(), set()
        while modules:
            name = modules.pop()
            top = name.split(".")[0]
            if top not in self.local_modules:
                found.add(name)
            elif top not in seen:
                seen.add(top)
                with suppress(OSError, UnicodeDecodeError):
                    modules |= imports_of(self.local_modules[top].read_text("utf-8"))
        return found

    def request(self, block: Block) -> BlockRequest:
        names = block.options.get("depends", "").split()  # (block.depends' order)
        return BlockRequest(
            code=block.code,
            filename=shown(block.source_file) if block.source_file else block.path,
            first_line=block.source_first_line,
            mode=block.mode,
            figure=block.options.get("figure", "auto"),
            animation=block.options.get("animation"),
            files=tuple(zip(names, block.depends, strict=True)) if names else (),
        )

    def poll(self, wait: Session | None = None) -> None:
        """Take in the results the zygote has sent; with ``wait``, until that
        session is done."""
        if self._zygote is None:
            return
        done = self._zygote.wait(wait.run) if wait else self._zygote.poll(0)
        for run in done:
            if run.tag:
                self.finished(run.tag)

    def finished(self, session: Session) -> None:
        """Keep what a session's run produced (with its code's tokens, and
        cached)."""
        self.store_results(session, session.run.results)
        if self.progress:
            self.progress.advance(len(session.blocks), session.path)

    def done(self, path: str) -> bool:
        """Whether every session of ``path`` has its results."""
        return all(s.run is None or s.run.done for s in self.sessions.get(path, []))

    # -- results ----------------------------------------------------------

    def outcomes(
        self, path: str, blocks: list[Block], wait: bool = True
    ) -> list[Outcome] | None:
        """The judged outcome of each of ``blocks``; without ``wait``, None
        if a session of theirs is still running."""
        judged = self.outcomes_by_path.get(path)
        if judged and judged[0] is blocks:
            return judged[1]  # (each placeholder of a post asks again)
        same = self.same_blocks(path, blocks)
        if judged and same:
            return judged[1]
        if not same:
            self.submit(path, blocks)  # not discovered, or changed since
        self.poll()
        sessions = self.sessions.get(path, [])
        if not wait and not self.done(path):
            return None
        outcomes = []
        runs = {}
        for session in sessions:
            if session.run and not session.run.done:
                self.poll(wait=session)
            ran = session.run.results if session.run else []
            for index, block in enumerate(session.blocks):
                runs[id(block)] = self.settle(session, index, ran)
        twins = Twins(sessions)
        for block in blocks:
            if block.runs:
                outcomes.append(runs[id(twins.of(block))])
            else:
                outcomes.append(display_only(block))
        for outcome, block in zip(outcomes, blocks, strict=True):
            outcome.block = block
        self.outcomes_by_path[path] = (blocks, outcomes)
        return outcomes

    def same_blocks(self, path: str, blocks: list[Block]) -> bool:
        submitted = [b for s in self.sessions.get(path, []) for b in s.blocks]
        submitted.sort(key=lambda b: b.line)
        runnable = sorted((b for b in blocks if b.runs), key=lambda b: b.line)
        if len(submitted) == len(runnable) and all(
            a is b for a, b in zip(submitted, runnable, strict=True)
        ):
            return True  # the very blocks found when the build started
        return [signature(b) for b in submitted] == [signature(b) for b in runnable]

    def settle(self, session: Session, index: int, ran: list) -> Outcome:
        """Judge one block of a finished session and keep its result."""
        block, parts = session.blocks[index], session.parts[index]
        identity = f"{session.path}::{session.name}::{index}"
        if index < len(ran):
            result = ran[index]
            if isinstance(result, WorkerLost):
                error = BlockError(block.path, block.line, str(result))
                status = Status.NOT_RUN if isinstance(result, NotRun) else Status.FAILED
                outcome = Outcome(block, status, session.reasons[index], None, [error])
                outcome.seconds = getattr(result, "seconds", 0.0)
            elif reason := session.malformed(index, result, self.code_roots):
                error = BlockError(
                    block.path,
                    block.line,
                    f"the worker sent a malformed result: {reason}",
                )
                outcome = Outcome(
                    block, Status.FAILED, session.reasons[index], None, [error]
                )
            else:
                reason = session.reasons[index]
                if reason == "cache hit":
                    reason = "replayed for a later block of its session"
                outcome = Outcome(
                    block, Status.RAN, reason, result, judge(block, result)
                )
                outcome.seconds = result.seconds
        else:
            result = session.cached[index]
            outcome = Outcome(
                block, Status.CACHED, "cache hit", result, judge(block, result)
            )
        if outcome.errors and outcome.status is not Status.NOT_RUN:
            outcome.status = Status.FAILED
        # failed or not is all a later build needs (and a warm build after a
        # cold one then leaves the index as it was)
        status = "failed" if outcome.status is Status.FAILED else "ok"
        self.new_index[identity] = {**parts, "status": status}
        return outcome

    def store_results(self, session: Session, results: list) -> None:
        """Give each well-formed result of a session's run its code's tokens
        (in ``results``), and cache those worth keeping."""
        # Blocks after the session's last miss did not run: no result for them.
        for index, block in enumerate(session.blocks[: len(results)]):
            if session.malformed(index, results[index], self.code_roots):
                continue
            if block.shows("source"):
                tokens = self.tokens(block.code)
                if tokens is not None:
                    results[index] = replace(results[index], tokens=tokens)
            if cacheable(block, results[index]):
                self.store(session.parts[index].key, results[index])

    def store(self, key: str, result: BlockResult) -> None:
        dependencies = tuple(
            (path, cache_module.file_digest(path)) for path in result.modules
        )
        self.writeback.add(key, CacheEntry(result, dependencies))

    def publish(self, item: Picture) -> str:
        """File name under which a figure or animation is written to the site."""
        name = published_name(item)
        self.files[name] = item.data
        if item.raster:
            self.rasters[name] = item.raster
        return name

    def publish_raster(self, name: str) -> str | None:
        """File name of the PNG of the SVG figure published as ``name``,
        written to the site from now on; None if there is none."""
        raster = self.rasters.get(name)
        return self.publish(raster) if raster else None

    def stop(self) -> None:
        """Stop the zygote, and every session still running, now (``close``
        does, once every outcome is in; a build that failed before then
        does, so that none outlives it)."""
        if self._zygote:
            self._zygote.close()
            self._zygote = None

    def close(self) -> list[Outcome]:
        """Wait for every session, stop the zygote, save the index; every
        outcome, in post order."""
        for path in sorted(self.sessions):
            if path not in self.outcomes_by_path:
                blocks = [b for s in self.sessions[path] for b in s.blocks]
                self.outcomes(path, sorted(blocks, key=lambda b: b.line))
        self.stop()
        self.cache.save_verified()  # before the writeback appends to it
        self.writeback.start()
        index = {**self.index, **self.new_index}
        try:
            if index != self.index:
                self.cache.save_index(index)
        except OSError as error:
            logger.warning("could not write the execution cache index: %s", error)
        return [
            o
            for path in sorted(self.outcomes_by_path)
            for o in self.outcomes_by_path[path][1]
        ]


def published_name(item: Picture) -> str:
    """A figure's file name: its content's hash, and its format."""
    return f"{hashlib.sha256(item.data).hexdigest()[:20]}.{item.format}"


class Twins:
    """The submitted block that stands for a block the reader found: the
    same object, or else one with the same line, code and options (a post
    read again); found through dictionaries, not a scan per block."""

    def __init__(self, sessions: list[Session]):
        self.submitted = {id(b): b for s in sessions for b in s.blocks}
        self.by_signature: dict[tuple, Block] | None = None

    def of(self, block: Block) -> Block:
        found = self.submitted.get(id(block))
        if found is not None:
            return found
        if self.by_signature is None:
            self.by_signature = {}
            for candidate in self.submitted.values():
                self.by_signature.setdefault(signature(candidate), candidate)
        try:
            return self.by_signature[signature(block)]
        except KeyError:
            raise KeyError(block.where) from None


def display_only(block: Block) -> Outcome:
    """The outcome of a block shown and not run, with the post's reason."""
    return Outcome(block, Status.DISPLAY_ONLY, block.options.get("reason", ""))


def signature(block: Block) -> tuple:
    return (block.line, block.code, tuple(sorted(block.options.items())))


def malformed(result, code_roots: list[Path]) -> str | None:
    """What is wrong with a result a worker sent (None: nothing). The code
    files it lists are read by the builder (for their digests), so each must
    be a file of the code directories: a block can make the list anything."""
    try:
        check_result(result)
    except MalformedResult as error:
        return str(error)
    for index, path in enumerate(result.modules):
        if not code_file(path, code_roots):
            return (
                f"the result.modules[{index}] {path[:300]!r} "
                "is not a file of the code directories"
            )
    return None


def code_file(path: str, code_roots: list[Path]) -> bool:
    """A regular file under one of ``code_roots`` (resolved), links resolved."""
    try:
        resolved = Path(path).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return False
    inside = any(resolved.is_relative_to(root) for root in code_roots)
    return inside and resolved.is_file()


def cacheable(block: Block, result: BlockResult) -> bool:
    """Results worth keeping: not those of an exception the post did not expect."""
    return result.exception is None or "raises" in block.options
