"""CloudCached: a memcached-like cache whose memory is S3 (or a directory).

The 2009 weekend project of the blog, rebuilt: the same four verbs, values
that come back as the type they went in as, a checksum of the value, its
type and its expiry verified on every read (and signed, with a key), and
anything beyond plain types stored as a signed pickle, so that nothing is
unpickled that a key holder did not write. Writes that depend on what is
there (add, update) are atomic: of two racing clients, one is told False.

    >>> from signed_pickle import Serializer, Signer
    >>> cache = Client(LocalBackend(directory), Serializer(Signer([key])))
    >>> cache.put("answer", 42)
    True
    >>> cache.put("answer", 43)
    False
    >>> cache.get("answer")
    42
    >>> cache.get("question", default="no entry")
    'no entry'
"""

from .backends import LocalBackend, S3Backend, Stored
from .client import Client
from .exc import CacheError, CorruptEntry, ReadOnlyCache
from .locations import backend_for

__all__ = [
    "CacheError",
    "Client",
    "CorruptEntry",
    "LocalBackend",
    "ReadOnlyCache",
    "S3Backend",
    "Stored",
    "backend_for",
]
