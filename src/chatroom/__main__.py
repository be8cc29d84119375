"""``python -m chatroom [--host H] [--port P] [--origin URL ...]``: run the chat."""

import argparse
import asyncio
import logging
import signal

from .server import LOCAL_ORIGINS, ChatServer, Settings


async def run(settings: Settings) -> None:
    server = ChatServer(settings)
    await server.start()
    print(f"Chat on ws://{settings.host}:{server.port}/ (Ctrl-C stops)", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="localhost")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--origin",
        action="append",
        default=[],
        help="a site origin allowed to open the chat (besides localhost:8000)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings(
        host=args.host, port=args.port, origins=(*LOCAL_ORIGINS, *args.origin)
    )
    asyncio.run(run(settings))


if __name__ == "__main__":
    main()
