"""executable_blocks.result_shape: a block's result has the shape a worker
gives it, or it is refused with the reason."""

import math
import re
from dataclasses import dataclass, fields, replace

import pytest

from executable_blocks.errors import MalformedResult
from executable_blocks.protocol import (
    BlockResult,
    ExceptionInfo,
    Picture,
    PytestOutcome,
)
from executable_blocks.result_shape import check_result

PNG = b"\x89PNG\r\n\x1a\n..."
MP4 = b"\x00\x00\x00\x18ftypmp42..."
RESULT = BlockResult(
    stdout="hi\n",
    stderr="",
    exception=ExceptionInfo(
        type="ValueError",
        types=("builtins.ValueError", "builtins.Exception"),
        message="x",
        traceback="Traceback ...",
        line=7,
    ),
    figures=(
        Picture("svg", 640, 480, b"<svg/>", raster=Picture("png", 640, 480, PNG)),
    ),
    animations=(Picture("gif", 1, 1, b"GIF89a..."),),
    tests=(
        PytestOutcome("test_a", "passed"),
        PytestOutcome("test_b", "failed", "assert 1 == 0", 9),
    ),
    seconds=0.5,
    modules=("/site/content/code/mod.py",),
    tokens=(("k", "pass"), ("", "\n")),
)


def unset(holder, name: str):
    """``holder`` with its field ``name`` left unset, as a crafted pickle
    can leave it."""
    copy = replace(holder)
    object.__delattr__(copy, name)
    return copy


def changed_in(holder, path: tuple, value):
    if not path:
        return value
    step, rest = path[0], path[1:]
    if isinstance(holder, tuple):
        items = list(holder)
        items[step] = changed_in(holder[step], rest, value)
        return tuple(items)
    if value is ... and not rest:
        return unset(holder, step)
    return replace(holder, **{step: changed_in(getattr(holder, step), rest, value)})


def changed(path: tuple, value):
    """RESULT with the field at ``path`` set to ``value`` (left unset if
    ``value`` is ``...``)."""
    return changed_in(RESULT, path, value)


def vars_of(record) -> dict:
    return {field.name: getattr(record, field.name) for field in fields(record)}


@dataclass(frozen=True, slots=True)
class WithMarkup(BlockResult):
    """A result with a field no worker sends."""

    source_html: str = "<script>"


def test_what_a_worker_sends_passes():
    assert check_result(RESULT) is RESULT
    assert check_result(changed(("exception",), None))
    assert check_result(changed(("tokens",), None))
    assert check_result(changed(("exception", "line"), None))
    assert check_result(changed(("figures", 0, "raster"), None))
    assert check_result(changed(("tests", 1, "line"), None))


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        ((), "str", "the result is a str, not a BlockResult"),
        ((), {"stdout": "hi\n"}, "the result is a dict, not a BlockResult"),
        ((), WithMarkup(**vars_of(RESULT)), "a WithMarkup, not a BlockResult"),
        (("stdout",), ..., "the result has no stdout"),
        (("stdout",), b"bytes", "the result.stdout is a bytes, not text"),
        (("exception",), "boom", "the result.exception is a str, not an Exception"),
        (("exception", "types"), "ValueError", ".types is a str, not a tuple"),
        (("exception", "types"), ["builtins.ValueError"], "is a list, not a tuple"),
        (("exception", "line"), "7", ".line is a str, not an integer"),
        (("exception", "line"), True, ".line is a bool, not an integer"),
        (("exception", "traceback"), ..., "the result.exception has no traceback"),
        (("figures",), {}, ".figures is a dict, not a tuple"),
        (("figures",), [], ".figures is a list, not a tuple"),
        (("figures", 0), {"format": "svg"}, "figures[0] is a dict, not a Picture"),
        (("figures", 0, "width"), "640", ".figures[0].width is a str, not an integer"),
        (("figures", 0, "width"), 640.0, ".width is a float, not an integer"),
        (("figures", 0, "height"), 0, ".height is 0, outside 1..65536"),
        (("figures", 0, "height"), 10**9, "outside 1..65536"),
        (("figures", 0, "format"), "../x", ".format is '../x', not one of"),
        (("figures", 0, "format"), ["svg"], ".format is ['svg'], not one of"),
        (("figures", 0, "data"), ..., "the result.figures[0] has no data"),
        (("animations", 0, "data"), "GIF89a", ".data is a str, not bytes"),
        (("figures", 0, "raster", "format"), "svg", ".format is 'svg', not 'png'"),
        (("figures", 0, "raster", "data"), "x", ".raster.data is a str, not bytes"),
        (
            ("figures", 0, "raster", "raster"),
            Picture("png", 1, 1, PNG),
            ".raster.raster is set: a variant has no variant",
        ),
        (("animations", 0, "raster"), b"x", ".raster is a bytes, not a Picture"),
        (("tests", 0, "outcome"), "won", ".outcome is 'won', not one of"),
        (("tests", 1, "message"), None, ".message is a NoneType, not text"),
        (("tests", 0), ("test_a",), ".tests[0] is a tuple, not a PytestOutcome"),
        (("seconds",), 1, ".seconds is 1, not a finite number of seconds"),
        (("seconds",), math.nan, "not a finite number of seconds"),
        (("seconds",), -1.0, "not a finite number of seconds"),
        (("modules",), "mod.py", ".modules is a str, not a tuple"),
        (("modules", 0), 3, ".modules[0] is an int, not text"),
        (("tokens",), [["k", "pass"]], ".tokens is a list, not a tuple"),
        (("tokens", 0), ("k",), ".tokens[0] is not a (class, text) pair"),
        (("tokens", 0), ["k", "pass"], ".tokens[0] is not a (class, text) pair"),
        (("tokens", 0, 0), 'k" onclick="x', "has the class"),
        (("tokens", 0, 1), 42, ".tokens[0][1] is an int, not text"),
    ],
)
def test_every_other_shape_is_refused_with_its_reason(path, value, why):
    result = value if path == () else changed(path, value)
    with pytest.raises(MalformedResult, match=re.escape(why)):
        check_result(result)


@pytest.mark.parametrize("result", [None, {}, {"result": "str"}, [], 42])
def test_nothing_like_a_result_passes(result):
    with pytest.raises(MalformedResult):
        check_result(result)


NARROW = Picture("svg", 375, 256, b"<svg/>")


def with_narrow(**changes) -> BlockResult:
    """RESULT whose figure has a smallest text and a narrow variant, the
    variant with ``changes`` (a field set to ``...`` is left unset)."""
    narrow = replace(NARROW, smallest_text_px=13.89)
    for name, value in changes.items():
        narrow = (
            unset(narrow, name) if value is ... else replace(narrow, **{name: value})
        )
    figure = replace(RESULT.figures[0], smallest_text_px=13.89, narrow=narrow)
    return replace(RESULT, figures=(figure,))


def test_a_figure_with_a_narrow_variant_passes():
    assert check_result(with_narrow())
    assert check_result(with_narrow(smallest_text_px=None))


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (with_narrow(data=...), ".narrow has no data"),
        (with_narrow(data="<svg/>"), ".narrow.data is a str, not bytes"),
        (with_narrow(width=0), ".narrow.width is 0, outside 1..65536"),
        (with_narrow(height=2.5), ".narrow.height is a float, not an integer"),
        (with_narrow(format="../x"), ".narrow.format is '../x', not one of"),
        (with_narrow(format="png", data=PNG), ".narrow.format is not the figure's"),
        (with_narrow(narrow=NARROW), ".narrow.narrow is set: a variant has no"),
        (with_narrow(smallest_text_px=10), "is 10, not a size in pixels"),
        (with_narrow(smallest_text_px=math.nan), "is nan, not a size in pixels"),
        (with_narrow(smallest_text_px=-1.0), "is -1.0, not a size in pixels"),
        (changed(("figures", 0, "narrow"), "x.svg"), ".narrow is a str, not a Pic"),
        (
            changed(("figures", 0, "narrow"), NARROW),
            "has a narrow variant but no text size",
        ),
        (
            changed(
                ("animations", 0),
                replace(
                    RESULT.animations[0],
                    format="mp4",
                    smallest_text_px=9.0,
                    data=MP4,
                    narrow=replace(NARROW, format="mp4", data=MP4),
                ),
            ),
            ".narrow.format is 'mp4': no narrow variant",
        ),
    ],
)
def test_a_malformed_narrow_variant_is_refused_with_its_reason(result, why):
    with pytest.raises(MalformedResult, match=re.escape(why)):
        check_result(result)


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        (("figures", 0), Picture("png", 1, 1, b"<html><script>"), "is not PNG data"),
        (("figures", 0), Picture("png", 1, 1, b"\x89PNG"), "it starts b'\\x89PNG'"),
        (("figures", 0), Picture("gif", 1, 1, PNG), ".data is not GIF data"),
        (("animations", 0), Picture("mp4", 1, 1, b"GIF89a..."), "is not MP4 data"),
        (("figures", 0, "raster", "data"), b"<!doctype html>", "is not PNG data"),
    ],
)
def test_a_raster_figure_must_be_of_the_format_its_name_says(path, value, why):
    """A block can make its figures any bytes, and a browser guessing a
    published file's type could take them for a page."""
    with pytest.raises(MalformedResult, match=re.escape(why)):
        check_result(changed(path, value))


def test_the_formats_signatures_pass():
    for picture in (
        Picture("png", 1, 1, PNG),
        Picture("gif", 1, 1, b"GIF87a..."),
        Picture("mp4", 1, 1, MP4),
    ):
        assert check_result(replace(RESULT, figures=(picture,)))


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        (
            ("stdout",),
            "x" * 1_000_100,
            ".stdout holds 1000100 characters, over 1000000",
        ),
        (
            ("exception", "message"),
            "x" * 20_000,
            ".message holds 20000 characters, over",
        ),
        (
            ("exception", "traceback"),
            "x" * 100_000,
            ".traceback holds 100000 characters",
        ),
        (("tests", 1, "message"), "x" * 20_000, ".tests[1].message holds 20000"),
    ],
)
def test_a_text_longer_than_a_worker_makes_is_refused(path, value, why):
    """A worker shortens what goes to the log; a forged result could not."""
    with pytest.raises(MalformedResult, match=re.escape(why)):
        check_result(changed(path, value))
