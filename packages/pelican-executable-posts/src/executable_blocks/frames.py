"""Length-prefixed messages over raw file descriptors.

The builder, the zygote and the workers talk in frames: a 4-byte length,
then that many bytes (what they say: ``protocol``).
``multiprocessing.connection`` would do the same, but importing it imports
``threading``, whose after-fork hook then runs Python code in every worker
the zygote forks.
"""

import os
import select
import struct

HEADER = struct.Struct("!I")


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def write_all(fd: int, data: bytes) -> None:
    """Write all of ``data``, waiting whenever ``fd`` is not ready for more
    (a blocking pipe, or a socket in non-blocking mode)."""
    view = memoryview(data)
    while view:
        try:
            view = view[os.write(fd, view) :]
        except BlockingIOError:
            select.select([], [fd], [])


# The largest frame a worker may send (a block's result, figures included):
# a session must not fill the zygote's or the builder's memory.
MAX_FRAME = 256 << 20


class FrameTooLarge(ValueError):
    """A frame says it is longer than its reader takes."""

    def __init__(self, size: int, limit: int):
        self.size, self.limit = size, limit
        super().__init__(f"a frame of {size} bytes, over {limit}")


class Reader:
    """Cuts the bytes read from a stream into the frames they carry
    (``limit``: the longest frame it takes, else ``FrameTooLarge``)."""

    def __init__(self, limit: int | None = None):
        self.buffer = bytearray()
        self.limit = limit

    def feed(self, data: bytes) -> list[bytes]:
        """Add ``data``; every frame now complete, in order."""
        self.buffer += data
        frames, start = [], 0
        while len(self.buffer) - start >= HEADER.size:
            (size,) = HEADER.unpack_from(self.buffer, start)
            if self.limit is not None and size > self.limit:
                raise FrameTooLarge(size, self.limit)
            end = start + HEADER.size + size
            if len(self.buffer) < end:
                break
            frames.append(bytes(self.buffer[start + HEADER.size : end]))
            start = end
        del self.buffer[:start]
        return frames


def read_available(fd: int, size: int = 1 << 20) -> bytes | None:
    """What a non-blocking ``fd`` has now (maybe nothing); None at its end."""
    chunks = []
    while True:
        try:
            data = os.read(fd, size)
        except BlockingIOError:
            return b"".join(chunks)
        except ConnectionResetError:
            data = b""
        if not data:
            return b"".join(chunks) if chunks else None
        chunks.append(data)
