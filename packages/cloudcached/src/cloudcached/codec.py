"""Values to bytes and back, with a type tag so they come back as themselves.

Plain types travel as text or raw bytes (nothing to unpickle); anything else
is a signed pickle, as in the 2009 post's "other" type. Without a serializer
only plain types go in or come out: a "pickle" entry is refused unread.
"""

from signed_pickle import Serializer

PLAIN = {
    "bool": (lambda v: b"1" if v else b"0", lambda b: b == b"1"),
    "int": (lambda v: str(v).encode(), lambda b: int(b)),
    "float": (lambda v: repr(v).encode(), lambda b: float(b)),
    "complex": (lambda v: repr(v).encode(), lambda b: complex(b.decode())),
    "str": (lambda v: v.encode("utf-8"), lambda b: b.decode("utf-8")),
    "bytes": (lambda v: bytes(v), lambda b: b),
}


def type_tag(value) -> str:
    name = type(value).__name__
    return name if name in PLAIN else "pickle"


def encode(value, serializer: Serializer | None) -> tuple[bytes, str]:
    tag = type_tag(value)
    if tag == "pickle":
        if serializer is None:
            raise TypeError(f"a {type(value).__name__} needs a serializer to be stored")
        return serializer.dumps(value), tag
    return PLAIN[tag][0](value), tag


def decode(body: bytes, tag: str, serializer: Serializer | None):
    if tag == "pickle":
        if serializer is None:
            raise ValueError("a pickle, and this client loads none")
        return serializer.loads(body)  # the signature is checked first
    if tag not in PLAIN:
        raise ValueError(f"unknown type {tag!r}")
    return PLAIN[tag][1](body)
