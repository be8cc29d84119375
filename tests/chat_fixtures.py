"""A chat server in a thread of its own, for tests that drive it from outside
(a browser, another process): start, stop, start again on the same port."""

import asyncio
import threading

from chatroom import ChatServer, Settings
from chatroom.local_redis import free_port  # noqa: F401 (tests import it from here)


class ChatThread:
    def __init__(self, port: int, origins: tuple[str, ...]):
        self.port, self.origins = port, origins
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.server = None

    def call(self, coroutine, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def start(self) -> "ChatThread":
        settings = Settings(host="127.0.0.1", port=self.port, origins=self.origins)
        self.server = ChatServer(settings)
        self.call(self.server.start())
        return self

    def stop(self) -> None:
        self.call(self.server.shutdown())

    def close(self) -> None:
        if self.server and self.server.server.is_serving():
            self.stop()
        self.loop.call_soon_threadsafe(self.loop.stop)
