"""CloudCached: a memcached-like cache whose memory is S3 (or a directory).

The 2009 weekend project of the blog, rebuilt: the same four verbs, values
that come back as the type they went in as, a checksum verified on every
read, and anything beyond plain types stored as a signed pickle, so that
nothing is unpickled that a key holder did not write.

    >>> from signed_pickle import Serializer, Signer
    >>> cache = Client(LocalBackend(directory), Serializer(Signer([key])))
    >>> cache.put("answer", 42)
    True
    >>> cache.get("answer")
    42
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
