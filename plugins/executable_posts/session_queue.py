"""The queue of sessions waiting for a worker, in which a session the reader
is waiting for can jump ahead."""

import threading
from collections import deque


class SessionQueue:
    """FIFO of sessions; ``hurry`` moves one that has not started to the front.

    Pelican reads posts in an order of its own (a set's), so sessions run in
    the order posts were found, and the post being read right now is hurried:
    the reader then waits for one session, not for the queue ahead of it.
    """

    def __init__(self):
        self.waiting: deque = deque()
        self.ready = threading.Condition()

    def put(self, session) -> None:
        with self.ready:
            self.waiting.append(session)
            self.ready.notify()

    def hurry(self, session) -> None:
        with self.ready:
            try:
                self.waiting.remove(session)
            except ValueError:
                return  # already taken by a worker thread
            self.waiting.appendleft(session)

    def get(self):
        with self.ready:
            while not self.waiting:
                self.ready.wait()
            return self.waiting.popleft()
