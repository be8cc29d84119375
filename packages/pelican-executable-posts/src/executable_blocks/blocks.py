"""Find the executable code blocks of a post and read their options.

A block is a fenced ``python`` block whose info string carries options in
markdown-exec's style, optionally followed by an ``output`` block that holds
what the post claims the code prints::

    ```python exec="on" session="demo"
    print(1 + 1)
    ```

    ```output
    2
    ```
"""

import importlib.util
import math
import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .claims import Tolerance
from .errors import BlockError

OPENING = re.compile(r"^(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w.+-]*)(?P<info>.*)$")

BLOCK_OPTIONS = {
    "exec": "on, off or pytest",
    "reason": 'why a block does not run (with exec="off")',
    "source": "on, off, or fold: show the code (folded away until opened)",
    "output": "on or off: show what it printed",
    "session": "name of the session whose state the block shares",
    "raises": "exception type the block must raise",
    "match": "regular expression the exception message must contain",
    "timeout": "seconds before the block's worker is killed",
    "network": "on: the block's session may use the network",
    "include": "file under the code directory to run as the source",
    "lines": "line range of the included file, e.g. 10-42",
    "depends": "files the block reads (from the post's folder), part of its key",
    "caption": "caption and alt text of the figures the block makes",
    "figure": "auto, svg or png",
    "animation": "gif or mp4: save the matplotlib animation the block makes",
}
CLAIM_OPTIONS = {
    "ellipsis": "on or off: '...' in the claim matches any text",
    "tolerance": "numbers may differ by this much (1e-6), or by this share (5%)",
}
CHOICES = {
    "exec": ("on", "off", "pytest"),
    "source": ("on", "off", "fold"),
    "output": ("on", "off"),
    "figure": ("auto", "svg", "png"),
    "animation": ("gif", "mp4"),
    "ellipsis": ("on", "off"),
    "network": ("on", "off"),
}
DEFAULT_SESSION = "main"
MAX_TIMEOUT = 3600.0  # seconds; the EXEC_TIMEOUT_MAX setting changes it


@dataclass(frozen=True)
class Claim:
    """What the post says a block prints: the ``output`` block after it."""

    text: str
    line: int  # line of the opening fence
    ellipsis: bool = False
    tolerance: Tolerance | None = None


@dataclass
class Block:
    """One fenced ``python`` block of a post, with its options."""

    path: str  # the post, as shown in messages
    line: int  # 1-based line of the opening fence
    end_line: int  # line of the closing fence (or of the claim's, if any)
    code: str
    options: dict[str, str] = field(default_factory=dict)
    claim: Claim | None = None
    source_file: str | None = None  # where the code lives, if included
    source_first_line: int = 0  # 1-based line of the code's first line there
    depends: list[str] = field(default_factory=list)  # files it reads

    @property
    def mode(self) -> str:
        return self.options.get("exec", "")

    @property
    def runs(self) -> bool:
        return self.mode in ("on", "pytest")

    @property
    def session(self) -> str:
        return self.options.get("session", DEFAULT_SESSION)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def shows(self, part: str) -> bool:
        return self.options.get(part, "on") in ("on", "fold")


@lru_cache(maxsize=1024)
def words_of(info: str) -> tuple[str, ...]:
    """The shell-like words of an info string (blocks of a blog repeat theirs)."""
    return tuple(shlex.split(info))


def parse_info(info: str, allowed: dict[str, str], path: str, line: int) -> dict:
    """Options ``key="value"`` of a fence's info string, checked."""
    try:
        words = words_of(info)
    except ValueError as error:
        raise BlockError(
            path, line, f"cannot read the block's options: {error}"
        ) from None
    options = {}
    for word in words:
        key, equals, value = word.partition("=")
        if not equals:
            raise BlockError(path, line, f'option {key!r} needs a value: {key}="..."')
        if key not in allowed:
            known = ", ".join(sorted(allowed))
            raise BlockError(path, line, f"unknown option {key!r} (known: {known})")
        if key in CHOICES and value not in CHOICES[key]:
            choices = ", ".join(CHOICES[key])
            raise BlockError(path, line, f"{key}={value!r}: expected one of {choices}")
        options[key] = value
    return options


@lru_cache(maxsize=1)
def pytest_installed() -> bool:
    """Whether the blocks' Python has pytest (the ``pytest`` extra)."""
    return importlib.util.find_spec("pytest") is not None


def check_options(
    options: dict,
    path: str,
    line: int,
    max_timeout: float = MAX_TIMEOUT,
    network: bool = True,
) -> None:
    if options.get("exec") == "off" and not options.get("reason", "").strip():
        raise BlockError(path, line, 'exec="off" needs a reason="..." for the reader')
    if "lines" in options and "include" not in options:
        raise BlockError(path, line, "lines= needs include=")
    if "match" in options and "raises" not in options:
        raise BlockError(path, line, "match= needs raises=")
    if "match" in options:
        try:
            re.compile(options["match"])
        except re.error as error:
            message = f"match={options['match']!r}: not a regular expression ({error})"
            raise BlockError(path, line, message) from None
    if "timeout" in options:
        check_timeout(options["timeout"], max_timeout, path, line)
    if options.get("exec") == "pytest" and "raises" in options:
        raise BlockError(path, line, 'raises= does not apply to exec="pytest"')
    if options.get("exec") == "pytest" and not pytest_installed():
        raise BlockError(
            path,
            line,
            'exec="pytest" needs pytest where the build runs '
            '(pip install "pelican-executable-posts[pytest]")',
        )
    if options.get("network") == "on" and not network:
        raise BlockError(
            path,
            line,
            'network="on": this build gives posts no network (EXEC_NETWORK=never)',
        )


def check_timeout(text: str, max_timeout: float, path: str, line: int) -> float:
    """Seconds of ``timeout=``: a finite number above 0, at most the maximum."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= max_timeout):
        raise BlockError(
            path,
            line,
            f"timeout={text!r}: expected seconds above 0 and at most "
            f"{max_timeout:g} (EXEC_TIMEOUT_MAX)",
        )
    return seconds


def read_claim(options: dict, text: str, path: str, line: int) -> Claim:
    tolerance = options.get("tolerance")
    if tolerance is not None:
        try:
            tolerance = Tolerance.parse(tolerance)
        except ValueError:
            raise BlockError(
                path,
                line,
                f"tolerance={tolerance!r}: expected a number of at least 0 "
                '("1e-6": relative or absolute) or a percentage ("5%": relative)',
            ) from None
    return Claim(text, line, options.get("ellipsis") == "on", tolerance)


def fenced(lines: list[str], start: int, path: str):
    """The opening match and the closing index of the fence at ``start``."""
    opening = OPENING.match(lines[start])
    fence = opening["fence"]
    for end in range(start + 1, len(lines)):
        stripped = lines[end].rstrip()
        if stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0]):
            return opening, end
    raise BlockError(path, start + 1, f"code block opened with {fence} is never closed")


def next_nonblank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def include(block: Block, code_dirs: list[Path]) -> None:
    """Make an ``include=`` block's code the file (or lines) it names, found
    in the first of ``code_dirs`` that has it."""
    name = block.options["include"]
    if block.code.strip():
        raise BlockError(block.path, block.line, "a block with include= must be empty")
    for directory in code_dirs:
        target = (directory / name).resolve()
        if not target.is_relative_to(directory.resolve()):
            raise BlockError(
                block.path, block.line, f"include={name!r} is outside {directory}"
            )
        if target.is_file():
            break
    else:
        places = ", ".join(str(d) for d in code_dirs) or "no code directory"
        raise BlockError(
            block.path, block.line, f"include={name!r}: no such file in {places}"
        )
    text = target.read_text(encoding="utf-8").splitlines()
    first, last = 1, len(text)
    if "lines" in block.options:
        match = re.fullmatch(r"(\d+)-(\d+)", block.options["lines"])
        if not match or not 1 <= int(match[1]) <= int(match[2]) <= len(text):
            raise BlockError(
                block.path,
                block.line,
                f"lines={block.options['lines']!r}: expected A-B within 1-{len(text)}",
            )
        first, last = int(match[1]), int(match[2])
    block.code = "\n".join(text[first - 1 : last]) + "\n"
    block.source_file = str(target)
    block.source_first_line = first


def dependencies(block: Block, places: list[Path] = ()) -> list[str]:
    """The files of ``depends=``, relative to the post's folder; they must
    exist, in one of ``places`` (the post's folder if none is given). Each is
    opened to the block's sandbox: one anywhere else (the builder's keys, its
    credentials) would be handed to the post."""
    folder = Path(block.path).parent
    places = [p.resolve() for p in places] or [folder.resolve()]
    found = []
    for name in block.options["depends"].split():
        path = (folder / name).resolve()  # (links resolved: none leads out)
        if not any(path.is_relative_to(place) for place in places):
            where = ", ".join(str(p) for p in places)
            raise BlockError(
                block.path, block.line, f"depends={name!r} is outside {where}"
            )
        if not path.is_file():
            raise BlockError(block.path, block.line, f"depends={name!r}: no such file")
        found.append(str(path))
    return found


# A fence's opening after indentation, a block quote's ">", a list item's
# marker, a definition's ":" or a footnote's "[^label]:": Python-Markdown
# reads fences only at the start of a line.
LIST_MARKER = r"(?:[-*+]|\d{1,9}[.)])(?=[ \t])"
DEFINITION_MARKER = r":(?=[ \t])"
FOOTNOTE_MARKER = r"\[\^[^\]]+\]:"
NESTED_OPENING = re.compile(
    rf"^(?P<prefix>(?:[ \t]*(?:>|{LIST_MARKER}|{DEFINITION_MARKER}|{FOOTNOTE_MARKER})"
    r"[ \t]*)+|[ \t]+)"
    r"(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w.+-]*)(?P<info>.*)$"
)
LIST_ITEM = re.compile(rf"^[ \t]{{0,3}}{LIST_MARKER}")
HEADING = re.compile(r"^[ \t]{0,3}#{1,6}(?:[ \t]|$)")
# A line that opens what holds the lines indented under it: an admonition
# (``!!! note``), a collapsible one of pymdownx.details (``??? note``,
# ``???+ note``), a tab of pymdownx.tabbed (``=== "Tab"``), a footnote's
# definition (``[^1]: text``) or a definition (``:   text``).
CONTAINER = re.compile(
    rf"^[ \t]{{0,3}}(?:(?:!!!|\?\?\?\+?)[ \t]*[\w-]|===[+!]*[ \t]+\""
    rf"|{FOOTNOTE_MARKER}|{DEFINITION_MARKER})"
)
EXEC_OPTION = re.compile(r"(?:^|[\s{])exec\s*=")
LISTED_LANGUAGE = re.compile(r"\{(?:[^}]*?\s)?\.([\w+-]+)")  # {.python ...}


def misplaced(opening: re.Match, path: str, line: int) -> BlockError | None:
    """A fence of the engine's where it does nothing: an ``output`` claim
    that follows no python block (it would be shown, never checked), or
    ``exec=`` on another language (its code would be shown as text)."""
    if opening["lang"] == "output":
        return BlockError(
            path,
            line,
            "an output block claims what the python block right before it "
            "printed, and none is there: the claim would never be checked "
            "(a text block shows output that is not claimed)",
        )
    if EXEC_OPTION.search(opening["info"]):
        listed = LISTED_LANGUAGE.match(opening["info"].lstrip())
        if not opening["lang"] and listed and listed[1] == "python":
            return BlockError(
                path,
                line,
                "exec= in an attribute list: a block that runs opens with "
                '```python exec="on" (its options after the language)',
            )
        language = opening["lang"] or (listed and listed[1]) or "no language"
        return BlockError(path, line, f"exec= on {language!r}: only python blocks run")
    return None


def indentation(line: str) -> int:
    expanded = line.expandtabs(4)
    return len(expanded) - len(expanded.lstrip())


def in_indented_code(lines: list[str], index: int) -> bool:
    """Whether the line at ``index``, indented four or more, is a line of
    an indented code block (text, as a post shows syntax in) rather than
    of a list item, an admonition, a footnote or a definition: no line of
    the paragraph (the lines up to a blank one or a heading) that holds the
    nearest line above it indented less opens one of those, and its first
    line is no list item. (Python-Markdown sees those containers anywhere in
    a paragraph, but a list only where a block starts: a paragraph's later
    line that looks like an item is text.)"""
    if indentation(lines[index]) < 4:
        return False
    above = index - 1
    while above >= 0 and (not lines[above].strip() or indentation(lines[above]) >= 4):
        above -= 1
    if above < 0:
        return True
    first = above
    while (
        first > 0 and lines[first - 1].strip() and not HEADING.match(lines[first - 1])
    ):
        first -= 1
    if LIST_ITEM.match(lines[first]):
        return False
    return not any(CONTAINER.match(line) for line in lines[first : above + 1])


def nested(lines: list[str], index: int, path: str) -> BlockError | None:
    """A fence of the engine's in a list item, a block quote, an admonition,
    a footnote or a definition: Python-Markdown shows it as text, so its code
    would never run nor its claim be checked."""
    opening = NESTED_OPENING.match(lines[index])
    if not opening:
        return None
    if opening["lang"] != "output" and not EXEC_OPTION.search(opening["info"]):
        return None
    if not opening["prefix"].strip() and in_indented_code(lines, index):
        return None
    what = "an output claim" if opening["lang"] == "output" else "a block with exec="
    return BlockError(
        path,
        index + 1,
        f"{what} in a list item, a block quote, an admonition, a footnote or "
        "a definition (indented, or after '>', a list marker, ':' or "
        "'[^note]:'): Python-Markdown reads fences only at the start of a "
        "line, so it would be shown as text, never run nor checked; start "
        "its fence at the start of a line, outside the list, quote or other "
        "container (a post that shows the syntax puts it in a longer fence "
        "or an indented code block)",
    )


def comment_open_after(line: str, in_comment: bool) -> bool:
    """Whether an HTML comment is open after ``line`` (a fence shown in a
    comment is nobody's block)."""
    if in_comment:
        end = line.find("-->")
        if end < 0:
            return True
        line = line[end + 3 :]
    start = line.rfind("<!--")
    return start >= 0 and "-->" not in line[start + 4 :]


def find_blocks(
    lines: list[str],
    path: str,
    code_dirs: list[Path] = (),
    max_timeout: float = MAX_TIMEOUT,
    readable: list[Path] = (),
    network: bool = True,
    source: list[str] | None = None,
) -> list[tuple[int, int, Block | BlockError]]:
    """Every fenced ``python`` block of ``lines``, as (first, last, block) indexes.
    ``readable``: where ``depends=`` files may lie (the site's content and
    code; by default, the post's folder); ``network``: whether a block may
    ask for the network (``network="on"``).

    ``lines`` are read as Python-Markdown reads them (after its
    normalize_whitespace, which expands tabs and empties lines of spaces);
    ``source``, the same lines as the post has them (``source_lines``), is
    where the code and the claims are taken from: the code that runs is the
    post's, tabs and all. Without it, they come from ``lines``.

    A block whose options are wrong comes back as its ``BlockError`` so that
    the caller reports every problem of a post, not only the first.
    """
    text = lines if source is None else source
    found = []
    index, in_comment = 0, False
    while index < len(lines):
        opening = OPENING.match(lines[index])
        if not opening:
            problem = not in_comment and nested(lines, index, path)
            if problem:
                found.append((index, index, problem))
            in_comment = comment_open_after(lines[index], in_comment)
            index += 1
            continue
        try:
            opening, end = fenced(lines, index, path)
        except BlockError as error:
            found.append((index, len(lines) - 1, error))
            break
        if opening["lang"] != "python":
            problem = misplaced(opening, path, index + 1)
            if problem:
                found.append((index, end, problem))
            index = end + 1
            continue
        first, line, body_end = index, index + 1, end
        try:
            options = parse_info(opening["info"], BLOCK_OPTIONS, path, line)
            check_options(options, path, line, max_timeout, network)
            code = "\n".join(text[first + 1 : end]) + "\n"
            block = Block(path, line, end + 1, code, options)
            block.source_first_line = line + 1
            claim_start = output_after(lines, end)
            if claim_start is not None:
                claim, end = fenced(lines, claim_start, path)
                claim_options = parse_info(
                    claim["info"], CLAIM_OPTIONS, path, claim_start + 1
                )
                claimed = "\n".join(text[claim_start + 1 : end])
                block.claim = read_claim(claim_options, claimed, path, claim_start + 1)
                block.end_line = end + 1
                if not block.runs:
                    raise BlockError(
                        path,
                        claim_start + 1,
                        "an output block claims what the block before it "
                        "printed, and that block does not run: the claim would "
                        "never be checked",
                    )
            if "include" in options:
                include(block, list(code_dirs))
            if "depends" in options:
                block.depends = dependencies(block, readable)
            found.append((first, end, block))
        except BlockError as error:
            # (its claim, if any, is its own: not one that follows nothing)
            end = max(end, claim_end(lines, body_end, path))
            found.append((first, end, error))
        index = end + 1
    return found


def source_lines(text: str) -> list[str]:
    """The lines of a post as ``find_blocks`` takes its code from: as the
    post has them, but for line ends (CRLF and CR made LF, as Python reads a
    file and Python-Markdown's normalize_whitespace counts lines)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def output_after(lines: list[str], end: int) -> int | None:
    """Where the ``output`` block right after the block that ends at ``end``
    opens (only blank lines between: the block's claim); None if none."""
    start = next_nonblank(lines, end + 1)
    opening = start < len(lines) and OPENING.match(lines[start])
    return start if opening and opening["lang"] == "output" else None


def claim_end(lines: list[str], end: int, path: str) -> int:
    """The last line of the claim of the block that ends at ``end``; ``end``
    if it has none."""
    start = output_after(lines, end)
    if start is None:
        return end
    try:
        return fenced(lines, start, path)[1]
    except BlockError:  # (unclosed: the error found is the one to report)
        return end
