"""The chat of the WebSockets post's promise: a small, careful chat server
on the websockets library, whose JSON protocol a browser page speaks."""

from .protocol import ProtocolError
from .server import ChatServer, Settings, log_events, until_interrupted

__all__ = ["ChatServer", "ProtocolError", "Settings", "log_events", "until_interrupted"]
