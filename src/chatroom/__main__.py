"""``python -m chatroom``: run the chat, alone or as one of several processes
sharing a room through Redis (``--redis``, or ``CHAT_REDIS_URL``)."""

import argparse
import asyncio
import ipaddress
import os
import resource
import sys

from .room import RoomUnavailable
from .server import (
    LOCAL_ORIGINS,
    RESERVED_DESCRIPTORS,
    ChatServer,
    Settings,
    log_events,
    until_interrupted,
)


async def run(settings: Settings) -> None:
    server = ChatServer(settings)
    await server.start()
    print(f"Chat on ws://{settings.host}:{server.port}/ (Ctrl-C stops)", flush=True)
    await until_interrupted()
    await server.shutdown()


def raise_open_files(wanted: int) -> int:
    """Each connection is a file descriptor: allow enough, up to the hard
    limit; the limit there is now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def proxy(text: str) -> str:
    """A ``--trusted-proxy``: refused where it is given unless an address or
    a network."""
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected an address (10.0.0.1) or a network (10.0.0.0/8)"
        ) from None
    return text


def arguments() -> argparse.ArgumentParser:
    defaults = Settings()
    parser = argparse.ArgumentParser(
        prog="python -m chatroom", description="Run the blog's chat server."
    )
    add = parser.add_argument
    add("--host", default="localhost", help="(default: localhost)")
    add("--port", type=int, default=8765, help="(default: 8765)")
    add(
        "--origin",
        action="append",
        default=[],
        help="a site origin allowed to open the chat (besides localhost:8000)",
    )
    add(
        "--redis",
        default=os.environ.get("CHAT_REDIS_URL"),
        metavar="URL",
        help="share one room with other processes through Redis, "
        "redis://HOST:PORT/DB (default: $CHAT_REDIS_URL; none: this process alone)",
    )
    add(
        "--reuse-port",
        action="store_true",
        help="let several processes on this host listen on one port (SO_REUSEPORT)",
    )
    add(
        "--trusted-proxy",
        action="append",
        default=[],
        type=proxy,
        metavar="ADDRESS",
        help="a reverse proxy (address or network) whose X-Forwarded-For "
        "names the client; repeat for each",
    )
    for flag, field, what in [
        (
            "--per-address",
            "connections_per_address",
            "connections one address may hold",
        ),
        (
            "--connects-per-address",
            "connects_per_address",
            "new connections one address may open a window",
        ),
        ("--max-connections", "connections_in_all", "connections in all"),
        ("--max-pending", "max_pending", "connections still in their handshake"),
        (
            "--pending-per-address",
            "pending_per_address",
            "of those, from one address",
        ),
        (
            "--messages",
            "messages_per_window",
            "messages a connection may send a window",
        ),
        (
            "--address-messages",
            "address_messages",
            "messages an address may send a window",
        ),
        ("--max-unsent", "max_unsent_bytes", "bytes a client may leave unread"),
    ]:
        add(
            flag,
            type=int,
            default=getattr(defaults, field),
            dest=field,
            help=f"{what} (default: %(default)s)",
        )
    add("--quiet", action="store_true", help="no log line per connection")
    return parser


def main() -> None:
    args = arguments().parse_args()
    log_events(quiet=args.quiet)
    sockets = args.connections_in_all + args.max_pending
    available = raise_open_files(sockets + RESERVED_DESCRIPTORS)
    if available < sockets + RESERVED_DESCRIPTORS:
        print(
            f"chatroom: only {available} open files are allowed (ulimit -n); "
            f"{args.connections_in_all} connections and {args.max_pending} "
            f"handshakes need {sockets + RESERVED_DESCRIPTORS}",
            file=sys.stderr,
        )
        raise SystemExit(2)
    settings = Settings(
        host=args.host,
        port=args.port,
        origins=(*LOCAL_ORIGINS, *args.origin),
        connections_per_address=args.connections_per_address,
        connects_per_address=args.connects_per_address,
        connections_in_all=args.connections_in_all,
        max_pending=args.max_pending,
        pending_per_address=args.pending_per_address,
        messages_per_window=args.messages_per_window,
        address_messages=args.address_messages,
        max_unsent_bytes=args.max_unsent_bytes,
        trusted_proxies=tuple(args.trusted_proxy),
        reuse_port=args.reuse_port,
        redis_url=args.redis,
    )
    try:
        asyncio.run(run(settings))
    except RoomUnavailable as error:
        print(f"chatroom: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
