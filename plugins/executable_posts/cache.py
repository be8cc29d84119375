"""The local execution cache: block results on disk, under keys that change
whenever anything the result could depend on changes.

A key is made of four parts, each a digest, so that a miss can say why:

- ``env``: Python's version, the lockfile and the engine's own code;
- ``code``: the block's code and options;
- ``earlier``: the code and options of the session's earlier blocks;
- ``includes``: what the block and the earlier ones included.

Entries are kept by CloudCached (a directory, or S3 to share them between
builders) as signed pickles. An entry also records the code-directory
modules the session had imported
and their digests: a block that imports ``content/code/x.py`` re-runs when
``x.py`` changes even though no include names it.
"""

import hashlib
import json
import os
import sys
import threading
from contextlib import suppress
from functools import cached_property
from pathlib import Path

from cloudcached import CacheError, Client, CorruptEntry, backend_for
from signed_pickle import Serializer, Signer, load_keys

KEYS_ENVIRONMENT = "EXEC_CACHE_KEYS"
# A cache that cannot be read or written costs a re-run, never the build.
CACHE_FAILURES = (CacheError, OSError)
ENGINE_FILES = ("worker.py", "figures.py", "pytest_runner.py", "zygote.py", "render.py")


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
    here = Path(__file__).parent
    engine = [file_digest(here / name) for name in ENGINE_FILES]
    lock = file_digest(lockfile) if lockfile else None
    return digest(sys.version, lock, engine)


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


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and a rename, so readers never see half."""
    temporary = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        Path(temporary).write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


class ResultStore:
    """Block results in a CloudCached cache, as signed pickles.

    ``location`` is a directory or ``s3://bucket/prefix``. Entries are
    signed with the keys of ``EXEC_CACHE_KEYS`` (newest first), or of a key
    file made on first use; one signed by anyone else, truncated or altered
    is refused (``CorruptEntry``) before a byte of it is unpickled, and the
    unpickler accepts nothing but plain data. The index that explains misses
    is local: it says what this machine built last.
    """

    SALT = "null-disquisition execution cache"

    def __init__(
        self,
        location: str | Path,
        state_dir: str | Path,
        read_only: bool = False,
        s3_client=None,
    ):
        location = str(location)
        remote = location.startswith("s3://")
        state = Path(state_dir) if remote else Path(location)
        keys = load_keys(state / "signing.key", environment=KEYS_ENVIRONMENT)
        serializer = Serializer(Signer(keys, salt=self.SALT), allowed=frozenset())
        self.location, self.state_dir = location, state
        self.read_only = read_only
        self.client = Client(backend_for(location, s3_client), serializer, read_only)
        name = f"index-{digest(location)[:12]}.json" if remote else "index.json"
        self.index_path = state / name

    def get(self, key: str) -> dict | None:
        """The entry stored under ``key``, or None; ``CorruptEntry`` if refused."""
        entry = self.client.get(key)
        if entry is not None and not isinstance(entry, dict):
            raise CorruptEntry(key, "it is not a block's result")
        return entry

    def put(self, key: str, entry: dict) -> None:
        if not self.read_only:
            self.client.put(key, entry, time_to_expire=0, replace=True)

    def load_index(self) -> dict:
        """Last build's key parts for each block, and whether it failed, to
        explain misses."""
        try:
            return json.loads(self.index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def save_index(self, index: dict) -> None:
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


def changed_dependency(entry: dict) -> str | None:
    """The first recorded dependency whose content is not what it was."""
    for path, recorded in sorted(entry.get("dependencies", {}).items()):
        if file_digest(path) != recorded:
            return path
    return None
