"""Debian's real redis-server on 127.0.0.1 and a free port, which a test may
stop and start again; and chat processes that share a room through it."""

import os
import re
import shutil
import subprocess
import sys
import threading

import pytest

from chatroom.local_redis import LocalRedis

REDIS = shutil.which("redis-server")


def require_redis() -> None:
    if REDIS:
        return
    if os.environ.get("REQUIRE_REDIS") == "1":
        raise RuntimeError("redis-server is missing: apt-get install -y redis-server")
    pytest.skip("redis-server is not installed (apt-get install -y redis-server)")


RedisServer = LocalRedis  # stopped and started again by the restart test


class ChatProcess:
    """``python -m chatroom --redis URL``, its stderr's events collected."""

    def __init__(self, redis_url: str, *options: str, port: int = 0):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chatroom", "--host", "127.0.0.1",
             "--port", str(port), "--redis", redis_url, *options],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        first = self.process.stdout.readline()
        found = re.match(r"Chat on ws://127\.0\.0\.1:(\d+)/", first)
        assert found, first + self.process.stderr.read()
        self.port = int(found[1])
        self.lines: list[str] = []
        threading.Thread(target=self.collect, daemon=True).start()

    def collect(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def events(self, kind: str) -> list[str]:
        return [line for line in self.lines if f'"event": "{kind}"' in line]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(
                "the chat process did not stop within 30 s of SIGTERM; its log:\n"
                + "".join(self.lines[-20:])
            ) from None


def stop_all(chats: list[ChatProcess]) -> None:
    """Stop every one, even when one will not stop (then say so after)."""
    failures = []
    for chat in chats:
        try:
            chat.stop()
        except AssertionError as failure:
            failures.append(failure)
    if failures:
        raise failures[0]
