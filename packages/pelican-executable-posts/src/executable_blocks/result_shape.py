"""The shape of a block's result, checked before anything reads it.

A result is the plain data ``worker.run_block`` makes (and the engine adds
the source's tokens to): the engine judges it and the page shows it. One of
another shape, from a cache entry or from a worker, would crash the build,
blame the wrong thing ("the output differs"), or put a file where it does
not belong (a figure's format becomes part of a file name). ``check_result``
says what is wrong with the first problem it finds, as ``MalformedResult``.
"""

import math
import reprlib

from .errors import MalformedResult
from .render import TOKEN_CLASSES

PICTURE_FORMATS = frozenset({"svg", "png", "gif", "mp4"})
VARIANT_FORMATS = PICTURE_FORMATS - {"mp4"}  # what an <img> shows
MAX_PIXELS = 65_536  # a side of a figure (Agg's own limit)
TEST_OUTCOMES = frozenset({"passed", "failed", "skipped", "error"})


def fail(where: str, why: str):
    raise MalformedResult(f"{where} {why}")


def kind(value) -> str:
    return type(value).__name__


def text(value, where: str) -> None:
    if not isinstance(value, str):
        fail(where, f"is a {kind(value)}, not text")


def integer(value, where: str, low: int | None = None, high: int | None = None):
    if type(value) is not int:  # not a bool, not a float
        fail(where, f"is a {kind(value)}, not an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        fail(where, f"is {value}, outside {low}..{high}")


def texts(value, where: str) -> None:
    if not isinstance(value, list):
        fail(where, f"is a {kind(value)}, not a list")
    for index, item in enumerate(value):
        text(item, f"{where}[{index}]")


def fields(value, where: str, required: dict, optional: dict | None = None) -> None:
    """``value`` is a dict with the ``required`` fields, perhaps some of the
    ``optional`` ones, and no other; each checked by its function."""
    optional = optional or {}
    if not isinstance(value, dict):
        fail(where, f"is a {kind(value)}, not a dict")
    for name, check in required.items():
        if name not in value:
            fail(where, f"has no {name!r}")
        check(value[name], f"{where}[{name!r}]")
    for name, check in optional.items():
        if name in value:
            check(value[name], f"{where}[{name!r}]")
    extra = value.keys() - required.keys() - optional.keys()
    if extra:
        names = ", ".join(sorted(reprlib.repr(name) for name in extra))
        fail(where, f"has fields no worker sends: {names}")


def optional_line(value, where: str) -> None:
    if value is not None:
        integer(value, where, 0)


def exception(value, where: str) -> None:
    if value is not None:
        fields(value, where, EXCEPTION)


def pictures(value, where: str) -> None:
    if not isinstance(value, list):
        fail(where, f"is a {kind(value)}, not a list")
    for index, item in enumerate(value):
        fields(item, f"{where}[{index}]", PICTURE, PICTURE_OPTIONAL)
        if "narrow" in item:
            if item["narrow"]["format"] != item["format"]:
                fail(f"{where}[{index}]['narrow']['format']", "is not the figure's")
            if "smallest_text_px" not in item:  # what says when to show it
                fail(f"{where}[{index}]", "has a narrow variant but no text size")


def narrow(value, where: str) -> None:
    """A figure's narrow variant (for phones): a picture itself, with no
    variant of its own, in a format a ``<picture>`` can offer (not MP4)."""
    fields(value, where, PICTURE, VARIANT_OPTIONAL)
    if value["format"] not in VARIANT_FORMATS:
        fail(f"{where}['format']", f"is {value['format']!r}: no narrow variant")


def text_px(value, where: str) -> None:
    if type(value) is not float or not 0 < value <= MAX_PIXELS:
        fail(where, f"is {reprlib.repr(value)}, not a size in pixels")


def raster(value, where: str) -> None:
    """An SVG figure's PNG of itself, for sharing."""
    fields(value, where, PICTURE, VARIANT_OPTIONAL)
    if value["format"] != "png":
        fail(f"{where}['format']", f"is {reprlib.repr(value['format'])}, not 'png'")


def picture_format(value, where: str) -> None:
    if not isinstance(value, str) or value not in PICTURE_FORMATS:
        fail(where, f"is {reprlib.repr(value)}, not one of {sorted(PICTURE_FORMATS)}")


def pixels(value, where: str) -> None:
    integer(value, where, 1, MAX_PIXELS)


def data(value, where: str) -> None:
    if not isinstance(value, bytes):
        fail(where, f"is a {kind(value)}, not bytes")


def tests(value, where: str) -> None:
    if not isinstance(value, list):
        fail(where, f"is a {kind(value)}, not a list")
    for index, item in enumerate(value):
        fields(item, f"{where}[{index}]", TEST, TEST_OPTIONAL)


def outcome(value, where: str) -> None:
    if not isinstance(value, str) or value not in TEST_OUTCOMES:
        fail(where, f"is {reprlib.repr(value)}, not one of {sorted(TEST_OUTCOMES)}")


def seconds(value, where: str) -> None:
    if type(value) is not float or not math.isfinite(value) or value < 0:
        fail(where, f"is {reprlib.repr(value)}, not a finite number of seconds")


def tokens(value, where: str) -> None:
    if not isinstance(value, list):
        fail(where, f"is a {kind(value)}, not a list")
    for index, token in enumerate(value):
        if not isinstance(token, list | tuple) or len(token) != 2:
            fail(f"{where}[{index}]", "is not a [class, text] pair")
        css, piece = token
        if not isinstance(css, str) or css not in TOKEN_CLASSES:
            fail(f"{where}[{index}]", f"has the class {reprlib.repr(css)}")
        text(piece, f"{where}[{index}][1]")


EXCEPTION = {
    "type": text,
    "types": texts,
    "message": text,
    "traceback": text,
    "line": optional_line,
}
PICTURE = {"format": picture_format, "width": pixels, "height": pixels, "data": data}
VARIANT_OPTIONAL = {"smallest_text_px": text_px}
PICTURE_OPTIONAL = {**VARIANT_OPTIONAL, "narrow": narrow, "raster": raster}
TEST = {"id": text, "outcome": outcome}
TEST_OPTIONAL = {"message": text, "line": optional_line}
RESULT = {
    "stdout": text,
    "stderr": text,
    "exception": exception,
    "figures": pictures,
    "animations": pictures,
    "tests": tests,
    "seconds": seconds,
    "modules": texts,
}
RESULT_OPTIONAL = {"tokens": tokens}  # the engine's, for blocks that show code


def check_result(result) -> dict:
    """``result`` if it has the shape of a block's result; else
    ``MalformedResult`` saying what is wrong."""
    fields(result, "the result", RESULT, RESULT_OPTIONAL)
    return result
