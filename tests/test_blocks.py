"""Unit tests of executable_blocks.blocks: finding blocks and reading options."""

import pytest
from markdown import Markdown

from executable_blocks.blocks import Block, find_blocks
from executable_blocks.claims import Tolerance
from executable_blocks.errors import BlockError


def blocks_of(text: str, code_dir=None):
    return find_blocks(text.split("\n"), "post.md", [code_dir] if code_dir else [])


def only_block(text: str, code_dir=None) -> Block:
    ((_, _, block),) = blocks_of(text, code_dir)
    if isinstance(block, BlockError):
        raise block
    return block


def test_options_are_read_from_the_info_string():
    block = only_block('```python exec="on" session="s1" timeout="5"\nx = 1\n```')
    assert block.options == {"exec": "on", "session": "s1", "timeout": "5"}
    assert block.code == "x = 1\n"
    assert (block.line, block.end_line, block.source_first_line) == (1, 3, 2)
    assert block.runs and block.session == "s1"


def test_blocks_default_to_the_main_session_and_show_everything():
    block = only_block('```python exec="on"\npass\n```')
    assert block.session == "main"
    assert block.shows("source") and block.shows("output")


def test_source_and_output_can_be_hidden():
    block = only_block('```python exec="on" source="off" output="off"\npass\n```')
    assert not block.shows("source") and not block.shows("output")


def test_following_output_block_is_the_claim():
    text = (
        'Text\n\n```python exec="on"\nprint(1)\n```\n\n```output ellipsis="on"\n1\n```'
    )
    block = only_block(text)
    assert block.claim.text == "1"
    assert block.claim.line == 7
    assert block.claim.ellipsis and block.claim.tolerance is None
    assert block.end_line == 9


def test_claim_tolerance_is_a_number_or_a_percentage():
    text = '```python exec="on"\nprint(1)\n```\n```output tolerance="1e-6"\n1\n```'
    assert only_block(text).claim.tolerance == Tolerance(1e-6, 1e-6)
    text = '```python exec="on"\nprint(1)\n```\n```output tolerance="5%"\n1\n```'
    assert only_block(text).claim.tolerance == Tolerance(0.05, 0.0, percent=True)


@pytest.mark.parametrize("value", ["tiny", "-0.1", "nan"])
def test_claim_tolerance_that_is_not_one_is_an_error_at_its_line(value):
    bad = f'```python exec="on"\nprint(1)\n```\n```output tolerance="{value}"\n1\n```'
    with pytest.raises(BlockError, match=rf"post.md:4: tolerance='{value}': expected"):
        only_block(bad)


def test_other_languages_are_left_alone_but_claim_no_output():
    assert blocks_of("```http\nGET / HTTP/1.1\n```\n\n```text\nx\n```") == []
    ((_, _, error),) = blocks_of("```http\nGET / HTTP/1.1\n```\n\n```output\nx\n```")
    assert isinstance(error, BlockError) and error.line == 5


def test_an_output_block_after_no_python_block_is_an_error_at_its_line():
    text = 'Some text.\n\n```output\n6\n```\n\n```python exec="on"\nprint(7)\n```'
    (_, _, error), (_, _, block) = blocks_of(text)
    assert isinstance(error, BlockError) and error.line == 3
    assert "none is there: the claim would never be checked" in str(error)
    assert block.runs and block.claim is None


def test_an_output_block_after_text_after_the_block_is_not_its_claim():
    text = '```python exec="on"\nprint(7)\n```\n\nSo:\n\n```output\n7\n```'
    (_, _, block), (_, _, error) = blocks_of(text)
    assert block.claim is None
    assert isinstance(error, BlockError) and error.line == 7


def test_a_block_that_does_not_run_can_claim_no_output():
    text = '```python exec="off" reason="a GPU"\nprint(4)\n```\n\n```output\n4\n```'
    ((_, last, error),) = blocks_of(text)
    assert isinstance(error, BlockError) and error.line == 5 and last == 6
    assert "that block does not run" in str(error)


def test_a_block_with_a_wrong_option_keeps_its_claim_out_of_the_errors():
    """Its claim is its own, not one that follows nothing: one error only."""
    text = '```python exec="on" timeout="abc"\nprint(1)\n```\n\n```output\n1\n```'
    ((first, last, error),) = blocks_of(text)
    assert isinstance(error, BlockError) and (first, last) == (0, 6)
    assert "timeout='abc'" in str(error)


def test_exec_on_another_language_is_an_error_and_other_options_are_not():
    ((_, _, error),) = blocks_of('```bash exec="on"\necho hi\n```')
    assert isinstance(error, BlockError) and error.line == 1
    assert "exec= on 'bash': only python blocks run" in str(error)
    assert blocks_of('```js title="executor" data-exec="x"\nrun()\n```') == []
    for info in ('{.python exec="on"}', '{exec="on" .python}'):
        ((_, _, error),) = blocks_of(f"```{info}\nprint(1)\n```")
        assert 'opens with ```python exec="on"' in str(error), info
    ((_, _, error),) = blocks_of('```{.bash exec="on"}\necho hi\n```')
    assert "exec= on 'bash': only python blocks run" in str(error)


def test_plain_python_block_has_no_mode():
    block = only_block("```python\nprint(1)\n```")
    assert block.mode == "" and not block.runs


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ('exec="maybe"', "exec='maybe': expected one of on, off, pytest"),
        ('colour="red"', "unknown option 'colour'"),
        ("exec", "option 'exec' needs a value"),
        ('exec="off"', 'exec="off" needs a reason'),
        ('exec="on" lines="1-2"', "lines= needs include="),
        ('exec="on" match="x"', "match= needs raises="),
        (
            'exec="on" raises="ValueError" match="("',
            "match='(': not a regular expression (missing ), unterminated subpattern",
        ),
        ('exec="on" timeout="-1"', "timeout='-1': expected seconds above 0"),
        ('exec="on" timeout="inf"', "timeout='inf': expected seconds above 0"),
        ('exec="on" timeout="nan"', "timeout='nan': expected seconds above 0"),
        ('exec="on" timeout="1e7"', "at most 3600 (EXEC_TIMEOUT_MAX)"),
        ('exec="on" network="yes"', "network='yes': expected one of on, off"),
        ('exec="on" session="unclosed', "cannot read the block's options"),
        (
            'exec="pytest" raises="ValueError"',
            'raises= does not apply to exec="pytest"',
        ),
    ],
)
def test_bad_options_name_the_line(info, message):
    text = f"Title\n\n```python {info}\npass\n```"
    with pytest.raises(BlockError) as raised:
        only_block(text)
    assert str(raised.value).startswith("post.md:3: ")
    assert message in str(raised.value)


def test_the_timeout_maximum_is_a_setting():
    lines = ['```python exec="on" timeout="7200"', "pass", "```"]
    ((_, _, block),) = find_blocks(lines, "post.md", max_timeout=7200)
    assert block.options["timeout"] == "7200"
    ((_, _, error),) = find_blocks(lines, "post.md", max_timeout=60)
    assert "at most 60 (EXEC_TIMEOUT_MAX)" in str(error)


def test_unclosed_fence_is_an_error_at_its_line():
    ((_, _, error),) = blocks_of('one\n```python exec="on"\nprint(1)\n')
    assert isinstance(error, BlockError)
    assert str(error) == "post.md:2: code block opened with ``` is never closed"


def test_a_bad_block_does_not_hide_the_next_one():
    found = blocks_of('```python exec="nope"\n```\n\n```python exec="on"\npass\n```')
    assert isinstance(found[0][2], BlockError)
    assert isinstance(found[1][2], Block) and found[1][2].line == 4


def test_longer_fences_may_contain_shorter_ones():
    block = only_block('````python exec="on"\ns = """\n```\n"""\n````')
    assert block.code == 's = """\n```\n"""\n'


def test_include_takes_the_file_and_its_line_numbers(tmp_path):
    (tmp_path / "mod.py").write_text("a = 1\nb = 2\nc = 3\nd = 4\n")
    block = only_block(
        '```python exec="on" include="mod.py" lines="2-3"\n```', tmp_path
    )
    assert block.code == "b = 2\nc = 3\n"
    assert block.source_file == str(tmp_path / "mod.py")
    assert block.source_first_line == 2


def test_include_looks_in_each_code_directory_in_turn(tmp_path):
    first, second = tmp_path / "code", tmp_path / "src"
    first.mkdir()
    (second / "pkg").mkdir(parents=True)
    (second / "pkg" / "mod.py").write_text("x = 1\n")
    text = '```python exec="on" include="pkg/mod.py"\n```'
    ((_, _, block),) = find_blocks(text.split("\n"), "post.md", [first, second])
    assert block.source_file == str(second / "pkg" / "mod.py")


def test_include_without_lines_takes_the_whole_file(tmp_path):
    (tmp_path / "mod.py").write_text("a = 1\nb = 2\n")
    block = only_block('```python exec="on" include="mod.py"\n```', tmp_path)
    assert block.code == "a = 1\nb = 2\n" and block.source_first_line == 1


@pytest.mark.parametrize(
    ("info", "body", "message"),
    [
        ('include="missing.py"', "", "include='missing.py': no such file in"),
        ('include="../secret.py"', "", "is outside"),
        ('include="mod.py"', "x = 1", "a block with include= must be empty"),
        ('include="mod.py" lines="2-9"', "", "lines='2-9': expected A-B within 1-2"),
        ('include="mod.py" lines="two"', "", "expected A-B"),
    ],
)
def test_bad_includes_are_refused(tmp_path, info, body, message):
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "mod.py").write_text("a = 1\nb = 2\n")
    (tmp_path / "secret.py").write_text("key = 'x'\n")
    with pytest.raises(BlockError, match="post.md:1: ") as raised:
        only_block(f'```python exec="on" {info}\n{body}\n```', code_dir)
    assert message in str(raised.value)


def test_depends_names_files_next_to_the_post(tmp_path):
    (tmp_path / "data.csv").write_text("1,2\n")
    post = str(tmp_path / "post.md")
    text = '```python exec="on" depends="data.csv"\nprint(1)\n```'
    ((_, _, block),) = find_blocks(text.split("\n"), post, [])
    assert block.depends == [str(tmp_path / "data.csv")]
    missing = '```python exec="on" depends="gone.csv"\nprint(1)\n```'
    ((_, _, error),) = find_blocks(missing.split("\n"), post, [])
    assert "depends='gone.csv': no such file" in str(error)


@pytest.mark.parametrize("name", ["/etc/hostname", "../../outside.txt", "link.txt"])
def test_depends_refuses_a_file_outside_the_places_it_may_name(tmp_path, name):
    """A depends= file is opened to the block's sandbox: none may lie
    outside the site (by an absolute path, up out of it, or through a link)."""
    site, outside = tmp_path / "site", tmp_path / "outside.txt"
    (site / "posts").mkdir(parents=True)
    outside.write_text("the builder's\n")
    (site / "posts" / "link.txt").symlink_to(outside)
    (site / "data.csv").write_text("1,2\n")
    post = str(site / "posts" / "post.md")
    text = f'```python exec="on" depends="{name}"\nprint(1)\n```'
    ((_, _, error),) = find_blocks(text.split("\n"), post, [], readable=[site])
    assert isinstance(error, BlockError)
    assert f"post.md:1: depends={name!r} is outside {site}" in str(error)
    inside = '```python exec="on" depends="../data.csv"\nprint(1)\n```'
    ((_, _, block),) = find_blocks(inside.split("\n"), post, [], readable=[site])
    assert block.depends == [str(site / "data.csv")]


def test_a_build_without_network_refuses_a_block_that_asks_for_it():
    lines = ['```python exec="on" network="on"', "print(1)", "```"]
    ((_, _, error),) = find_blocks(lines, "post.md", network=False)
    assert isinstance(error, BlockError)
    assert str(error).startswith('post.md:1: network="on": this build gives posts')
    ((_, _, block),) = find_blocks(lines, "post.md")
    assert block.options["network"] == "on"


def test_a_pytest_block_without_pytest_installed_says_how_to_install_it(monkeypatch):
    from executable_blocks import blocks

    monkeypatch.setattr(blocks, "pytest_installed", lambda: False)
    ((_, _, error),) = blocks_of(
        '```python exec="pytest"\ndef test_a():\n    pass\n```'
    )
    assert isinstance(error, BlockError) and error.line == 1
    assert 'pip install "pelican-executable-posts[pytest]"' in str(error)


@pytest.mark.parametrize(
    "text",
    [
        '1. A list item:\n\n    ```python exec="on"\n    print(1)\n    ```',
        '- item\n\n  ```python exec="on"\n  print(1)\n  ```',
        '> ```python exec="on"\n> print(1)\n> ```',
        '> > ~~~python exec="on"\n> > print(1)\n> > ~~~',
        '```python exec="on"\nprint(1)\n```\n\n* item\n\n    ```output\n    2\n    ```',
        '1. ```python exec="on"\n   print(1)\n   ```',
        "- ```output\n  2\n  ```",
        '> 1. ```python exec="on"\n>    print(1)\n>    ```',
        '1. item\n\n    para\n\n    ```python exec="on"\n    print(1)\n    ```',
        '  ```python exec="on"\n  print(1)\n  ```',
    ],
)
def test_a_block_or_claim_in_a_list_item_or_quote_is_an_error_at_its_line(text):
    """Python-Markdown shows such a fence as text: its code never ran and a
    wrong claim in it was published (the build exited 0)."""
    errors = [found for found in blocks_of(text) if isinstance(found[2], BlockError)]
    ((first, last, error),) = errors
    lines = text.split("\n")
    assert "```" in lines[first] or "~~~" in lines[first]
    assert error.line == first + 1 and last == first
    assert "in a list item, a block quote" in str(error)


# Lines that hold the lines indented four under them: an admonition (and
# pymdownx's collapsible ones, and tabs), a footnote's definition, a definition.
CONTAINERS = [
    "!!! note",
    '!!! warning "Careful"',
    "??? note",
    '???+ note "Open"',
    '=== "Tab"',
    "Text[^1].\n\n[^1]: A footnote.",
    "Text[^1].\n\n[^1]: A footnote\nthat goes on.",
    "Term\n:   Its definition.",
]
INDENTED_BLOCK = '    ```python exec="on"\n    print(1)\n    ```'
INDENTED_CLAIM = "    ```output\n    2\n    ```"


@pytest.mark.parametrize("container", CONTAINERS)
@pytest.mark.parametrize("fence", [INDENTED_BLOCK, INDENTED_CLAIM])
@pytest.mark.parametrize("blank", ["", "\n"])
def test_a_block_or_claim_in_an_admonition_footnote_or_definition_is_an_error(
    container, fence, blank
):
    """Python-Markdown shows such a fence as text, inline code of a paragraph:
    its code never ran, its claim was never checked, and the build exited 0."""
    text = f"{container}\n{blank}{fence}"
    ((first, last, error),) = blocks_of(text)
    assert isinstance(error, BlockError)
    assert text.split("\n")[first].lstrip().startswith("```")
    assert error.line == first + 1 and last == first
    assert "an admonition, a footnote or a definition" in str(error)


@pytest.mark.parametrize(
    "text",
    [
        'Term\n:   ```python exec="on"\n    print(1)\n    ```',
        'Text[^1].\n\n[^1]: ```python exec="on"\n    print(1)\n    ```',
        "Term\n:   ```output\n    2\n    ```",
    ],
)
def test_a_block_that_opens_a_definition_or_a_footnote_is_an_error(text):
    ((first, last, error),) = blocks_of(text)
    assert isinstance(error, BlockError)
    assert error.line == first + 1 and last == first
    assert text.split("\n")[first].split("```")[0].strip() in (":", "[^1]:")
    assert "after '>', a list marker, ':'" in str(error)


@pytest.mark.parametrize(
    "before",
    [
        "How a block is written:",
        "Text[^1].",
        "Term",
        "!!! note\n    A note.\n\nText after the note.",
        "Text[^1].\n\n[^1]: A footnote.\n\nText after it.",
        # (a paragraph's later line that looks like an item is text: a list
        # starts only where a block does)
        "How a block is written, released in\n2001. The syntax is below:",
        "Some text\n- that is no list item",
    ],
)
@pytest.mark.parametrize("fence", [INDENTED_BLOCK, INDENTED_CLAIM])
def test_the_same_fence_in_an_indented_code_block_is_no_error(before, fence):
    """Four spaces after a paragraph break, under no container: an indented
    code block, which shows the fence as text as the post means it to."""
    assert blocks_of(f"{before}\n\n{fence}") == []


@pytest.mark.parametrize(
    "text",
    [
        'How a block is written:\n\n    ```python exec="on"\n    print(1)\n    ```',
        '<!--\n  ```python exec="on"\n  print(1)\n  ```\n-->',
        "<!-- a draft: -->\n\nText.\n\n    ```output\n    2\n    ```",
    ],
)
def test_a_fence_shown_in_indented_code_or_a_comment_is_no_error(text):
    """A post that shows the syntax in an indented code block, or keeps a
    block in an HTML comment: it is nobody's block, and was an error."""
    assert blocks_of(text) == []


def test_indented_fences_without_exec_stay_text():
    """A fence shown in an indented code block or a list, not the engine's."""
    text = "    ```python\n    print(1)\n    ```\n\n- ```bash\n  ls\n  ```"
    assert blocks_of(text) == []


def test_a_fence_inside_a_fence_is_its_text():
    """A post that shows how a block is written, in a longer fence."""
    text = '````markdown\n  ```python exec="on"\n  print(1)\n  ```\n````'
    assert blocks_of(text) == []


def test_the_code_and_the_claim_are_the_posts_text_not_the_normalized_lines():
    """Python-Markdown expands tabs and empties lines of spaces before the
    extension reads the lines: a tab in a string ran as spaces, and a line
    of spaces in a triple-quoted string as an empty one."""
    code = 'print(repr("a\tb"))\ns = """\n  \t \n"""\nif s:\n\tprint(1)\n'
    text = f"Intro\n\n```python exec=\"on\"\n{code}```\n\n```output\n'a\tb'\n```"
    source = text.split("\n")
    lines = Markdown().preprocessors["normalize_whitespace"].run(source)
    assert "\t" not in "".join(lines)  # (what the extension is given)
    ((_, _, block),) = find_blocks(lines, "post.md", source=source)
    assert block.code == code
    assert block.claim.text == "'a\tb'"
    assert (block.line, block.end_line) == (3, 14)
