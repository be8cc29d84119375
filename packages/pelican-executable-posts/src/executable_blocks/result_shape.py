"""The shape of a block's result, checked before anything reads it.

A result is a ``protocol.BlockResult`` as ``worker.run_block`` makes it (and
the engine adds the source's tokens to): the engine judges it and the page
shows it. The unpickler lets through the protocol's classes only, but not
what their fields hold: a result from a cache entry or from a worker could
hold a field of another type or size, or leave one unset, and crash the
build, blame the wrong thing ("the output differs"), or put a file where it
does not belong (a figure's format becomes part of a file name).
``check_result`` says what is wrong with the first problem it finds, as
``MalformedResult``.
"""

import math
import reprlib

from .errors import MalformedResult
from .protocol import (
    MESSAGE_LIMIT,
    SHORTENED_NOTE,
    TEXT_LIMIT,
    TRACEBACK_LIMIT,
    BlockResult,
    CacheEntry,
    ExceptionInfo,
    Picture,
    PytestOutcome,
)
from .render import TOKEN_CLASSES
from .svg_check import active_content

PICTURE_FORMATS = frozenset({"svg", "png", "gif", "mp4"})
VARIANT_FORMATS = PICTURE_FORMATS - {"mp4"}  # what an <img> shows
MAX_PIXELS = 65_536  # a side of a figure (Agg's own limit)
# Where each raster format's signature is, and what it may be.
SIGNATURES = {
    "png": (0, (b"\x89PNG\r\n\x1a\n",)),
    "gif": (0, (b"GIF87a", b"GIF89a")),
    "mp4": (4, (b"ftyp",)),  # ISO base media: the first box is the file type
}
TEST_OUTCOMES = frozenset({"passed", "failed", "skipped", "error"})
UNSET = object()


def fail(where: str, why: str):
    raise MalformedResult(f"{where} {why}")


def a(name: str) -> str:
    return f"an {name}" if name[0] in "AEIOUaeiou" else f"a {name}"


def kind(value) -> str:
    return a(type(value).__name__)


def text(value, where: str) -> None:
    if type(value) is not str:
        fail(where, f"is {kind(value)}, not text")


def at_most(limit: int):
    """Text no longer than ``limit`` characters and the note that says what
    a worker left out: a longer one was not made by a worker."""

    def check(value, where: str) -> None:
        text(value, where)
        if len(value) > limit + SHORTENED_NOTE:
            fail(where, f"holds {len(value)} characters, over {limit}")

    return check


def integer(value, where: str, low: int | None = None, high: int | None = None):
    if type(value) is not int:  # not a bool, not a float
        fail(where, f"is {kind(value)}, not an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        fail(where, f"is {value}, outside {low}..{high}")


def items(value, where: str, check) -> None:
    """``value`` is a tuple, each item of which passes ``check``."""
    if type(value) is not tuple:
        fail(where, f"is {kind(value)}, not a tuple")
    for index, item in enumerate(value):
        check(item, f"{where}[{index}]")


def texts(value, where: str) -> None:
    items(value, where, text)


def fields(value, where: str, cls: type, checks: dict) -> None:
    """``value`` is a ``cls`` (not a subclass) whose every field passes its
    check (a crafted pickle can leave a field unset)."""
    if type(value) is not cls:
        fail(where, f"is {kind(value)}, not {a(cls.__name__)}")
    for name, check in checks.items():
        field = getattr(value, name, UNSET)
        if field is UNSET:
            fail(where, f"has no {name}")
        check(field, f"{where}.{name}")


def optional_line(value, where: str) -> None:
    if value is not None:
        integer(value, where, 0)


def exception(value, where: str) -> None:
    if value is not None:
        fields(value, where, ExceptionInfo, EXCEPTION)


def picture(value, where: str) -> None:
    """A figure or animation, with perhaps a narrow variant and a raster."""
    fields(value, where, Picture, PICTURE)
    inert(value, where)
    if value.narrow is not None:
        if value.narrow.format != value.format:
            fail(f"{where}.narrow.format", "is not the figure's")
        if value.smallest_text_px is None:  # what says when to show it
            fail(where, "has a narrow variant but no text size")


def variant(value, where: str) -> None:
    """A narrow variant or a raster: a picture itself, with no variant of
    its own."""
    fields(value, where, Picture, PICTURE)
    inert_and_alone(value, where)


def inert_and_alone(value: Picture, where: str) -> None:
    """A variant's checks beyond its fields: inert, and no variant of its own."""
    inert(value, where)
    for name in ("narrow", "raster"):
        if getattr(value, name) is not None:
            fail(f"{where}.{name}", "is set: a variant has no variant")


def narrow(value, where: str) -> None:
    """A figure's narrow variant (for phones), in a format a ``<picture>``
    can offer (not MP4)."""
    if value is not None:
        variant(value, where)
        if value.format not in VARIANT_FORMATS:
            fail(f"{where}.format", f"is {value.format!r}: no narrow variant")


def raster(value, where: str) -> None:
    """An SVG figure's PNG of itself, for sharing."""
    if value is not None:
        fields(value, where, Picture, PICTURE)
        if value.format != "png":
            fail(f"{where}.format", f"is {reprlib.repr(value.format)}, not 'png'")
        inert_and_alone(value, where)  # (its fields are checked above)


def inert(value: Picture, where: str) -> None:
    """A figure is published as a file of the site: an SVG may run nothing,
    and other bytes are of the format its name says (a browser that guesses
    a file's type finds an image or a video there, never a page)."""
    if value.format == "svg":
        if found := active_content(value.data):
            fail(f"{where}.data", f"is an SVG that could run in a browser: {found}")
        return
    offset, signatures = SIGNATURES[value.format]
    if not value.data.startswith(signatures, offset):
        start = reprlib.repr(value.data[:16])
        fail(f"{where}.data", f"is not {value.format.upper()} data: it starts {start}")


def text_px(value, where: str) -> None:
    if value is not None and (type(value) is not float or not 0 < value <= MAX_PIXELS):
        fail(where, f"is {reprlib.repr(value)}, not a size in pixels")


def picture_format(value, where: str) -> None:
    if type(value) is not str or value not in PICTURE_FORMATS:
        fail(where, f"is {reprlib.repr(value)}, not one of {sorted(PICTURE_FORMATS)}")


def pixels(value, where: str) -> None:
    integer(value, where, 1, MAX_PIXELS)


def data(value, where: str) -> None:
    if type(value) is not bytes:
        fail(where, f"is {kind(value)}, not bytes")


def pictures(value, where: str) -> None:
    items(value, where, picture)


def tests(value, where: str) -> None:
    items(value, where, lambda test, at: fields(test, at, PytestOutcome, TEST))


def outcome(value, where: str) -> None:
    if type(value) is not str or value not in TEST_OUTCOMES:
        fail(where, f"is {reprlib.repr(value)}, not one of {sorted(TEST_OUTCOMES)}")


def seconds(value, where: str) -> None:
    if type(value) is not float or not math.isfinite(value) or value < 0:
        fail(where, f"is {reprlib.repr(value)}, not a finite number of seconds")


def token(value, where: str) -> None:
    if type(value) is not tuple or len(value) != 2:
        fail(where, "is not a (class, text) pair")
    css, piece = value
    if type(css) is not str or css not in TOKEN_CLASSES:
        fail(where, f"has the class {reprlib.repr(css)}")
    text(piece, f"{where}[1]")


def tokens(value, where: str) -> None:
    if value is not None:
        items(value, where, token)


EXCEPTION = {
    "type": text,
    "types": texts,
    "message": at_most(MESSAGE_LIMIT),
    "traceback": at_most(TRACEBACK_LIMIT + SHORTENED_NOTE),  # (a note between)
    "line": optional_line,
}
PICTURE = {
    "format": picture_format,
    "width": pixels,
    "height": pixels,
    "data": data,
    "smallest_text_px": text_px,
    "narrow": narrow,
    "raster": raster,
}
TEST = {
    "id": text,
    "outcome": outcome,
    "message": at_most(MESSAGE_LIMIT),
    "line": optional_line,
}
RESULT = {
    "stdout": at_most(TEXT_LIMIT),
    "stderr": at_most(TEXT_LIMIT),
    "exception": exception,
    "figures": pictures,
    "animations": pictures,
    "tests": tests,
    "seconds": seconds,
    "modules": texts,
    "tokens": tokens,  # the engine's, for blocks that show code
}


def check_result(result) -> BlockResult:
    """``result`` if it has the shape of a block's result; else
    ``MalformedResult`` saying what is wrong."""
    fields(result, "the result", BlockResult, RESULT)
    return result


def dependency(value, where: str) -> None:
    if type(value) is not tuple or len(value) != 2:
        fail(where, "is not a (path, digest) pair")
    text(value[0], f"{where}[0]")
    if value[1] is not None:
        text(value[1], f"{where}[1]")


def check_entry(entry) -> CacheEntry:
    """``entry`` if it is a block's result and its dependencies' digests."""
    if type(entry) is not CacheEntry:
        raise MalformedResult("it is not a block's result and its dependencies")
    fields(entry, "the entry", CacheEntry, {"dependencies": dependencies})
    check_result(getattr(entry, "result", None))
    return entry


def dependencies(value, where: str) -> None:
    items(value, where, dependency)
