"""What the builder, the zygote and the workers say to each other, and what
the cache keeps, as plain data.

Every message is a frozen dataclass of this module holding only builtins
(text, numbers, bytes, tuples, None) and other classes of this module, so
it needs no class of a block's to be unpickled, and the unpicklers that read
what a worker sent or a cache entry allow exactly these classes (``ALLOWED``)
and nothing else. Their fields are the documentation of the protocol;
``result_shape`` checks them on what comes from a worker or the cache.

The conversation:

- builder to zygote (pickled): ``Preload``, ``RunSession`` (of
  ``BlockRequest``s, or a ``HighlightRequest``), ``Stop``;
- worker to builder, relayed by the zygote unread: a ``BlockResult`` (or a
  ``Highlighted``) per request;
- zygote to builder: a ``FromZygote`` kind and a session number
  (``HEAD``), then what the kind carries: a worker's pickled result, how
  a worker ended (``ENDING``; ``WorkerExit`` for the zygote's own exit
  codes), or for ``SANDBOX`` what isolation the zygote got (JSON). These
  are packed with ``struct``: the zygote passes a result through without
  unpickling it;
- the cache keeps a ``CacheEntry`` per block.

A block's outcome in the build has a ``Status``.
"""

import enum
import struct
from dataclasses import dataclass

Tokens = tuple[tuple[str, str], ...]  # (CSS class, text) pairs: render.py


@dataclass(frozen=True, slots=True)
class BlockRequest:
    """Run one block: its code, and how tracebacks and options see it."""

    code: str
    filename: str  # the post, or its included file, as tracebacks name it
    first_line: int  # of the code in that file
    mode: str  # "on", or "pytest"
    figure: str = "auto"  # format of its figures: auto, svg or png
    animation: str | None = None  # gif or mp4: save its animations
    # its depends= files, (name as written, path): each is linked by its name
    # in the working directory, where it stays inside it
    files: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class HighlightRequest:
    """Lex these codes (the builder's chore, done in a worker)."""

    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Confinement:
    """What a session may do beyond the sandbox's defaults."""

    network: bool = False
    read: tuple[str, ...] = ()  # paths it may read (its depends= files)


@dataclass(frozen=True, slots=True)
class Preload:
    """Import these modules before forking the sessions sent after this."""

    modules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunSession:
    """Run a session's requests in order, in a worker of its own."""

    number: int  # the builder's name for the session
    requests: tuple[BlockRequest | HighlightRequest, ...]
    timeouts: tuple[float, ...]  # seconds each request may take
    urgent: bool = False  # ahead of the sessions waiting
    confinement: Confinement = Confinement()


@dataclass(frozen=True, slots=True)
class Stop:
    """Kill every worker and exit."""


@dataclass(frozen=True, slots=True)
class ExceptionInfo:
    """What a block raised: enough to judge and show it, not the object."""

    type: str
    types: tuple[str, ...]  # qualified names of its class and its bases
    message: str
    traceback: str  # from the block's first frame on
    line: int | None  # the block's deepest line in it


@dataclass(frozen=True, slots=True)
class Picture:
    """A figure or an animation, saved."""

    format: str  # svg, png, gif or mp4
    width: int  # pixels
    height: int
    data: bytes
    smallest_text_px: float | None = None  # None: it shows no text
    narrow: "Picture | None" = None  # laid out for phones
    raster: "Picture | None" = None  # an SVG's PNG, for sharing


@dataclass(frozen=True, slots=True)
class PytestOutcome:
    """One test of a ``exec="pytest"`` block."""

    id: str
    outcome: str  # passed, failed, skipped or error
    message: str = ""
    line: int | None = None  # where it failed, in the post's lines


@dataclass(frozen=True, slots=True)
class BlockResult:
    """Everything a block left behind, as its page and the judge see it."""

    stdout: str
    stderr: str
    exception: ExceptionInfo | None
    figures: tuple[Picture, ...]
    animations: tuple[Picture, ...]
    tests: tuple[PytestOutcome, ...]
    seconds: float
    modules: tuple[str, ...]  # code-directory files the session had imported
    tokens: Tokens | None = None  # of its code; added by the builder


@dataclass(frozen=True, slots=True)
class Highlighted:
    """The tokens of each code of a ``HighlightRequest`` (None: no lexing)."""

    tokens: tuple[Tokens | None, ...]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """A block's result, and the digests of the files it depended on."""

    result: BlockResult
    dependencies: tuple[tuple[str, str | None], ...]  # (path, digest or None)


CLASSES = (
    BlockRequest,
    HighlightRequest,
    Confinement,
    Preload,
    RunSession,
    Stop,
    ExceptionInfo,
    Picture,
    PytestOutcome,
    BlockResult,
    Highlighted,
    CacheEntry,
)
# What the restricted unpicklers allow: these classes, and no other.
ALLOWED = frozenset((cls.__module__, cls.__qualname__) for cls in CLASSES)


class FromZygote(enum.IntEnum):
    """What a message of the zygote's carries after its ``HEAD``."""

    READY = 0  # the modules are imported (its session: the zygote's pid)
    RESULT = 1  # a block's result, as its worker pickled it
    ENDED = 2  # the session's worker ended: ``ENDING``
    STARTED = 3  # the session's worker is forked
    SANDBOX = 4  # what isolation the zygote got, as JSON


class WorkerExit(enum.IntEnum):
    """Exit codes the zygote reports for a worker beyond the worker's own."""

    FAILED = 70  # it failed itself
    UNCONFINED = 71  # it could not enter its sandbox (nothing ran)
    OVERSIZED = 72  # the zygote killed it for a result over frames.MAX_FRAME
    OVERRUN = 73  # the zygote killed it for more results than its blocks
    LINGERED = 74  # the zygote killed it for running on after its last result
    MEMORY = 75  # the zygote killed its session for holding more than its memory
    RESULTS = 76  # the zygote killed it: the build's results passed their budget


# The longest texts a result holds (characters): a worker shortens longer
# ones, saying how much it left out, and a longer one is a malformed result.
# A block's output is shown whole on its page; an exception's message and
# traceback go to the build's log, where megabytes help no one.
TEXT_LIMIT = 1_000_000  # stdout, stderr
MESSAGE_LIMIT = 10_000  # an exception's message, a failed test's
TRACEBACK_LIMIT = 20_000
SHORTENED_NOTE = 48  # room for the note that says what was left out


def shortened(text: str, limit: int, keep_end: bool = False) -> str:
    """``text``, or ``limit`` characters of it and a note of the rest: its
    start, or (``keep_end``) its start and its end, the note between."""
    if len(text) <= limit:
        return text
    if not keep_end:
        return text[:limit] + f"\n[... {len(text) - limit} more characters]"
    half = limit // 2
    return (
        f"{text[:half]}\n[... {len(text) - 2 * half} more characters]\n{text[-half:]}"
    )


HEAD = struct.Struct("!BI")  # FromZygote, session (READY: the zygote's pid)
# exit code, timed out after (NaN: no), seconds, bytes held (MEMORY) or the
# length of the result refused (RESULTS), else 0
ENDING = struct.Struct("!iddQ")


class Status(enum.Enum):
    """What became of a block in this build (the report says the value)."""

    RAN = "ran"
    CACHED = "cached"
    FAILED = "failed"
    NOT_RUN = "not run"  # its session's worker was lost before it
    DISPLAY_ONLY = "display-only"  # exec="off"
    PENDING = "pending"  # its session is still running
