"""The local execution cache: block results on disk, under keys that change
whenever anything the result could depend on changes.

A key is made of four parts, each a digest, so that a miss can say why:

- ``env``: Python's version, the lockfile and the engine's own code;
- ``code``: the block's code and options;
- ``earlier``: the code and options of the session's earlier blocks;
- ``includes``: what the block and the earlier ones included.

An entry also records the code-directory modules the session had imported
and their digests: a block that imports ``content/code/x.py`` re-runs when
``x.py`` changes even though no include names it.
"""

import base64
import hashlib
import json
import os
import sys
import threading
from contextlib import suppress
from pathlib import Path

ENGINE_FILES = ("worker.py", "figures.py", "pytest_runner.py", "zygote.py", "render.py")


def digest(*parts) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        data = part if isinstance(part, bytes) else json.dumps(part, sort_keys=True)
        hasher.update(data if isinstance(data, bytes) else data.encode())
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

    @property
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


def encode(result: dict) -> dict:
    """A worker result as JSON-ready data (binary payloads in base64)."""
    encoded = dict(result)
    for kind in ("figures", "animations"):
        encoded[kind] = [
            {**item, "data": base64.b64encode(item["data"]).decode()}
            for item in result.get(kind, [])
        ]
    return encoded


def decode(entry: dict) -> dict:
    decoded = dict(entry)
    for kind in ("figures", "animations"):
        decoded[kind] = [
            {**item, "data": base64.b64decode(item["data"])}
            for item in entry.get(kind, [])
        ]
    return decoded


def write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file and a rename, so readers never see half.

    The temporary name is unique to the process and thread, so writers never
    collide; few system calls, as the session threads write while the
    reading thread holds the interpreter.
    """
    temporary = f"{path}.{os.getpid()}-{threading.get_ident()}.tmp"
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(text.encode())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise


class LocalCache:
    """Results as JSON files under ``directory/<key[:2]>/<key>.json``."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.index_path = self.directory / "index.json"

    def entry_path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        """The entry stored under ``key``, or None (also for an unreadable one)."""
        try:
            return json.loads(self.entry_path(key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, entry: dict) -> None:
        write_atomically(self.entry_path(key), json.dumps(entry))

    def load_index(self) -> dict:
        """Last build's key parts and status for each block, to explain misses."""
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
