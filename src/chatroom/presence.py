"""Who came and went, gathered into one frame per interval.

Announcing every join to everyone costs a room that fills up with n people
n²/2 frames (with the whole online list in each, n³); gathered over half a
second, it costs each member one frame per interval, however many come.
"""

import time

from .protocol import encode


class PresenceBatch:
    def __init__(self):
        self.joined: dict[str, None] = {}  # ordered sets
        self.left: dict[str, None] = {}

    def join(self, nick: str) -> None:
        self.joined[nick] = None

    def leave(self, nick: str) -> None:
        if nick in self.joined:  # came and went unannounced (an earlier
            del self.joined[nick]  # leave, if any, still stands in self.left)
            return
        self.left[nick] = None

    def take(self) -> str | None:
        """The frame for what happened since the last, or None."""
        if not (self.joined or self.left):
            return None
        frame = encode(
            "presence", joined=list(self.joined), left=list(self.left), at=time.time()
        )
        self.joined, self.left = {}, {}
        return frame
