"""Where entries live: a local directory, or S3 (or anything speaking its API).

A backend stores bytes with a little string metadata and knows three write
modes: ``any`` (set), ``absent`` (create only) and ``present`` (replace only,
checked by the client).
"""

import json
import os
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

from .exc import CacheError

decode_json = json.JSONDecoder().decode
CHUNK = 1 << 16


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


class LocalBackend:
    """Entries as files: a JSON line of metadata, then the body.

    Writes go to a temporary file that is renamed into place, so a reader
    never sees half an entry and several processes can share the directory;
    "create only" uses a hard link, which fails if the entry exists. Reads
    are a single open and read: this is the hot path of a warm build.

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
        header, newline, body = data.partition(b"\n")
        try:
            meta = decode_json(header.decode()) if newline else None
        except ValueError:  # also UnicodeDecodeError
            meta = None
        if not isinstance(meta, dict):
            return Stored(data, {})  # the client reports it as corrupt
        return Stored(body, meta)

    def write(self, key: str, body: bytes, meta: dict[str, str], mode: str) -> bool:
        final = self.path(key)
        temporary = f"{final}.{os.getpid()}-{threading.get_ident()}.tmp"
        data = json.dumps(meta).encode() + b"\n" + body
        write_file(temporary, data, self.directory, *self.modes)
        if not self.checked:
            narrow(self.directory, self.modes[1])
            self.checked = True
        try:
            if mode == "absent":
                try:
                    os.link(temporary, final)
                except FileExistsError:
                    return False
                finally:
                    os.unlink(temporary)
            else:
                os.replace(temporary, final)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return True

    def delete(self, key: str) -> bool:
        try:
            os.unlink(self.path(key))
        except FileNotFoundError:
            return False
        return True


class S3Backend:
    """Entries as S3 objects under ``prefix``, metadata as ``x-amz-meta-*``.

    The boto3 client decides the endpoint, region and credentials (from the
    standard AWS environment and configuration), so the same code talks to
    AWS, MinIO, R2 or a local server.
    """

    def __init__(self, client, bucket: str, prefix: str = ""):
        self.client, self.bucket = client, bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    def name(self, key: str) -> str:
        return self.prefix + key

    def read(self, key: str) -> Stored | None:
        with s3_errors("read", key) as code:
            response = self.client.get_object(Bucket=self.bucket, Key=self.name(key))
        if code.missing:
            return None
        return Stored(response["Body"].read(), dict(response.get("Metadata", {})))

    def write(self, key: str, body: bytes, meta: dict[str, str], mode: str) -> bool:
        options = {"IfNoneMatch": "*"} if mode == "absent" else {}
        with s3_errors("write", key) as code:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.name(key),
                Body=body,
                Metadata=meta,
                **options,
            )
        return not code.precondition_failed

    def delete(self, key: str) -> bool:
        if self.read(key) is None:
            return False
        with s3_errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=self.name(key))
        return True


class S3Answer:
    missing = precondition_failed = False


@contextmanager
def s3_errors(action: str, key: str):
    """S3's answers that are results (no such key, precondition failed) become
    flags; every other error of S3 or of the network a ``CacheError``."""
    from botocore.exceptions import BotoCoreError, ClientError

    outcome = S3Answer()
    try:
        yield outcome
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("NoSuchKey", "404"):
            outcome.missing = True
        elif code in ("PreconditionFailed", "412"):
            outcome.precondition_failed = True
        else:
            raise CacheError(f"S3 {action} of {key!r} failed: {error}") from None
    except BotoCoreError as error:
        raise CacheError(f"S3 {action} of {key!r} failed: {error}") from None
