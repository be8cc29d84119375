"""Signed pickles: serialize Python data so that only holders of the key can
produce bytes this package will unpickle.

The signature (HMAC-SHA256) is checked, in constant time, before a single
byte is unpickled; the unpickler then refuses every class that is not on the
serializer's list.

    >>> signer = Signer([b"a key of at least sixteen bytes"], salt="sessions")
    >>> serializer = Serializer(signer)
    >>> serializer.loads(serializer.dumps({"answer": 42}))
    {'answer': 42}
"""

from .exc import (
    BadPayload,
    BadSignature,
    BadTimeSignature,
    ForbiddenClass,
    InsecureKeyFile,
    SignatureExpired,
    SigningError,
    WeakKey,
)
from .keys import load_keys
from .serializer import Serializer
from .signer import Signer

__all__ = [
    "BadPayload",
    "BadSignature",
    "BadTimeSignature",
    "ForbiddenClass",
    "InsecureKeyFile",
    "Serializer",
    "SignatureExpired",
    "Signer",
    "SigningError",
    "WeakKey",
    "load_keys",
]
