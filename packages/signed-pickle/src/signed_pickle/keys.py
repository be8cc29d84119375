"""Where signing keys come from: the environment, or a key file.

``SIGNED_PICKLE_KEYS`` (or the variable the caller names) holds the keys,
oldest to newest, separated by commas; a key file holds them one a line, in
the same order. As with ``Signer`` and itsdangerous, the last key signs: to
rotate, append the new key. Without the variable, the key file is used; if it
does not exist it is created with a new random key and mode 0600, and a key
file others may read or write is refused, as ssh refuses such a private key.
"""

import contextlib
import os
import secrets
import stat
import tempfile
from pathlib import Path

from .exc import InsecureKeyFile, WeakKey

ENVIRONMENT = "SIGNED_PICKLE_KEYS"


def keys_from_text(text: str, where: str) -> list[bytes]:
    keys = [key.strip().encode() for key in text.replace("\n", ",").split(",")]
    keys = [key for key in keys if key]
    if not keys:
        raise WeakKey(f"{where} holds no key")
    return keys


def create_key_file(path: Path) -> None:
    """A new random key, in a file only its owner can read (mode 0600).

    The key is written to a temporary file beside ``path`` and then linked to
    ``path``, so a reader never sees the file empty or half written, and the
    first process to publish wins: a later one finds ``path`` taken and uses
    that key (``os.replace`` would swap a key others already use)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:  # mkstemp makes the file with mode 0600
        with os.fdopen(handle, "w") as file:
            file.write(secrets.token_hex(32) + "\n")
            file.flush()
            os.fsync(file.fileno())
        # If another process published its key first, keep theirs.
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)


def load_keys(key_file: str | Path, environment: str = ENVIRONMENT) -> list[bytes]:
    """The signing keys, oldest to newest: ``Signer(load_keys(...))`` signs
    with the newest."""
    if os.environ.get(environment, "").strip():
        return keys_from_text(os.environ[environment], f"${environment}")
    path = Path(key_file)
    if not path.exists():
        create_key_file(path)
    with open(path, encoding="utf-8") as file:
        # The mode of the file opened, not of the path: a file swapped in
        # between a check and a read would be read unchecked.
        mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
        if mode & 0o077:
            raise InsecureKeyFile(
                f"{path} can be read or written by others (mode {mode:o}); "
                f"chmod 600 {path}"
            )
        text = file.read()
    return keys_from_text(text, str(path))
