"""The CloudCached client: get, put, update, delete, as in the 2009 post.

``put`` adds (it refuses to overwrite a live entry unless ``replace``),
``update`` replaces (it refuses to create one). ``time_to_expire`` is in
seconds; 0 means never. Every read checks the body against the checksum in
its metadata; a pickled value is also checked against its signature before
anything is unpickled. A client without a serializer stores and loads plain
types only (a caller that signs its own bytes needs no other).
"""

import hashlib
import time

from signed_pickle import Serializer, SigningError

from . import codec
from .exc import CorruptEntry, ReadOnlyCache

MAX_KEY_BYTES = 1024


def checksum(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


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
        self.read_only = read_only
        self.clock = clock

    @staticmethod
    def check_key(key: str) -> None:
        if not isinstance(key, str) or not key or len(key.encode()) > MAX_KEY_BYTES:
            raise ValueError(
                f"a key is a non-empty string of at most {MAX_KEY_BYTES} bytes"
            )

    def live(self, key: str):
        """The stored entry of ``key`` if it has not expired, else None."""
        stored = self.backend.read(key)
        if stored is None:
            return None
        try:
            expires = float(stored.meta.get("expires", "0"))
        except ValueError:
            raise CorruptEntry(key, "its expiry is not a number") from None
        if expires and expires <= self.clock():
            return None
        return stored

    def get(self, key: str):
        """The value of ``key``, or None if it is missing or expired."""
        self.check_key(key)
        stored = self.live(key)
        if stored is None:
            return None
        expected = stored.meta.get("checksum")
        if not expected:
            raise CorruptEntry(key, "it has no checksum")
        if checksum(stored.body) != expected:
            raise CorruptEntry(key, "its checksum does not match its bytes")
        try:
            return codec.decode(
                stored.body, stored.meta.get("type", ""), self.serializer
            )
        except SigningError as error:
            raise CorruptEntry(key, str(error)) from None
        except ValueError as error:
            raise CorruptEntry(
                key, f"cannot read it as {stored.meta.get('type')!r}: {error}"
            ) from None

    def write(self, key: str, value, time_to_expire: float, mode: str) -> bool:
        self.check_key(key)
        if self.read_only:
            raise ReadOnlyCache(f"cannot write {key!r}: the cache is read-only")
        if time_to_expire < 0:
            raise ValueError("time_to_expire is seconds from now, or 0 for never")
        body, tag = codec.encode(value, self.serializer)
        expires = self.clock() + time_to_expire if time_to_expire else 0
        meta = {
            "type": tag,
            "expires": repr(float(expires)),
            "checksum": checksum(body),
        }
        return self.backend.write(key, body, meta, mode)

    def put(
        self, key: str, value, time_to_expire: float = 3600, replace: bool = False
    ) -> bool:
        """Store ``value``; without ``replace``, only if ``key`` has no live entry."""
        self.check_key(key)
        if replace:
            return self.write(key, value, time_to_expire, "any")
        stored = self.backend.read(key)
        if stored is None:
            return self.write(key, value, time_to_expire, "absent")
        if self.live(key) is not None:
            return False
        return self.write(key, value, time_to_expire, "any")  # expired: take its place

    def update(self, key: str, value, time_to_expire: float = 3600) -> bool:
        """Replace the value of ``key``, only if it has a live entry."""
        self.check_key(key)
        if self.live(key) is None:
            return False
        return self.write(key, value, time_to_expire, "any")

    def delete(self, key: str) -> bool:
        self.check_key(key)
        if self.read_only:
            raise ReadOnlyCache(f"cannot delete {key!r}: the cache is read-only")
        return self.backend.delete(key)
