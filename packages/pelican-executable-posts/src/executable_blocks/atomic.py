"""Files written whole or not at all."""

import os
import threading
from contextlib import suppress
from pathlib import Path


def write_atomically(path: Path, data: bytes | str, mode: int = 0o600) -> None:
    """Write ``path`` through a temporary file beside it and a rename, so a
    reader (another build, a crash halfway) never sees half of it; the file
    gets ``mode`` whatever the umask (0600: for its owner's eyes only)."""
    if isinstance(data, str):
        data = data.encode()
    # one name per process and thread: two writers never share a temporary
    writer = f"{os.getpid()}-{threading.get_ident()}"
    temporary = path.with_name(f".{path.name}.{writer}.tmp")
    try:
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with open(handle, "wb") as file:
            os.fchmod(handle, mode)
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
