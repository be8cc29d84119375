"""The CloudCached client: get, put, update, delete, as in the 2009 post.

``put`` adds (it refuses to overwrite a live entry unless ``replace``),
``update`` replaces (it refuses to create one). Each writes only if the key
still holds what it read, so of two clients racing for a key one wins and
the other is told False (a refused ``put`` reads again, and is told False
only if the key now has a live entry). ``time_to_expire`` is in seconds; 0
means never. ``get`` returns ``default`` (None) for a key with no live
entry; pass a default of your own to tell a stored None from a miss.

Every read checks an entry against its checksum, a SHA-256 of its type tag,
its expiry and its bytes, so that none of them changes unseen. A client with
a serializer also signs that checksum, with the key the entry is stored
under, by the serializer's signer, and refuses an entry without such a
signature: whoever can write to the cache but does not hold the secret can
neither forge an entry, nor make one live longer, nor have a pickle read as
text, nor move an entry to another key. A pickled value's own signature is
checked again before anything is unpickled. A client without a serializer
stores and loads plain types only (a caller that signs its own bytes needs
no other), and its checksums catch accidents, not forgers. An entry that
fails a check is refused (``CorruptEntry``) by every verb that reads it.
"""

import hashlib
import time
from functools import lru_cache

from signed_pickle import Serializer, SigningError

from . import codec
from .exc import CorruptEntry, ReadOnlyCache

MAX_KEY_BYTES = 1024


def checksum(tag: str, expires: str, body: bytes) -> str:
    """The SHA-256 of an entry's type tag, expiry and bytes. (NULs end the
    first two: a tag or an expiry that holds one is refused anyway.)"""
    hasher = hashlib.sha256(f"{tag}\0{expires}\0".encode())
    hasher.update(body)
    return hasher.hexdigest()


def signed_part(key: str, check: str) -> bytes:
    """What an entry's signature covers: its checksum, for its key."""
    return hashlib.sha256(f"cloudcached\0{key}\0{check}".encode()).digest()


class Client:
    def __init__(
        self,
        backend,
        serializer: Serializer | None = None,
        read_only: bool = False,
        clock=time.time,
    ):
        self.backend = backend
        self.serializer = serializer
        self.signer = serializer.signer if serializer else None
        self.read_only = read_only
        self.clock = clock

    @staticmethod
    def check_key(key: str) -> None:
        if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY_BYTES:
            raise ValueError(
                f"a key is a non-empty string of at most {MAX_KEY_BYTES} bytes"
            )

    def verified_expiry(self, key: str, stored) -> float:
        """When ``stored`` expires (0: never), once it is proven to be as
        written: ``CorruptEntry`` if not."""
        meta = stored.meta
        expected = meta.get("checksum")
        if not expected:
            raise CorruptEntry(key, "it has no checksum")
        tag, expires = meta.get("type", ""), meta.get("expires", "")
        if checksum(tag, expires, stored.body) != expected:
            raise CorruptEntry(
                key, "its checksum does not match its type, expiry and bytes"
            )
        if self.signer:
            signature = meta.get("signature")
            if not signature:
                raise CorruptEntry(key, "it has no signature")
            if not isinstance(signature, str) or not self.signs(
                key, expected, signature
            ):
                raise CorruptEntry(
                    key,
                    "its signature does not match (another secret or another "
                    "key signed it, or it was altered)",
                )
        try:
            return float(expires)
        except (TypeError, ValueError):
            raise CorruptEntry(key, "its expiry is not a number") from None

    @lru_cache(maxsize=4096)  # noqa: B019 - a warm cache reads entries again
    def signs(self, key: str, check: str, signature: str) -> bool:
        """Whether ``signature`` is this client's signer's, of ``check`` for
        ``key``. Remembered: checking it again would add some two thirds to
        the time of a small read."""
        try:
            signed = self.signer.unsign(bytes.fromhex(signature))
        except (ValueError, SigningError):
            return False
        return signed == signed_part(key, check)

    def live(self, key: str, stored) -> bool:
        expires = self.verified_expiry(key, stored)
        return not expires or expires > self.clock()

    def get(self, key: str, default=None):
        """The value of ``key``, or ``default`` if it is missing or expired."""
        self.check_key(key)
        stored = self.backend.read(key)
        if stored is None or not self.live(key, stored):
            return default
        tag = stored.meta.get("type", "")
        try:
            return codec.decode(stored.body, tag, self.serializer)
        except SigningError as error:
            raise CorruptEntry(key, str(error)) from None
        except ValueError as error:
            raise CorruptEntry(key, f"cannot read it as {tag!r}: {error}") from None

    def entry(self, key: str, value, time_to_expire: float) -> tuple[bytes, dict]:
        """The body and metadata that store ``value`` under ``key``."""
        self.check_key(key)
        if self.read_only:
            raise ReadOnlyCache(f"cannot write {key!r}: the cache is read-only")
        if time_to_expire < 0:
            raise ValueError("time_to_expire is seconds from now, or 0 for never")
        body, tag = codec.encode(value, self.serializer)
        expires = repr(float(self.clock() + time_to_expire if time_to_expire else 0))
        check = checksum(tag, expires, body)
        meta = {"type": tag, "expires": expires, "checksum": check}
        if self.signer:
            meta["signature"] = self.signer.sign(signed_part(key, check)).hex()
        return body, meta

    def put(
        self, key: str, value, time_to_expire: float = 3600, replace: bool = False
    ) -> bool:
        """Store ``value``; without ``replace``, only if ``key`` has no live
        entry (memcached's ``add``): False if it has one, be it one that
        another client wrote between this call's read and its write."""
        body, meta = self.entry(key, value, time_to_expire)
        if replace:
            return self.backend.write(key, body, meta, "any")
        while True:  # again only if another client wrote or deleted the key
            stored = self.backend.read(key)
            if stored is None:
                if self.backend.write(key, body, meta, "absent"):
                    return True
            elif self.live(key, stored):
                return False
            elif self.backend.write(key, body, meta, "match", stored.version):
                return True  # in place of the expired entry

    def update(self, key: str, value, time_to_expire: float = 3600) -> bool:
        """Replace the value of ``key``, only if it has a live entry: False if
        it has none, or if another client replaced or deleted the entry
        between this call's read and its write."""
        body, meta = self.entry(key, value, time_to_expire)
        stored = self.backend.read(key)
        if stored is None or not self.live(key, stored):
            return False
        return self.backend.write(key, body, meta, "match", stored.version)

    def delete(self, key: str) -> bool:
        self.check_key(key)
        if self.read_only:
            raise ReadOnlyCache(f"cannot delete {key!r}: the cache is read-only")
        return self.backend.delete(key)
