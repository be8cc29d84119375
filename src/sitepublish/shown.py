"""Keys as the terminal should show them: a key with a control, format
(every bidirectional control among them) or separator character would
otherwise print as something other than what it is, so those characters,
and the backslash that introduces an escape, are shown escaped."""

import unicodedata

# Control, format (bidi controls, zero-width characters), surrogate, private
# use, unassigned, and line and paragraph separators.
HIDDEN = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def shown(key: str) -> str:
    """``key`` with every character that would not show as itself escaped,
    as in a Python string literal (spaces other than U+0020 included)."""
    out = []
    for character in key:
        category = unicodedata.category(character)
        if character == "\\":
            out.append("\\\\")
        elif category in HIDDEN or (category == "Zs" and character != " "):
            out.append(escape(character))
        else:
            out.append(character)
    return "".join(out)
