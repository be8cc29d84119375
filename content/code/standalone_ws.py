"""The WebSockets post's "standalone WebSocket server", on plain sockets and
select as the post describes it, brought from the long-dead draft-76
handshake to RFC 6455: the Sec-WebSocket-Accept handshake, masked client
frames, text frames, ping/pong and the closing handshake. Every text
message it receives it sends to every client, as a chat would.

The draft-76 challenge/response of 2010 is kept, as history, in
``draft76_response``.
"""

import base64
import hashlib
import select
import socket
import struct
import threading

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455, section 1.3
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    """RFC 6455: base64 of the SHA-1 of the client's key and the GUID."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def draft76_number(key: str) -> int:
    """Draft-76: the key's digits, as a number, divided by its spaces."""
    return int("".join(c for c in key if c.isdigit())) // key.count(" ")


def draft76_response(key1: str, key2: str, key3: bytes) -> bytes:
    """Draft-76 (2010): MD5 of both key numbers (32-bit big-endian) and the
    eight bytes after the request's headers."""
    challenge = struct.pack(">II", draft76_number(key1), draft76_number(key2)) + key3
    return hashlib.md5(challenge).digest()


def handshake(request: bytes) -> bytes:
    """The server's 101 response to a client's opening handshake."""
    lines = request.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
    headers = {name.lower(): value for name, value in headers.items()}
    if (
        headers.get("upgrade", "").lower() != "websocket"
        or "sec-websocket-key" not in headers
    ):
        return b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"
    return (
        "HTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n\r\n"
    ).encode()


def frame(opcode: int, payload: bytes = b"") -> bytes:
    """A server frame: final, unmasked (servers do not mask)."""
    length = len(payload)
    if length < 126:
        header = struct.pack(">BB", 0x80 | opcode, length)
    elif length < 1 << 16:
        header = struct.pack(">BBH", 0x80 | opcode, 126, length)
    else:
        header = struct.pack(">BBQ", 0x80 | opcode, 127, length)
    return header + payload


def read_frame(buffer: bytes):
    """(opcode, payload, rest) of the first whole frame in ``buffer``, or None.
    Client frames must be masked; the mask is undone here."""
    if len(buffer) < 2:
        return None
    opcode, second = buffer[0] & 0x0F, buffer[1]
    if not second & 0x80:
        raise ValueError("a client frame must be masked")
    length, offset = second & 0x7F, 2
    if length == 126:
        if len(buffer) < 4:
            return None
        (length,), offset = struct.unpack(">H", buffer[2:4]), 4
    elif length == 127:
        if len(buffer) < 10:
            return None
        (length,), offset = struct.unpack(">Q", buffer[2:10]), 10
    if len(buffer) < offset + 4 + length:
        return None
    mask = buffer[offset : offset + 4]
    data = buffer[offset + 4 : offset + 4 + length]
    payload = bytes(byte ^ mask[i % 4] for i, byte in enumerate(data))
    return opcode, payload, buffer[offset + 4 + length :]


class StandaloneServer:
    """One thread, one select loop, every client's socket in it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(5)
        self.port = self.listener.getsockname()[1]
        self.buffers: dict[socket.socket, bytes] = {}
        self.open: set[socket.socket] = set()  # handshake done
        self.running = True
        self.thread = threading.Thread(target=self.serve_clients, daemon=True)

    def start(self) -> "StandaloneServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.running = False
        self.thread.join()
        for client in list(self.buffers):
            client.close()
        self.listener.close()

    def serve_clients(self) -> None:
        while self.running:
            readable, _, _ = select.select([self.listener, *self.buffers], [], [], 0.1)
            for ready in readable:
                if ready is self.listener:
                    client, _ = self.listener.accept()
                    self.buffers[client] = b""
                else:
                    self.receive(ready)

    def drop(self, client: socket.socket) -> None:
        self.buffers.pop(client, None)
        self.open.discard(client)
        client.close()

    def receive(self, client: socket.socket) -> None:
        data = client.recv(65536)
        if not data:
            return self.drop(client)
        self.buffers[client] += data
        if client not in self.open:
            request, found, rest = self.buffers[client].partition(b"\r\n\r\n")
            if not found:
                return None
            client.sendall(handshake(request))
            self.open.add(client)
            self.buffers[client] = rest
        while (parsed := read_frame(self.buffers[client])) is not None:
            opcode, payload, self.buffers[client] = parsed
            if opcode == TEXT:
                for other in self.open:
                    other.sendall(frame(TEXT, payload))
            elif opcode == PING:
                client.sendall(frame(PONG, payload))
            elif opcode == CLOSE:
                client.sendall(frame(CLOSE, payload[:2]))  # echo the status code
                return self.drop(client)
        return None
