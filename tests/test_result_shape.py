"""executable_posts.result_shape: a block's result has the shape a worker
gives it, or it is refused with the reason."""

import copy
import math
import re

import pytest
from executable_posts.errors import MalformedResult
from executable_posts.result_shape import check_result

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
