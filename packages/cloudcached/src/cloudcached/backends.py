"""Where entries live: a local directory, or S3 (or anything speaking its API).

Both keep an entry as one blob: a JSON line of string metadata, then the
body (not S3's ``x-amz-meta-*`` headers: an ETag covers the body only, and an
entry's version must change when its metadata does). A read gives the entry
and its ``version``; a write has one of three modes:

- ``any``: set, whatever the key holds;
- ``absent``: create only; refused if the key has an entry;
- ``match``: replace only the entry read as ``version``; refused if another
  writer has replaced or deleted it since.

A refused write returns False and changes nothing. Its check and its write
are one step that no other writer can come between: S3's conditional writes
(``IfNoneMatch="*"``, ``IfMatch=<ETag>``), or a lock on the directory that
every write and delete of a ``LocalBackend`` takes.
"""

import fcntl
import json
import os
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from .exc import CacheError

decode_json = json.JSONDecoder().decode
CHUNK = 1 << 16
MODES = ("any", "absent", "match")


def read_file(path: str) -> bytes:
    """A whole file in as few system calls as possible (open, read, close):
    a read shorter than asked for is the end of a regular file."""
    handle = os.open(path, os.O_RDONLY)
    try:
        chunks = []
        while True:
            chunk = os.read(handle, CHUNK)
            chunks.append(chunk)
            if len(chunk) < CHUNK:
                return b"".join(chunks)
    finally:
        os.close(handle)


def write_file(
    path: str, data: bytes, directory: Path, mode: int = 0o666, dir_mode: int = 0o777
) -> None:
    """Write a new file in few system calls, making ``directory`` if need be
    (``mode`` and ``dir_mode`` as the umask leaves them)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags, mode)
    except FileNotFoundError:
        directory.mkdir(mode=dir_mode, parents=True, exist_ok=True)
        handle = os.open(path, flags, mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(handle, view) :]
    except BaseException:
        os.close(handle)
        with suppress(FileNotFoundError):
            os.unlink(path)
        raise
    os.close(handle)


def narrow(directory: Path, mode: int) -> None:
    """Take from ``directory`` the permissions ``mode`` does not give."""
    current = directory.stat().st_mode & 0o777
    if current & ~mode:
        directory.chmod(current & mode)


@dataclass(frozen=True)
class Stored:
    body: bytes
    meta: dict[str, str]
    # What a "match" write compares: S3's ETag, or a file's bytes.
    version: object = field(default=None, repr=False, compare=False)


def pack(meta: dict[str, str], body: bytes) -> bytes:
    return json.dumps(meta).encode() + b"\n" + body


def unpack(data: bytes) -> tuple[bytes, dict]:
    """The body and metadata of a blob; all of it and no metadata if it has
    no metadata line (the client reports it as corrupt)."""
    header, newline, body = data.partition(b"\n")
    try:
        meta = decode_json(header.decode()) if newline else None
    except ValueError:  # also UnicodeDecodeError
        meta = None
    return (body, meta) if isinstance(meta, dict) else (data, {})


def check_mode(mode: str, version) -> None:
    if mode not in MODES or (mode == "match") != (version is not None):
        raise ValueError(f"mode {mode!r} is not one of {MODES}, or lacks its version")


class LocalBackend:
    """Entries as files, one blob each.

    A write goes to a temporary file that is renamed (or, for ``absent``,
    hard-linked) into place, so a reader never sees half an entry and reads
    take no lock: a single open and read, the hot path of a warm build.
    Writes and deletes take an exclusive ``flock`` of the directory for their
    check and their rename, so that threads and processes sharing it write
    one at a time; ``match`` compares the file's bytes with those it read.

    ``private``: files only their owner may read or write (0600), in a
    directory only its owner may enter (0700), for entries no one else on
    the machine should read or replace; new directories are made that way
    and an existing one is narrowed to it on the first write.
    """

    def __init__(self, directory: str | Path, private: bool = False):
        self.directory = Path(directory)
        self.root = str(self.directory)
        self.private = private
        self.modes = (0o600, 0o700) if private else (0o666, 0o777)
        self.checked = not private  # the directory's mode, once per backend

    @lru_cache(maxsize=4096)  # noqa: B019 - keys repeat; the backend lives long
    def path(self, key: str) -> str:
        return os.path.join(self.root, quote(key, safe=""))

    def read(self, key: str) -> Stored | None:
        try:
            data = read_file(self.path(key))
        except FileNotFoundError:
            return None
        return Stored(*unpack(data), version=data)

    @contextmanager
    def locked(self):
        """The directory, locked against every other writer of it."""
        handle = os.open(self.root, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield
        finally:
            os.close(handle)  # and with it the lock

    def write(
        self, key: str, body: bytes, meta: dict[str, str], mode: str, version=None
    ) -> bool:
        check_mode(mode, version)
        final = self.path(key)
        temporary = f"{final}.{os.getpid()}-{threading.get_ident()}.tmp"
        write_file(temporary, pack(meta, body), self.directory, *self.modes)
        if not self.checked:
            narrow(self.directory, self.modes[1])
            self.checked = True
        try:
            with self.locked():
                if mode == "absent":
                    try:
                        os.link(temporary, final)
                    except FileExistsError:
                        return False
                elif mode == "match" and not self.holds(final, version):
                    return False
                else:
                    os.replace(temporary, final)
        finally:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
        return True

    @staticmethod
    def holds(path: str, data: bytes) -> bool:
        try:
            return read_file(path) == data
        except FileNotFoundError:
            return False

    def delete(self, key: str) -> bool:
        try:
            with self.locked():
                os.unlink(self.path(key))
        except FileNotFoundError:
            return False
        return True


class S3Backend:
    """Entries as S3 objects under ``prefix``, one blob each.

    The boto3 client decides the endpoint, region and credentials (from the
    standard AWS environment and configuration), so the same code talks to
    AWS, MinIO, R2 or a local server. ``absent`` and ``match`` need one that
    honours conditional writes: AWS does (``If-None-Match`` since August
    2024, ``If-Match`` since November 2024), moto's since 5.0.15 and 5.1.5;
    an older server ignores them and overwrites.
    """

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def name(self, key: str) -> str:
        return self.prefix + key

    def read(self, key: str) -> Stored | None:
        with s3_errors("read", key) as answer:
            response = self.client.get_object(Bucket=self.bucket, Key=self.name(key))
            data = response["Body"].read()
        if answer.missing:
            return None
        return Stored(*unpack(data), version=response["ETag"])

    def write(
        self, key: str, body: bytes, meta: dict[str, str], mode: str, version=None
    ) -> bool:
        check_mode(mode, version)
        conditions = {
            "any": {},
            "absent": {"IfNoneMatch": "*"},
            "match": {"IfMatch": version},
        }[mode]
        with s3_errors("write", key) as answer:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.name(key),
                Body=pack(meta, body),
                **conditions,
            )
        return not (answer.missing or answer.refused)  # missing: nothing to match

    def delete(self, key: str) -> bool:
        with s3_errors("delete", key) as answer:  # (HEAD: the body is not needed)
            self.client.head_object(Bucket=self.bucket, Key=self.name(key))
        if answer.missing:
            return False
        with s3_errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self.name(key))
        return True


class S3Answer:
    missing = refused = False


@contextmanager
def s3_errors(action: str, key: str):
    """S3's answers that are results (no such key; a condition not met, or a
    conditional write that collided with another) become flags; every other
    error of S3 or of the network a ``CacheError``."""
    from botocore.exceptions import BotoCoreError, ClientError

    outcome = S3Answer()
    try:
        yield outcome
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404"):
            outcome.missing = True
        elif code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
            outcome.refused = True
        else:
            raise CacheError(f"S3 {action} of {key!r} failed: {error}") from None
    except BotoCoreError as error:
        raise CacheError(f"S3 {action} of {key!r} failed: {error}") from None
