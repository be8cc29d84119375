"""Nicknames that cannot pass for one another.

A nickname is NFKC-normalised (so full-width and mathematical letters become
plain ones), must be letters, digits, spaces, dots, dashes or underscores,
may not hold invisible (default-ignorable) characters, and may not mix
scripts the way an impersonator would (Latin with Cyrillic, say: the
"moderately restrictive" level of Unicode TR39). Two nicknames clash when
they are equal ignoring case, or when their TR39 confusable skeletons are
equal (``dаvid`` with a Cyrillic а is ``david``; ``Ivan`` is ``lvan``). The
skeletons and checks are ICU's, whose data is Unicode's own.
"""

import re
import unicodedata

import icu

from .protocol import ProtocolError

LENGTH = 24
# (a letter or digit is ``\w`` but ``_``: ``_`` alone, or ``__x__``, is no name)
SHAPE = re.compile(r"[^\W_](?:[\w.\- ]{0,22}[^\W_])?")

_checker = icu.SpoofChecker()
_checker.setChecks(
    icu.USpoofChecks.RESTRICTION_LEVEL
    | icu.USpoofChecks.INVISIBLE
    | icu.USpoofChecks.MIXED_NUMBERS
)
_checker.setRestrictionLevel(icu.URestrictionLevel.MODERATELY_RESTRICTIVE)
_IGNORABLE = icu.UProperty.DEFAULT_IGNORABLE_CODE_POINT


def nickname(message: dict) -> str:
    """The nickname a ``join`` asks for, normalised, or ``bad-nick``."""
    nick = message.get("nick")
    if not isinstance(nick, str):
        raise ProtocolError("bad-nick", "a nickname is a string")
    nick = unicodedata.normalize("NFKC", nick.strip())
    if not 1 <= len(nick) <= LENGTH or not SHAPE.fullmatch(nick):
        raise ProtocolError(
            "bad-nick",
            f"a nickname is 1 to {LENGTH} letters, digits, spaces, dots, "
            "dashes or underscores, starting and ending with a letter or digit",
        )
    if any(icu.Char.hasBinaryProperty(c, _IGNORABLE) for c in nick):
        raise ProtocolError("bad-nick", "a nickname has no invisible characters")
    if _checker.check(nick):
        raise ProtocolError(
            "bad-nick",
            "a nickname keeps to one script (with Latin, if you like), "
            "and to one kind of digits",
        )
    return nick


def clash_keys(nick: str) -> tuple[str, ...]:
    """What a nickname holds while it is taken: another with any one key
    the same is refused. Prefixed, so that one kind never meets another."""
    folded = nick.casefold()
    return (
        "case:" + folded,
        "look:" + _checker.getSkeleton(0, nick),
        "look-folded:" + _checker.getSkeleton(0, folded),
    )
