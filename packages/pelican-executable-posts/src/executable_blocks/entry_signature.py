"""Cache entries signed over the key they are stored under.

A signature that covered only an entry's payload would vouch for it under
any key: swapping two valid entries, or copying one under another key,
would show one block's output under another block, no key needed. So what
is signed is the entry's key as well::

    DOMAIN | length of the key (2 bytes, big-endian) | key (UTF-8) | payload

``DOMAIN`` keeps a signature made here from meaning anything anywhere else.
An entry's bytes are::

    MAGIC | length of the key name (1 byte) | key name | signature (64) | payload

The key name says which public key to verify with (one verification an
entry); it is not signed and needs not be: naming another key only makes
the verification fail.
"""

import struct

from .errors import UntrustedEntry
from .signing_keys import PublicKey, SecretKey

MAGIC = b"NDX\x01"
DOMAIN = b"null-disquisition execution cache entry, v1\0"
SIGNATURE_BYTES = 64


def signed_message(key: str, payload: bytes) -> bytes:
    encoded = key.encode()
    return b"".join((DOMAIN, struct.pack(">H", len(encoded)), encoded, payload))


def parts(blob: bytes) -> tuple[str, bytes, memoryview]:
    """The key name, signature and payload of an entry's bytes, unverified."""
    view = memoryview(blob)
    if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + 1:
        raise UntrustedEntry("it is not a signed entry")
    start = len(MAGIC) + 1
    end = start + view[len(MAGIC)]
    name = bytes(view[start:end]).decode("ascii", errors="replace")
    signature = bytes(view[end : end + SIGNATURE_BYTES])
    if len(signature) < SIGNATURE_BYTES:
        raise UntrustedEntry("it is not a signed entry (cut short)")
    return name, signature, view[end + SIGNATURE_BYTES :]


class EntrySigner:
    """Signs entries with ``signing`` (if given); opens those signed by any
    of ``trusted``."""

    def __init__(self, trusted: list[PublicKey], signing: SecretKey | None = None):
        self.signing = signing
        self.trusted: dict[str, list[PublicKey]] = {}
        for public in trusted:
            keys = self.trusted.setdefault(public.name, [])
            if public not in keys:
                keys.append(public)

    def seal(self, key: str, payload: bytes) -> bytes:
        """``payload`` signed for ``key``: the bytes to store under ``key``."""
        if self.signing is None:
            raise UntrustedEntry("this build has no signing key (it is read-only)")
        name = self.signing.name.encode()
        signature = self.signing.sign(signed_message(key, payload))
        return b"".join((MAGIC, bytes([len(name)]), name, signature, payload))

    def open(self, key: str, blob: bytes) -> memoryview:
        """The payload of ``blob``, once a trusted key is proven to have
        signed it for ``key``."""
        name, signature, payload = parts(blob)
        keys = self.trusted.get(name)
        if not keys:
            raise UntrustedEntry(
                f"it is signed by {name!r}, a key this build does not trust"
            )
        message = signed_message(key, payload)
        if not any(public.verify(signature, message) for public in keys):
            raise UntrustedEntry(
                f"its signature by {name!r} does not match: the entry was altered, "
                "or signed for another key"
            )
        return payload
