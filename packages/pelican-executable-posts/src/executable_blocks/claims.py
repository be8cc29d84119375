"""Compare what a post claims a block prints with what it really printed.

Trailing whitespace never matters. Like doctest, ``...`` may stand for any
text when the claim opts in (``ellipsis="on"``), and numbers may differ within
a tolerance when it gives one: ``tolerance="1e-6"`` (relative or absolute,
as ``math.isclose`` takes both), or ``tolerance="5%"`` (relative only, for
numbers far from 1, where an absolute 0.05 would let an error of 3e-2 be
anything below 8e-2).
"""

import difflib
import math
import re
from dataclasses import dataclass

# A number; its point is not the first dot of an ellipsis ("1...").
NUMBER = r"[-+]?(?:\d+\.(?!\.)\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?"
TOKENS = re.compile(rf"(?P<ellipsis>\.\.\.)|(?P<number>{NUMBER})")


@dataclass(frozen=True)
class Tolerance:
    """How far a printed number may be from the claimed one."""

    relative: float
    absolute: float
    percent: bool = False  # written as a share ("5%"): relative only

    @classmethod
    def parse(cls, text: str) -> "Tolerance":
        """``"1e-6"``: that much, relative or absolute; ``"5%"``: relative
        only. ValueError unless a finite number, at least 0."""
        percent = text.strip().endswith("%")
        value = float(text.strip().removesuffix("%"))
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(text)
        if percent:
            return cls(value / 100, 0.0, percent=True)
        return cls(value, value)

    def allows(self, got: float, want: float) -> bool:
        return math.isclose(got, want, rel_tol=self.relative, abs_tol=self.absolute)

    def __str__(self) -> str:
        if self.percent:
            return f"{100 * self.relative + 0:g}%"
        return f"{self.absolute + 0:g}"  # (+ 0: "-0" is 0)


def normalized(text: str) -> str:
    """``text`` without trailing whitespace on each line or at the end."""
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def pattern(
    claim: str, ellipsis: bool, tolerance: Tolerance | None
) -> tuple[str, list]:
    """A regular expression for ``claim`` and the numbers it expects."""
    parts, numbers, position = [], [], 0
    for token in TOKENS.finditer(claim):
        kind = token.lastgroup
        if kind == "ellipsis" and not ellipsis:
            continue
        if kind == "number" and tolerance is None:
            continue
        parts.append(re.escape(claim[position : token.start()]))
        if kind == "ellipsis":
            parts.append(".*?")
        else:
            parts.append(f"({NUMBER})")
            numbers.append(float(token.group()))
        position = token.end()
    parts.append(re.escape(claim[position:]))
    return "".join(parts), numbers


def matches(
    claim: str,
    printed: str,
    ellipsis: bool = False,
    tolerance: Tolerance | None = None,
) -> bool:
    claim, printed = normalized(claim), normalized(printed)
    if not ellipsis and tolerance is None:
        return claim == printed
    regex, expected = pattern(claim, ellipsis, tolerance)
    found = re.fullmatch(regex, printed, re.DOTALL)
    if not found:
        return False
    return all(
        tolerance.allows(float(got), want)
        for got, want in zip(found.groups(), expected, strict=True)
    )


DIFF_LINES = 200  # of a diff in the build's log; the rest is counted


def diff(claim: str, printed: str, claimed_at: str) -> str:
    """A unified diff from the claim to what was printed (its first
    ``DIFF_LINES`` lines: a block can print a megabyte)."""
    lines = list(
        difflib.unified_diff(
            normalized(claim).splitlines(),
            normalized(printed).splitlines(),
            fromfile=f"claimed ({claimed_at})",
            tofile="printed",
            lineterm="",
        )
    )
    if len(lines) > DIFF_LINES:
        lines[DIFF_LINES:] = [f"[... {len(lines) - DIFF_LINES} more lines of the diff]"]
    return "\n".join(lines)
