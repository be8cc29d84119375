"""executable_blocks.result_shape: a block's result has the shape a worker
gives it, or it is refused with the reason."""

import copy
import math
import re

import pytest
from executable_blocks.errors import MalformedResult
from executable_blocks.result_shape import check_result

RESULT = {
    "stdout": "hi\n",
    "stderr": "",
    "exception": {
        "type": "ValueError",
        "types": ["builtins.ValueError", "builtins.Exception"],
        "message": "x",
        "traceback": "Traceback ...",
        "line": 7,
    },
    "figures": [
        {
            "format": "svg",
            "data": b"<svg/>",
            "width": 640,
            "height": 480,
            "raster": {
                "format": "png",
                "data": b"\x89PNG",
                "width": 640,
                "height": 480,
            },
        }
    ],
    "animations": [{"format": "gif", "data": b"GIF89a", "width": 1, "height": 1}],
    "tests": [
        {"id": "test_a", "outcome": "passed"},
        {"id": "test_b", "outcome": "failed", "message": "assert 1 == 0", "line": 9},
    ],
    "seconds": 0.5,
    "modules": ["/site/content/code/mod.py"],
    "tokens": [["k", "pass"], ["", "\n"]],
}


def changed(path: tuple, value):
    """RESULT with the field at ``path`` set to ``value`` (deleted if
    ``value`` is ``...``)."""
    result = copy.deepcopy(RESULT)
    holder = result
    for step in path[:-1]:
        holder = holder[step]
    if value is ...:
        del holder[path[-1]]
    else:
        holder[path[-1]] = value
    return result


def test_what_a_worker_sends_passes():
    assert check_result(RESULT) is RESULT
    assert check_result(changed(("exception",), None))
    assert check_result(changed(("tokens",), ...))
    assert check_result(changed(("exception", "line"), None))
    assert check_result(changed(("figures", 0, "raster"), ...))


@pytest.mark.parametrize(
    ("path", "value", "why"),
    [
        ((), "str", "the result is a str, not a dict"),
        (("stdout",), ..., "the result has no 'stdout'"),
        (("stdout",), b"bytes", "the result['stdout'] is a bytes, not text"),
        (("source_html",), "<script>", "fields no worker sends: 'source_html'"),
        (("exception",), "boom", "the result['exception'] is a str, not a dict"),
        (("exception", "types"), "ValueError", "['types'] is a str, not a list"),
        (("exception", "line"), "7", "['line'] is a str, not an integer"),
        (("exception", "line"), True, "['line'] is a bool, not an integer"),
        (("figures",), {}, "['figures'] is a dict, not a list"),
        (("figures", 0, "width"), "640", "['width'] is a str, not an integer"),
        (("figures", 0, "width"), 640.0, "['width'] is a float, not an integer"),
        (("figures", 0, "height"), 0, "['height'] is 0, outside 1..65536"),
        (("figures", 0, "height"), 10**9, "outside 1..65536"),
        (("figures", 0, "format"), "../x", "['format'] is '../x', not one of"),
        (("figures", 0, "format"), ["svg"], "['format'] is ['svg'], not one of"),
        (("animations", 0, "data"), "GIF89a", "['data'] is a str, not bytes"),
        (("figures", 0, "onload"), "x", "fields no worker sends: 'onload'"),
        (("figures", 0, "raster", "format"), "svg", "['format'] is 'svg', not 'png'"),
        (("figures", 0, "raster", "data"), "x", "['raster']['data'] is a str, not"),
        (("figures", 0, "raster", "raster"), {}, "fields no worker sends: 'raster'"),
        (("animations", 0, "raster"), b"x", "['raster'] is a bytes, not a dict"),
        (("tests", 0, "outcome"), "won", "['outcome'] is 'won', not one of"),
        (("tests", 1, "message"), None, "['message'] is a NoneType, not text"),
        (("tests", 0), ["test_a"], "['tests'][0] is a list, not a dict"),
        (("seconds",), 1, "['seconds'] is 1, not a finite number of seconds"),
        (("seconds",), math.nan, "not a finite number of seconds"),
        (("seconds",), -1.0, "not a finite number of seconds"),
        (("modules",), "mod.py", "['modules'] is a str, not a list"),
        (("modules", 0), 3, "['modules'][0] is a int, not text"),
        (("tokens", 0), ["k"], "['tokens'][0] is not a [class, text] pair"),
        (("tokens", 0, 0), 'k" onclick="x', "has the class"),
        (("tokens", 0, 1), 42, "['tokens'][0][1] is a int, not text"),
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


NARROW = {"format": "svg", "data": b"<svg/>", "width": 375, "height": 256}


def with_narrow(**changes) -> dict:
    """RESULT whose figure has a smallest text and a narrow variant, the
    variant with ``changes`` (a field set to ``...`` is left out)."""
    result = copy.deepcopy(RESULT)
    narrow = {**NARROW, "smallest_text_px": 13.89, **changes}
    narrow = {name: value for name, value in narrow.items() if value is not ...}
    result["figures"][0].update(smallest_text_px=13.89, narrow=narrow)
    return result


def test_a_figure_with_a_narrow_variant_passes():
    assert check_result(with_narrow())
    assert check_result(with_narrow(smallest_text_px=...))


@pytest.mark.parametrize(
    ("result", "why"),
    [
        (with_narrow(data=...), "['narrow'] has no 'data'"),
        (with_narrow(data="<svg/>"), "['narrow']['data'] is a str, not bytes"),
        (with_narrow(width=0), "['narrow']['width'] is 0, outside 1..65536"),
        (with_narrow(height=2.5), "['narrow']['height'] is a float, not an integer"),
        (with_narrow(format="../x"), "['narrow']['format'] is '../x', not one of"),
        (with_narrow(format="png"), "['narrow']['format'] is not the figure's"),
        (with_narrow(narrow=NARROW), "fields no worker sends: 'narrow'"),
        (with_narrow(onload="x"), "fields no worker sends: 'onload'"),
        (with_narrow(smallest_text_px=10), "is 10, not a size in pixels"),
        (with_narrow(smallest_text_px=math.nan), "is nan, not a size in pixels"),
        (with_narrow(smallest_text_px=-1.0), "is -1.0, not a size in pixels"),
        (changed(("figures", 0, "narrow"), "x.svg"), "['narrow'] is a str, not a dict"),
        (
            changed(("figures", 0, "narrow"), NARROW),
            "has a narrow variant but no text size",
        ),
        (
            changed(
                ("animations", 0),
                {
                    **RESULT["animations"][0],
                    "format": "mp4",
                    "smallest_text_px": 9.0,
                    "narrow": {**NARROW, "format": "mp4"},
                },
            ),
            "['narrow']['format'] is 'mp4': no narrow variant",
        ),
    ],
)
def test_a_malformed_narrow_variant_is_refused_with_its_reason(result, why):
    with pytest.raises(MalformedResult, match=re.escape(why)):
        check_result(result)
