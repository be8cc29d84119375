"""Sign bytes with HMAC-SHA256, verify them with every configured key.

A signed blob is::

    b"SPK1" | flags (1 byte) | [timestamp, 8 bytes] | payload | MAC (32 bytes)

The MAC covers everything before it and is made with a key derived from the
secret and a salt, so a signature made for one purpose (say, the execution
cache) is refused for another (say, sessions). Keys are tried newest first:
sign with the newest, keep older ones to verify until they are retired, as
with itsdangerous' key lists or Django's ``SECRET_KEY_FALLBACKS``.
"""

import hashlib
import hmac
import struct
import time

from .exc import BadSignature, SignatureExpired, WeakKey

MAGIC = b"SPK1"
TIMESTAMPED = 0x01
MAC_SIZE = hashlib.sha256().digest_size
MIN_KEY_BYTES = 16


def derive_key(secret: bytes, salt: bytes) -> bytes:
    """The key actually used for ``salt``: one secret, one key per purpose."""
    return hmac.new(secret, b"signed_pickle:" + salt, hashlib.sha256).digest()


class Signer:
    """Signs with ``keys[0]``; verifies with any of ``keys``."""

    def __init__(self, keys: list[bytes], salt: str | bytes = "signed_pickle"):
        if not keys:
            raise WeakKey("no signing key given")
        for key in keys:
            if len(key) < MIN_KEY_BYTES:
                raise WeakKey(f"a signing key must have at least {MIN_KEY_BYTES} bytes")
        salt = salt.encode() if isinstance(salt, str) else salt
        self.salt = salt
        self.derived = [derive_key(key, salt) for key in keys]

    def mac(self, key: bytes, data: bytes) -> bytes:
        return hmac.new(key, data, hashlib.sha256).digest()

    def sign(self, payload: bytes, timestamp: bool = False) -> bytes:
        header = MAGIC + bytes([TIMESTAMPED if timestamp else 0])
        if timestamp:
            header += struct.pack(">d", time.time())
        signed = header + payload
        return signed + self.mac(self.derived[0], signed)

    def unsign(self, blob: bytes, max_age: float | None = None) -> bytes:
        """The payload of ``blob``, once its MAC is proven to be ours."""
        if len(blob) < len(MAGIC) + 1 + MAC_SIZE or not blob.startswith(MAGIC):
            raise BadSignature("not signed data (no signed_pickle header)")
        signed, mac = blob[:-MAC_SIZE], blob[-MAC_SIZE:]
        if not any(
            hmac.compare_digest(self.mac(key, signed), mac) for key in self.derived
        ):
            raise BadSignature(
                "signature does not match (wrong key or purpose, or altered data)"
            )
        flags = signed[len(MAGIC)]
        start = len(MAGIC) + 1
        if flags & TIMESTAMPED:
            (signed_at,) = struct.unpack(">d", signed[start : start + 8])
            start += 8
            if max_age is not None:
                age = time.time() - signed_at
                if age > max_age:
                    raise SignatureExpired(
                        f"signature expired: {age:.0f} s old, {max_age:g} s allowed",
                        age,
                    )
        elif max_age is not None:
            raise BadSignature(
                "no timestamp in the signature, but a max_age was asked for"
            )
        return signed[start:]
