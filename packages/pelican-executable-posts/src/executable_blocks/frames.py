"""Length-prefixed messages over raw file descriptors.

The builder, the zygote and the workers talk in frames: a 4-byte length,
then that many bytes. ``multiprocessing.connection`` would do the same, but
importing it imports ``threading``, whose after-fork hook then runs Python
code in every worker the zygote forks.
"""

import os
import select
import struct

HEADER = struct.Struct("!I")
# What the zygote sends the builder: a kind and a session, then what the
# kind carries (a pickled result, how the session's worker ended, or for
# SANDBOX what isolation the zygote got, as JSON). STARTED: a session's
# worker is forked.
READY, RESULT, ENDED, STARTED, SANDBOX = range(5)
# Exit codes the zygote reports for a worker beyond the worker's own: it
# failed itself, it could not enter its sandbox (nothing ran), or the zygote
# killed it for a result over MAX_FRAME.
FAILED, UNCONFINED, OVERSIZED = 70, 71, 72
HEAD = struct.Struct("!BI")  # kind, session (or the zygote's pid, for READY)
ENDING = struct.Struct("!idd")  # exit code, timed out after (NaN: no), seconds


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
                raise FrameTooLarge(f"a frame of {size} bytes, over {self.limit}")
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
