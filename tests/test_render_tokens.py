"""executable_blocks.render: the source shown from its token stream, as
Pygments shows it, and never anything but the block's own code."""

import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from executable_blocks.render import (
    code_tokens,
    pygments_html,
    source_html,
    tokens_html,
    tokens_match,
)
from helpers import ROOT

CODE = 'def f(x):\n    return "<b>" + x  # it\'s & done\n\n\nprint(f("a"))\n'
PYTHONISH = st.lists(
    st.sampled_from(
        list("abcdef019 \t\n\r'\"#<>&()[]{}:=.,+-*/\\@\ufeff")
        + ["def ", "class ", "import ", "return ", "'''", '"""', "\r\n", "é"]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(PYTHONISH)
def test_tokens_render_exactly_as_pygments_does(code):
    tokens = code_tokens(code)
    assert tokens_match(code, tokens)
    assert tokens_html(tokens) == pygments_html(code)


ENGINE = ROOT / "packages" / "pelican-executable-posts" / "src" / "executable_blocks"


@pytest.mark.parametrize(
    "path",
    sorted(ENGINE.glob("*.py")) + sorted((ROOT / "content" / "code").glob("*.py")),
    ids=lambda path: path.name,
)
def test_real_modules_render_exactly_as_pygments_does(path):
    code = path.read_text()
    assert tokens_html(code_tokens(code)) == pygments_html(code)


def test_rendering_tokens_loads_no_lexer():
    """What a warm build does with a cached entry, in a fresh interpreter."""
    script = (
        "import sys\n"
        "from executable_blocks.render import source_html\n"
        f"html = source_html({CODE!r}, {code_tokens(CODE)!r})\n"
        "assert '<span class=\"k\">def</span>' in html, html\n"
        "print(sorted(m for m in sys.modules if m.startswith('pygments')))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "plugins")}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "lexer" not in done.stdout and "formatter" not in done.stdout


@pytest.mark.parametrize(
    "forged",
    [
        (("k", "import os; os.system('rm -rf /')\n"),),  # other code
        (("k", CODE), ("", "\n")),  # more than the code
        (("nb", CODE[:10]),),  # less
        (('k"><script>alert(1)</script><span class="', CODE),),  # not a class
        (("k", CODE.replace("<b>", "<script>")),),
        (("k", 42),),
        "<script>alert(1)</script>",
        (("k",),),
        [["k", CODE]],  # not the protocol's tuples
    ],
)
def test_forged_tokens_are_lexed_again_and_never_change_the_code(forged):
    assert not tokens_match(CODE, forged)
    assert source_html(CODE, forged) == pygments_html(CODE)


def test_tokens_may_only_colour_the_code():
    recoloured = (("k", CODE),)
    html = source_html(CODE, recoloured)
    assert html.startswith('<div class="highlight"><pre><span></span><code>')
    assert "&lt;b&gt;" in html and "<b>" not in html and "&#39;s &amp; done" in html
