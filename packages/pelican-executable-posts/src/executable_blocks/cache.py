"""The local execution cache: block results on disk, under keys that change
whenever anything the result could depend on changes.

A key is made of four parts, each a digest, so that a miss can say why:

- ``env``: Python's version, the engine's own code, and the lockfile
  (``EXEC_LOCKFILE``) or else every installed distribution's name and version;
- ``code``: the block's code and options;
- ``earlier``: the code and options of the session's earlier blocks;
- ``includes``: what the block and the earlier ones included.

Entries are kept by CloudCached (a directory, or S3 to share them between
builders), each a pickled ``protocol.CacheEntry`` signed with Ed25519 over
the key it is stored under (``entry_signature``, keys from
``signing_keys``), unpickled allowing the protocol's classes alone, and
checked for shape (``result_shape``) once verified and unpickled. A trusted builder
remembers the entries it verified or wrote (``verified``) and does not
verify them again. An entry also
records the code-directory modules the session had imported and their
digests: a block that imports ``content/code/x.py`` re-runs when ``x.py``
changes even though no include names it.
"""

import hashlib
import io
import json
import pickle
import sys
from contextlib import suppress
from functools import cached_property
from importlib import metadata
from pathlib import Path

from cloudcached import CacheError, Client, CorruptEntry, backend_for
from signed_pickle.serializer import RestrictedUnpickler

from . import protocol
from .atomic import write_atomically
from .entry_signature import EntrySigner, parts
from .errors import MalformedIndex, MalformedResult, UntrustedEntry
from .location_files import forget_all_but_the_latest, used
from .protocol import CacheEntry
from .result_shape import check_entry
from .signing_keys import Keys, keys_for, private_directory
from .verified import MEMO_PREFIX, VerifiedEntries

# A cache that cannot be read or written costs a re-run, never the build.
CACHE_FAILURES = (CacheError, OSError)
INDEX_PREFIX = "index-"  # an S3 cache's index, in the state directory
# The engine's code that makes results or says what they hold: a change to
# any of it makes every key new (an entry of another form is a miss).
ENGINE_FILES = (
    "worker.py",
    "figures.py",
    "pytest_runner.py",
    "zygote.py",
    "render.py",
    "protocol.py",
)


def digest(*parts) -> str:
    """A digest of ``parts``: texts as they are, other data as sorted JSON."""
    hasher = hashlib.sha256()
    for part in parts:
        if isinstance(part, str):
            part = part.encode()
        elif not isinstance(part, bytes):
            part = json.dumps(part, sort_keys=True).encode()
        hasher.update(part)
        hasher.update(b"\0")
    return hasher.hexdigest()


def file_digest(path: str | Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def environment_digest(lockfile: Path | None) -> str:
    """What every result depends on besides its code: the Python, the
    engine's own code, and the packages: the digest of the site's lockfile
    (``EXEC_LOCKFILE``), or without one the name and version of every
    installed distribution, so that upgrading NumPy runs the blocks again."""
    here = Path(__file__).parent
    engine = [file_digest(here / name) for name in ENGINE_FILES]
    packages = file_digest(lockfile) if lockfile else installed_distributions()
    return digest(sys.version, packages, engine)


def installed_distributions() -> list[tuple[str, str]]:
    return sorted(
        (d.metadata.get("Name") or "", d.metadata.get("Version") or "")
        for d in metadata.distributions()
    )


class KeyParts(dict):
    """The four digests of a block's key; ``key`` combines them."""

    @cached_property
    def key(self) -> str:
        return digest(self["env"], self["code"], self["earlier"], self["includes"])


def key_parts(session_blocks: list, env: str) -> list[KeyParts]:
    """Key parts for each block of a session, in order."""
    parts, earlier, includes = [], [], []
    for block in session_blocks:
        own = {"code": block.code, "options": block.options}
        if block.source_file:
            own = {"code": "", "options": block.options}
            includes.append(block.code)
        includes += [file_digest(path) for path in block.depends]
        parts.append(
            KeyParts(
                env=env,
                code=digest(own),
                earlier=digest(earlier),
                includes=digest(includes),
            )
        )
        earlier.append(own)
    return parts


def protocol_data(payload) -> object:
    """Unpickle ``payload`` allowing the protocol's classes and nothing else."""
    try:
        return RestrictedUnpickler(io.BytesIO(payload), protocol.ALLOWED).load()
    except Exception as error:
        raise MalformedResult(f"signed, but not plain data: {error}") from None


class ResultStore:
    """Block results in a CloudCached cache, signed and checked.

    ``location`` is a directory or ``s3://bucket/prefix``; ``state_dir``
    holds this builder's keys (``signing_keys``; ``keys`` gives them
    instead) and, for an S3 cache, the index. An entry is refused
    (``CorruptEntry``, naming its key) unless a trusted key signed it for
    the key it is stored under, before a byte of it is unpickled; the
    unpickler accepts the protocol's classes alone, and the entry must have
    an entry's shape. A read-only store holds no secret key
    and writes nothing. The index that explains misses is local: it says
    what this machine built last.
    """

    def __init__(
        self,
        location: str | Path,
        state_dir: str | Path,
        read_only: bool = False,
        s3_client=None,
        keys: Keys | None = None,
    ):
        location = str(location)
        remote = location.startswith("s3://")
        self.location, self.state_dir = location, Path(state_dir)
        self.read_only = read_only
        keys = keys or keys_for(self.state_dir, read_only)
        if not read_only:
            private_directory(self.state_dir)
        self.trusted, self.key_file = keys.trusted, keys.key_file
        self.signer = EntrySigner(keys.trusted, keys.signing)
        backend = backend_for(location, s3_client, private=True)
        self.client = Client(backend, read_only=read_only)  # bytes in, bytes out
        folder = self.state_dir if remote else Path(location)
        name = f"{INDEX_PREFIX}{digest(location)[:12]}.json" if remote else "index.json"
        self.index_path = folder / name
        if remote and not read_only:  # (one per location, in the state directory)
            forget_all_but_the_latest(self.index_path, INDEX_PREFIX)
        self.verified = None  # a read-only build verifies every entry
        if keys.signing:
            memo = self.state_dir / f"{MEMO_PREFIX}{digest(location)[:12]}"
            self.verified = VerifiedEntries(memo, keys.signing, keys.trusted)

    def get(self, key: str) -> CacheEntry | None:
        """The entry stored under ``key``, or None; ``CorruptEntry`` if refused."""
        blob = self.client.get(key)
        if blob is None:
            return None
        if not isinstance(blob, bytes):
            raise CorruptEntry(key, "it is not a signed entry")
        try:
            if self.verified and self.verified.seen(key, blob):
                payload = parts(blob)[2]
            else:
                payload = self.signer.open(key, blob)
                if self.verified:
                    self.verified.add(key, blob)
            return check_entry(protocol_data(payload))
        except (UntrustedEntry, MalformedResult) as error:
            raise CorruptEntry(key, str(error)) from None

    def put(self, key: str, entry: CacheEntry) -> None:
        if not self.read_only:
            blob = self.signer.seal(key, pickle.dumps(entry, protocol=5))
            self.client.put(key, blob, time_to_expire=0, replace=True)
            self.verified.add(key, blob)

    def save_verified(self, append: bool = False) -> None:
        """Remember the entries verified or written (``append``: to what the
        file holds, for the process that writes entries)."""
        if self.verified:
            with suppress(OSError):  # it only saves time
                self.verified.append() if append else self.verified.save()

    def load_index(self) -> dict:
        """Last build's key parts for each block, and whether it failed, to
        explain misses. ``MalformedIndex`` if the file is not such an index
        (it may lie in a checkout of the changes built, and a build must not
        end on it)."""
        try:
            text = self.index_path.read_text(encoding="utf-8")
            if not self.read_only:
                used(self.index_path)
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as error:
            raise MalformedIndex(f"{self.index_path}: {error}") from None
        try:
            index = json.loads(text)
        except (ValueError, RecursionError):
            index = None
        if not isinstance(index, dict) or not all(
            isinstance(parts, dict) for parts in index.values()
        ):
            raise MalformedIndex(
                f"{self.index_path}: not an index of blocks' key parts"
            )
        return index

    def save_index(self, index: dict) -> None:
        if not self.read_only:  # a read-only build leaves no trace
            self.index_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomically(self.index_path, json.dumps(index, sort_keys=True))


def miss_reason(parts: KeyParts, previous: dict | None) -> str:
    """Why a block whose key is not in the cache has to run."""
    if not previous:
        return "new"
    if previous.get("env") != parts["env"]:
        return "environment changed"
    if previous.get("code") != parts["code"]:
        return "code changed"
    if previous.get("includes") != parts["includes"]:
        return "include changed"
    if previous.get("earlier") != parts["earlier"]:
        return "an earlier block of its session changed"
    if previous.get("status") == "failed":
        return "failed last time"
    return "not in the cache"


def changed_dependency(entry: CacheEntry) -> str | None:
    """The first recorded dependency whose content is not what it was."""
    for path, recorded in sorted(entry.dependencies):
        if file_digest(path) != recorded:
            return path
    return None
