"""The room: who holds which nickname, who is online, the recent history,
and how a message reaches everyone. ``LocalRoom`` keeps it in this process
(the default); ``redis_room.RedisRoom`` shares it between processes.

A room tells its server what happened through callbacks: a message frame to
deliver to this process's members, a nickname that joined or left, and (a
shared room) a nickname this process held and has lost to another, whose
member here must go (or, still joining, choose another). The server never
changes the room except through these methods.
"""

import time
from collections import deque
from itertools import count

from . import protocol
from .nicknames import clash_keys


class RoomUnavailable(Exception):
    """The shared room cannot be reached just now; the client may retry."""


def by_name(nicks) -> list[str]:
    return sorted(nicks, key=str.casefold)


class LocalRoom:
    """The room in this process's memory."""

    kind = "memory"

    def __init__(self, history: int = 50):
        self.history: deque[str] = deque(maxlen=history)
        self.claims: dict[str, str] = {}  # clash key -> nickname
        self.online: dict[str, None] = {}
        self.ids = count(1)
        self.healthy = True

    async def open(self, on_message, on_join, on_leave, on_lost=None) -> None:
        """(A room in one process never loses a nickname: ``on_lost`` unused.)"""
        self.on_message, self.on_join, self.on_leave = on_message, on_join, on_leave

    async def close(self) -> None:
        pass

    async def claim(self, nick: str) -> bool:
        """Hold ``nick`` (and what it could pass for) if no one does."""
        keys = clash_keys(nick)
        if any(key in self.claims for key in keys):
            return False
        self.claims.update(dict.fromkeys(keys, nick))
        return True

    async def release(self, nick: str) -> None:
        for key in clash_keys(nick):
            self.claims.pop(key, None)

    async def snapshot(self) -> tuple[list[str], list[str]]:
        """Who is online and the recent messages, for a welcome."""
        return by_name(self.online), list(self.history)

    async def who(self) -> list[str]:
        return by_name(self.online)

    async def enter(self, nick: str) -> None:
        """``nick``, already claimed and welcomed, is online now."""
        self.online[nick] = None
        self.on_join(nick)

    async def leave(self, nick: str) -> None:
        if nick in self.online:
            del self.online[nick]
            self.on_leave(nick)
        await self.release(nick)

    async def admit(self, address: str) -> tuple[str | None, bool]:
        """Whether ``address`` may open another connection, as far as the
        room knows (one process's own limits are its server's): the rule
        it breaks, if any, and whether the room counted the connection
        (then ``closed`` is told when it closes)."""
        return None, False

    def closed(self, address: str) -> None:
        """A connection the room counted has closed."""

    async def say(self, address: str, nick: str, text: str) -> None:
        head, tail = protocol.message_around_id(nick, text, time.time())
        frame = f"{head}{next(self.ids)}{tail}"
        self.history.append(frame)
        self.on_message(frame)
