"""executable_blocks.render's text: what a block printed, shown on its page
as Python would write the characters a page or a terminal cannot show."""

from executable_blocks.render import text_html, visible


def test_controls_and_bidirectional_overrides_are_shown_as_escapes():
    printed = "bell\x07 return\r ESC\x1b[31m NUL\x00 DEL\x7f C1\x85"
    shown = "bell\\x07 return\\r ESC\\x1b[31m NUL\\x00 DEL\\x7f C1\\x85"
    assert visible(printed) == shown
    assert visible("RLO\u202e FSI\u2068") == "RLO\\u202e FSI\\u2068"


def test_tabs_newlines_and_other_text_are_kept():
    text = "a\tb\nc: é 漢 🙂 ∑ \u200b zero-width space"
    assert visible(text) == text


def test_the_page_escapes_markup_after_making_controls_visible():
    html = text_html("Output", "<b>\x1b[1mbold</b>\n", "stdout")
    assert html == (
        '<p class="exec-label">Output</p>\n'
        '<pre class="exec-stdout"><code>&lt;b&gt;\\x1b[1mbold&lt;/b&gt;\n</code></pre>'
    )
