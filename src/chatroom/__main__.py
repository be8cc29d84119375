"""``python -m chatroom [--host H] [--port P] [--origin URL ...]``: run the chat."""

import argparse
import asyncio
import resource

from .server import LOCAL_ORIGINS, ChatServer, Settings, log_events, until_interrupted


async def run(settings: Settings) -> None:
    server = ChatServer(settings)
    await server.start()
    print(f"Chat on ws://{settings.host}:{server.port}/ (Ctrl-C stops)", flush=True)
    await until_interrupted()
    await server.shutdown()


def raise_open_files(wanted: int) -> None:
    """Each connection is a file descriptor: allow enough, up to the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m chatroom", description="Run the blog's chat server."
    )
    parser.add_argument("--host", default="localhost", help="(default: localhost)")
    parser.add_argument("--port", type=int, default=8765, help="(default: 8765)")
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        help="a site origin allowed to open the chat (besides localhost:8000)",
    )
    parser.add_argument(
        "--per-address",
        type=int,
        default=Settings.connections_per_address,
        help="connections one address may hold (default: %(default)s)",
    )
    parser.add_argument(
        "--max-connections",
        type=int,
        default=Settings.connections_in_all,
        help="connections in all (default: %(default)s)",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no log line per connection"
    )
    args = parser.parse_args()
    log_events(quiet=args.quiet)
    raise_open_files(args.max_connections + 100)
    settings = Settings(
        host=args.host,
        port=args.port,
        origins=(*LOCAL_ORIGINS, *args.origin),
        connections_per_address=args.per_address,
        connections_in_all=args.max_connections,
    )
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
