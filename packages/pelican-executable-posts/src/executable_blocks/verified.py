"""Entries a trusted builder has verified before, remembered so that a warm
build does not verify them again.

An Ed25519 verification costs 50 to 150 µs, which a warm build of a thousand
posts would pay a thousand times over for entries it verified, or wrote,
the build before. A trusted builder remembers each entry it accepted or wrote
by a tag, ``HMAC(memo key, key | entry's bytes)``; an entry whose tag it
remembers is the very entry it verified, under the very key. The memo key is
derived from the builder's secret key and the keys it trusts, so that

- making a tag takes the secret key, which can sign entries anyway: tags
  written into the memo file by someone else are worth nothing;
- trusting other keys (one rotated out, say) forgets every tag.

A read-only build has no secret key, keeps no memo and verifies every entry.
The memo is a file of 32-byte tags in the state directory (0600): the builder
rewrites it with the tags of the entries it met, and the process that writes
new entries appends theirs.
"""

import hashlib
import hmac
import os
import struct
from pathlib import Path

from .atomic import write_atomically
from .location_files import forget_all_but_the_latest, used
from .signing_keys import PublicKey, SecretKey

DOMAIN = b"null-disquisition execution cache: entries verified before\0"
TAG_BYTES = 32
MEMO_PREFIX = "verified-"  # and the cache location's digest (location_files)


class VerifiedEntries:
    def __init__(self, path: Path, secret: SecretKey, trusted: list[PublicKey]):
        trust = b"".join(
            sorted(k.name.encode() + b":" + k.raw + b"\0" for k in trusted)
        )
        self.key = hmac.digest(secret.seed, DOMAIN + trust, "sha256")
        self.path = path
        self.known = self.load()
        self.met: set[bytes] = set()  # the tags of the entries met this time
        forget_all_but_the_latest(path, MEMO_PREFIX)

    def load(self) -> set[bytes]:
        try:
            data = self.path.read_bytes()
            used(self.path)
        except OSError:
            return set()
        return {data[i : i + TAG_BYTES] for i in range(0, len(data), TAG_BYTES)}

    def tag(self, key: str, blob: bytes) -> bytes:
        encoded = key.encode()
        mac = hmac.new(self.key, struct.pack(">H", len(encoded)), hashlib.sha256)
        mac.update(encoded)
        mac.update(blob)
        return mac.digest()

    def seen(self, key: str, blob: bytes) -> bool:
        """Whether ``blob`` is an entry verified (or written) under ``key``
        before; it is remembered as met if so."""
        tag = self.tag(key, blob)
        if tag in self.known:
            self.met.add(tag)
            return True
        return False

    def add(self, key: str, blob: bytes) -> None:
        """``blob`` is verified (or signed here) for ``key``."""
        self.met.add(self.tag(key, blob))

    def save(self) -> None:
        """Keep the tags of the entries met this time, and only those."""
        if self.met != self.known:
            write_atomically(self.path, b"".join(sorted(self.met)))
            self.known = set(self.met)

    def append(self) -> None:
        """Add the tags of the entries met this time to the file (for the
        process that writes entries while the builder's own memo stands)."""
        new = self.met - self.known
        if new:
            flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
            handle = os.open(self.path, flags, 0o600)
            with open(handle, "wb") as file:
                file.write(b"".join(new))  # one write: appends do not interleave
