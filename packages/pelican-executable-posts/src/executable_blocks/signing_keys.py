"""The execution cache's Ed25519 keys: what they look like, where they come
from, and which ones a build trusts.

A trusted builder signs the entries it writes with its secret key; every
builder verifies entries with public keys alone. A build of someone else's
change (``EXEC_CACHE_READONLY=1``) so reads the cache holding nothing that
could sign an entry, which an HMAC key could not offer: whoever can verify
with it can sign with it.

Keys are written as Nix writes those of its binary caches (``nix-store
--generate-binary-cache-key`` makes keys that work here), ``name:base64``:

- a secret key: the 32-byte seed, or the seed and the public key (64 bytes);
- a public key: its 32 bytes.

The name travels with every signature, so a verifier tries the key it names.

Where they come from:

- ``EXEC_CACHE_SIGNING_KEY``: the secret key of a trusted builder (CI's secret
  store). Without it, ``cache-signing.key`` in the builder's state directory,
  made on first use (mode 0600) with its public half beside it in
  ``cache-signing.pub``. A key file others may read is refused, as ssh
  refuses such a private key.
- ``EXEC_CACHE_TRUSTED_KEYS``: public keys, separated by commas or white space
  (more than one while a key is rotated in or out). A trusted builder also
  trusts its own key; a read-only one never reads or makes a secret key, and
  trusts ``cache-signing.pub`` of its state directory only when it is given
  no trusted keys.
"""

import base64
import binascii
import os
import re
import socket
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from .atomic import write_atomically
from .errors import CacheKeyError, InsecureKeyFile

SIGNING_ENVIRONMENT = "EXEC_CACHE_SIGNING_KEY"
TRUSTED_ENVIRONMENT = "EXEC_CACHE_TRUSTED_KEYS"
RETIRED_ENVIRONMENT = "EXEC_CACHE_KEYS"  # the HMAC keys of the cache's first form
SECRET_FILE = "cache-signing.key"
PUBLIC_FILE = "cache-signing.pub"
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+@-]{0,127}")
SEED_BYTES = PUBLIC_BYTES = 32


@dataclass(frozen=True)
class PublicKey:
    name: str
    raw: bytes
    key: Ed25519PublicKey = field(repr=False, compare=False)

    def verify(self, signature: bytes, data: bytes) -> bool:
        try:
            self.key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def text(self) -> str:
        return f"{self.name}:{base64.b64encode(self.raw).decode()}"


@dataclass(frozen=True)
class SecretKey:
    """A secret key; its ``repr`` and its errors never show the secret."""

    name: str
    key: Ed25519PrivateKey = field(repr=False, compare=False)
    public: PublicKey

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    @property
    def seed(self) -> bytes:
        return self.key.private_bytes_raw()

    def text(self) -> str:
        """``name:base64`` of the seed and the public key, as Nix writes it."""
        return f"{self.name}:{base64.b64encode(self.seed + self.public.raw).decode()}"


def public_of(name: str, private: Ed25519PrivateKey) -> PublicKey:
    public = private.public_key()
    return PublicKey(name, public.public_bytes_raw(), public)


def generate(name: str | None = None) -> SecretKey:
    """A new key, named ``name`` or after this machine and the key itself
    (``<host>-exec-cache-<8 hex digits of the public key>``), so that two
    builders of one machine never give their keys one name."""
    if name is not None and not NAME.fullmatch(name):
        raise CacheKeyError(f"{name!r}: a key name is letters, digits and ._+@-")
    private = Ed25519PrivateKey.generate()
    public = public_of("", private)
    if name is None:
        host = re.sub(r"[^A-Za-z0-9.-]+", "-", socket.gethostname()).strip(".-")
        name = f"{host or 'builder'}-exec-cache-{public.raw[:4].hex()}"
    return SecretKey(name, private, public_of(name, private))


def split(text: str, where: str, kind: str, sizes: tuple[int, ...]) -> tuple:
    """The name and bytes of a key written ``name:base64`` (``where`` and the
    name are all an error shows)."""
    name, colon, encoded = text.strip().partition(":")
    if not colon or not NAME.fullmatch(name):
        raise CacheKeyError(
            f"{where}: a {kind} key is written name:base64 (the name of letters, "
            "digits and ._+@-), as Nix writes its cache keys"
        )
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise CacheKeyError(f"{where}: the {kind} key {name!r} is not base64") from None
    if len(raw) not in sizes:
        expected = " or ".join(str(size) for size in sizes)
        raise CacheKeyError(
            f"{where}: the {kind} key {name!r} has {len(raw)} bytes, not {expected}"
        )
    return name, raw


def parse_secret(text: str, where: str) -> SecretKey:
    name, raw = split(text, where, "secret", (SEED_BYTES, SEED_BYTES + PUBLIC_BYTES))
    private = Ed25519PrivateKey.from_private_bytes(raw[:SEED_BYTES])
    key = SecretKey(name, private, public_of(name, private))
    if len(raw) > SEED_BYTES and raw[SEED_BYTES:] != key.public.raw:
        raise CacheKeyError(
            f"{where}: the secret key {name!r} holds a public key that is not its own"
        )
    return key


def parse_public(text: str, where: str) -> PublicKey:
    name, raw = split(text, where, "public", (PUBLIC_BYTES,))
    try:
        key = Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise CacheKeyError(f"{where}: {name!r} is not an Ed25519 public key") from None
    return PublicKey(name, raw, key)


def parse_publics(text: str, where: str) -> list[PublicKey]:
    """Public keys separated by commas or white space."""
    return [parse_public(word, where) for word in re.split(r"[\s,]+", text) if word]


def refuse_retired_variable() -> None:
    if os.environ.get(RETIRED_ENVIRONMENT, "").strip():
        raise CacheKeyError(
            f"${RETIRED_ENVIRONMENT} (HMAC keys) is no longer read: the cache is "
            f"signed with Ed25519 now; give trusted builders ${SIGNING_ENVIRONMENT} "
            f"(a secret key, name:base64) and untrusted ones ${TRUSTED_ENVIRONMENT} "
            f"(public keys), and unset ${RETIRED_ENVIRONMENT}"
        )


def read_private(path: Path) -> str | None:
    """The text of a secret key file, None if there is none; refused if its
    mode lets anyone but its owner read or write it."""
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return None
    with os.fdopen(handle, encoding="ascii") as file:
        mode = stat.S_IMODE(os.fstat(handle).st_mode)
        if mode & 0o077:
            raise InsecureKeyFile(
                f"{path}: permissions {mode:04o} are too open; a secret key must "
                f"be readable by its owner only (chmod 600 {path}), so it was "
                "not used"
            )
        try:
            return file.read()
        except UnicodeDecodeError:
            raise CacheKeyError(f"{path}: not a key (not ASCII text)") from None


def private_directory(path: Path) -> None:
    """``path``, made if need be, that only its owner may enter (0700); one
    of ours that others could is narrowed to that."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    status = path.stat()
    mode = stat.S_IMODE(status.st_mode)
    if mode & 0o077 and status.st_uid == os.geteuid():
        path.chmod(mode & 0o700)


def write_new(path: Path, text: str, mode: int) -> bool:
    """Write ``path`` whole, unless it exists (False): another process may be
    making it at the same moment, and a reader must never see half of it."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)  # left by a process that had our id
    handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(handle, "w", encoding="ascii") as file:
            file.write(text)
        os.link(temporary, path)
    except FileExistsError:
        return False
    finally:
        temporary.unlink(missing_ok=True)
    return True


def write_public(path: Path, key: PublicKey) -> None:
    """``path`` holding ``key`` (for read-only builds of this machine and for
    CI's set-up), rewritten if it holds anything else."""
    text = key.text() + "\n"
    try:
        if path.read_text(encoding="ascii") == text:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomically(path, text.encode("ascii"), 0o644)


def signing_key(
    state_dir: Path, name: str | None = None, secret: str | None = None
) -> SecretKey:
    """This builder's secret key: ``secret`` (by default
    ``EXEC_CACHE_SIGNING_KEY``'s value), else the key file of ``state_dir``,
    made with a new key on first use (named ``name``, or after this machine)."""
    if secret is None:
        secret = os.environ.get(SIGNING_ENVIRONMENT, "")
    text = secret.strip()
    if text:
        return parse_secret(text, f"${SIGNING_ENVIRONMENT}")
    path = state_dir / SECRET_FILE
    text = read_private(path)
    if text is None:
        new = generate(name)
        private_directory(state_dir)
        write_new(path, new.text() + "\n", 0o600)
        text = read_private(path)  # ours, or the one another process made first
    key = parse_secret(text or "", str(path))
    write_public(state_dir / PUBLIC_FILE, key.public)
    return key


def main(argv: list[str] | None = None) -> None:
    """``python -m executable_blocks.signing_keys``: print this builder's
    public key, for the builds that should trust its entries
    (``EXEC_CACHE_TRUSTED_KEYS``), making its key pair first if need be."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m executable_blocks.signing_keys",
        description="Print this builder's public key for the execution cache "
        "(name:base64): EXEC_CACHE_SIGNING_KEY's, else that of the key file "
        "of the state directory, made first if need be.",
    )
    parser.add_argument(
        "--state-dir",
        default=os.environ.get("EXEC_STATE_DIR") or ".cache",
        help="the builder's state directory (EXEC_STATE_DIR; default .cache)",
    )
    parser.add_argument(
        "--name",
        help="the name of a new key (default: <host>-exec-cache-<8 hex digits of it>)",
    )
    options = parser.parse_args(argv)
    try:
        refuse_retired_variable()
        key = signing_key(Path(options.state_dir), options.name)
    except CacheKeyError as error:
        raise SystemExit(f"cache key: {error}") from None
    print(key.public.text())


def trusted_keys(own: SecretKey | None) -> list[PublicKey]:
    """The keys of ``EXEC_CACHE_TRUSTED_KEYS``, and this build's own."""
    text = os.environ.get(TRUSTED_ENVIRONMENT, "")
    keys = parse_publics(text, f"${TRUSTED_ENVIRONMENT}")
    return keys if own is None else [*keys, own.public]


def public_keys_in(path: Path) -> list[PublicKey]:
    """The public keys of the file ``path`` (none if there is no such file)."""
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as error:
        raise CacheKeyError(
            f"{path}: cannot be read as a public key: {error}"
        ) from None
    return parse_publics(text, str(path))


@dataclass(frozen=True)
class Keys:
    """What a build signs with (None: it is read-only) and what it trusts;
    ``key_file``: the file its trusted keys came from, when they came from
    the state directory's public key file."""

    signing: SecretKey | None
    trusted: list[PublicKey]
    key_file: Path | None = None


def keys_for(state_dir: str | Path, read_only: bool, secret: str | None = None) -> Keys:
    """The keys of a build whose state directory is ``state_dir``: those of
    ``EXEC_CACHE_TRUSTED_KEYS``, and its own (``secret``, by default
    ``EXEC_CACHE_SIGNING_KEY``'s value, else its key file's). A read-only
    one gets no secret key, and none is made for it; given no trusted keys,
    it trusts the public key file of ``state_dir``, if there is one (a local
    check of what this machine built), and given some, those alone: its
    state directory may lie in a checkout of the changes it builds, where a
    pull request can put a key of its own beside entries it signed."""
    refuse_retired_variable()
    state_dir = Path(state_dir)
    signing = None if read_only else signing_key(state_dir, secret=secret)
    trusted = trusted_keys(signing)
    if signing is None and not trusted:
        path = state_dir / PUBLIC_FILE
        from_file = public_keys_in(path)
        if from_file:
            return Keys(None, from_file, path)
    return Keys(signing, trusted)


if __name__ == "__main__":
    main()
