"""Sign bytes with HMAC-SHA256, verify them with every configured key.

A signed blob is::

    b"SPK1" | flags (1 byte) | [timestamp, 8 bytes] | payload | MAC (32 bytes)

The MAC covers everything before it and is made with a key derived from the
secret and a salt, so a signature made for one purpose (say, the execution
cache) is refused for another (say, sessions). Keys are listed oldest to
newest, as in itsdangerous: the last one signs, and older ones still verify
until they are retired (like Django's ``SECRET_KEY_FALLBACKS``). To rotate,
append the new key.
"""

import hashlib
import hmac
import math
import struct
import time
from collections.abc import Callable

from .exc import BadSignature, BadTimeSignature, SignatureExpired, WeakKey

MAGIC = b"SPK1"
TIMESTAMPED = 0x01
TIMESTAMP = struct.Struct(">d")
MAC_SIZE = hashlib.sha256().digest_size
MIN_KEY_BYTES = 16
# How far in the future a timestamp may be (the signer's clock running ahead
# of ours) before max_age refuses it: else it would never expire.
CLOCK_SKEW = 5.0


def derive_key(secret: bytes, salt: bytes) -> bytes:
    """The key actually used for ``salt``: one secret, one key per purpose."""
    return hmac.new(secret, b"signed_pickle:" + salt, hashlib.sha256).digest()


def as_key_list(keys) -> list[bytes]:
    """``keys`` as a list of bytes: one key alone becomes a list of one."""
    if isinstance(keys, (bytes, bytearray, str)):
        keys = [keys]
    listed = []
    for key in keys:
        if isinstance(key, str):
            key = key.encode()
        if not isinstance(key, (bytes, bytearray)):
            raise TypeError(f"a signing key is bytes or text, not {type(key).__name__}")
        listed.append(bytes(key))
    return listed


class Signer:
    """Signs with ``keys[-1]``, the newest; verifies with any of ``keys``.
    One key may be given alone; a text key is its UTF-8 bytes (as in
    itsdangerous).

    ``clock`` (seconds since the epoch) stamps signatures and measures their
    age; ``clock_skew`` is how far ahead of it a timestamp may be.
    """

    def __init__(
        self,
        keys: list[bytes | str] | bytes | str,
        salt: str | bytes = "signed_pickle",
        clock: Callable[[], float] = time.time,
        clock_skew: float = CLOCK_SKEW,
    ):
        keys = as_key_list(keys)
        if not keys:
            raise WeakKey("no signing key given")
        for key in keys:
            if len(key) < MIN_KEY_BYTES:
                raise WeakKey(f"a signing key must have at least {MIN_KEY_BYTES} bytes")
        salt = salt.encode() if isinstance(salt, str) else salt
        self.salt = salt
        self.derived = [derive_key(key, salt) for key in keys]
        self.clock = clock
        self.clock_skew = clock_skew

    def mac(self, key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, hashlib.sha256).digest()

    def sign(self, payload: bytes, timestamp: bool = False) -> bytes:
        header = MAGIC + bytes([TIMESTAMPED if timestamp else 0])
        if timestamp:
            header += TIMESTAMP.pack(self.clock())
        signed = header + payload
        return signed + self.mac(self.derived[-1], signed)

    def unsign(self, blob: bytes, max_age: float | None = None) -> bytes:
        """The payload of ``blob``, once its MAC is proven to be ours (and,
        with ``max_age``, its timestamp no older and not from the future)."""
        if max_age is not None and not max_age >= 0:  # NaN would never expire
            raise ValueError(f"max_age must be a number of seconds >= 0, not {max_age}")
        if len(blob) < len(MAGIC) + 1 + MAC_SIZE or not blob.startswith(MAGIC):
            raise BadSignature("not signed data (no signed_pickle header)")
        signed, mac = blob[:-MAC_SIZE], blob[-MAC_SIZE:]
        if not any(
            hmac.compare_digest(self.mac(key, signed), mac)
            for key in reversed(self.derived)
        ):
            raise BadSignature(
                "signature does not match (wrong key or purpose, or altered data)"
            )
        flags = signed[len(MAGIC)]
        start = len(MAGIC) + 1
        if flags & ~TIMESTAMPED:  # a format this version does not know
            raise BadSignature(
                f"unknown flags {flags:#04x} in the header (made by a newer "
                "signed_pickle?)"
            )
        if not flags & TIMESTAMPED:
            if max_age is not None:
                raise BadTimeSignature(
                    "no timestamp in the signature, but a max_age was asked for"
                )
            return signed[start:]
        if len(signed) < start + TIMESTAMP.size:
            raise BadTimeSignature("marked timestamped, but too short for a timestamp")
        (signed_at,) = TIMESTAMP.unpack_from(signed, start)
        if not math.isfinite(signed_at):
            raise BadTimeSignature(f"the timestamp is not a finite time ({signed_at})")
        if max_age is not None:
            age = self.clock() - signed_at
            if age < -self.clock_skew:
                raise BadTimeSignature(
                    f"signed {-age:.0f} s in the future, "
                    f"{self.clock_skew:g} s of clock skew allowed"
                )
            if age > max_age:
                raise SignatureExpired(
                    f"signature expired: {age:.0f} s old, {max_age:g} s allowed", age
                )
        return signed[start + TIMESTAMP.size :]
