"""Invoke tasks for Null Disquisition: the ones pelican-quickstart users know,
plus ``demo`` (build and serve), ``test``, ``bench``, ``screenshots`` and
``cache-key``.

Every build runs Pelican in a fresh interpreter, so an edited plugin is
always the one that runs; the ``executable_posts`` plugin's error gate makes
any logged error (a post that cannot be read, a block that fails) stop the
build with a non-zero exit.
"""

import asyncio
import os
import shlex
import shutil
import sys
import threading
import time
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from invoke import task
from invoke.exceptions import Exit, UnexpectedExit

ROOT = Path(__file__).resolve().parent
SETTINGS_BASE = ROOT / "pelicanconf.py"
SETTINGS_PUBLISH = ROOT / "publishconf.py"
CONTENT = ROOT / "content"
OUTPUT = ROOT / "output"
BENCH = ROOT / "bench"
# What a build depends on besides the content: theme, plugins (the site's
# own and the packages'), and settings.
BUILD_INPUTS = [ROOT / "theme", ROOT / "plugins", ROOT / "packages", SETTINGS_BASE]
HOST = "localhost"
PORT = 8000
CHAT_PORT = 8765


def pelican(
    c, settings=SETTINGS_BASE, output=OUTPUT, content=CONTENT, *extra, env=None
):
    """Run Pelican in its own process; a failure raises ``UnexpectedExit``."""
    command = [
        sys.executable,
        "-m",
        "pelican",
        str(content),
        "--settings",
        str(settings),
        "--output",
        str(output),
        *extra,
        *passed_through(),
    ]
    interactive = sys.stdout.isatty()
    # Off a terminal, Pelican's log handler wraps at 80 columns; widen it so
    # each message (a path:line: error above all) stays on one line.
    env = dict(env or {})
    if not interactive:
        env["COLUMNS"] = "240"
    c.run(shlex.join(command), pty=interactive, env=env)


def passed_through() -> list[str]:
    """Arguments after ``--`` on invoke's command line, for Pelican, as given
    (invoke's own remainder is a string that has lost their quoting)."""
    return sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []


@task
def clean(c, output=str(OUTPUT)):
    """Remove generated files."""
    shutil.rmtree(output, ignore_errors=True)


@task(
    help={
        "output": "directory to write the site to (default: output/)",
        "content": "directory of posts and pages (default: content/)",
        "fresh": "run every block again, ignoring the execution cache",
    }
)
def build(c, output=str(OUTPUT), content=str(CONTENT), fresh=False):
    """Build the site with the development settings, running every post."""
    pelican(
        c, SETTINGS_BASE, output, content, env={"EXEC_FRESH": "1"} if fresh else None
    )


@task
def rebuild(c, output=str(OUTPUT), content=str(CONTENT)):
    """`build`, deleting the output directory first."""
    pelican(c, SETTINGS_BASE, output, content, "--delete-output-directory")


@task
def regenerate(c, output=str(OUTPUT), content=str(CONTENT)):
    """Build, then rebuild whenever content, theme, plugins or settings change."""
    from watchfiles import watch

    rebuild = partial(build_and_report, c, output, content)
    rebuild()
    for changes in watch(content, *BUILD_INPUTS):
        changed = sorted(Path(path).name for _, path in changes)
        print(f"-> changed: {', '.join(changed)}; rebuilding", file=sys.stderr)
        rebuild()


def build_and_report(c, output=str(OUTPUT), content=str(CONTENT)):
    """Build, keeping a watcher alive when the build fails."""
    try:
        build(c, output, content)
    except UnexpectedExit as failure:
        print(f"!! build failed (exit {failure.result.exited})", file=sys.stderr)


class SiteRequestHandler(SimpleHTTPRequestHandler):
    """Serves the built site; a missing page gets the site's own 404 page."""

    # Pagefind's index files (unknown to mimetypes) and its WebAssembly.
    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".pf_meta": "application/octet-stream",
        ".pf_index": "application/octet-stream",
        ".pf_fragment": "application/octet-stream",
        ".pagefind": "application/octet-stream",
        ".wasm": "application/wasm",
    }

    def send_error(self, code, message=None, explain=None):
        not_found = Path(self.directory) / "404.html"
        if code != HTTPStatus.NOT_FOUND or not not_found.is_file():
            return super().send_error(code, message, explain)
        body = not_found.read_bytes()
        self.send_response(code, message)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def site_server(output=OUTPUT, host=HOST, port=PORT) -> ThreadingHTTPServer:
    """An HTTP server for the built site (port 0 picks a free port)."""
    handler = partial(SiteRequestHandler, directory=str(output))
    return ThreadingHTTPServer((host, int(port)), handler)


@task(help={"host": f"address to bind (default {HOST})", "port": f"default {PORT}"})
def serve(c, host=HOST, port=PORT, output=str(OUTPUT)):
    """Serve the built site at http://HOST:PORT/."""
    server = site_server(output, host, port)
    print(
        f"Serving {output} at http://{host}:{server.server_port}/ (Ctrl-C stops)",
        file=sys.stderr,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@task
def reserve(c, host=HOST, port=PORT):
    """`build`, then `serve`."""
    build(c)
    serve(c, host, port)


@task(
    help={
        "host": f"address to bind both servers to (default {HOST})",
        "port": f"the site's port (default {PORT})",
        "chat_port": f"the chat server's port (default {CHAT_PORT})",
        "output": "directory to build the site in (default: output/)",
        "content": "directory of posts and pages (default: content/)",
        "chat_processes": "chat processes sharing one room and port through a "
        "local redis-server (default 1: one process, no Redis)",
    }
)
def demo(
    c,
    host=HOST,
    port=PORT,
    chat_port=CHAT_PORT,
    output=str(OUTPUT),
    chat_processes=1,
    content=str(CONTENT),
):
    """Build the blog, running every post, and serve it with its live chat."""
    processes = int(chat_processes)
    if processes < 1:
        raise Exit("demo: --chat-processes is 1 or more")
    if processes > 1 and not shutil.which("redis-server"):
        raise Exit(
            "demo: --chat-processes needs redis-server (Debian: apt-get install "
            "redis-server)"
        )
    chat_url = f"ws://{host}:{chat_port}/"
    pelican(c, SETTINGS_BASE, output, content, "-e", f'CHAT_URL="{chat_url}"')
    if processes == 1:
        asyncio.run(serve_with_chat(output, host, int(port), int(chat_port)))
    else:
        serve_with_chat_processes(output, host, int(port), int(chat_port), processes)


async def serve_with_chat(output, host: str, port: int, chat_port: int) -> None:
    """The site over HTTP (in a thread) and the chat server, until Ctrl-C;
    then the chat tells its clients it is going, and both stop."""
    from chatroom import ChatServer, Settings, log_events, until_interrupted

    log_events()
    site = site_server(output, host, port)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    site_port = site.server_port
    origins = tuple(
        f"http://{name}:{site_port}" for name in {host, "localhost", "127.0.0.1"}
    )
    chat = ChatServer(Settings(host=host, port=chat_port, origins=origins))
    await chat.start()
    print(f"Blog: http://{host}:{site_port}/", flush=True)
    print(
        f"Chat: ws://{host}:{chat.port}/ (the blog's page: http://{host}:{site_port}/chat/)"
    )
    print("Ctrl-C stops both.", flush=True)
    await until_interrupted()
    await chat.shutdown()
    site.shutdown()
    site.server_close()
    print("Stopped.", flush=True)


def serve_with_chat_processes(
    output, host: str, port: int, chat_port: int, processes: int
) -> None:
    """The site, a redis-server of its own, and ``processes`` chat processes
    sharing one room through it and one port (SO_REUSEPORT), until Ctrl-C;
    then the chat processes say goodbye, and Redis stops last."""
    import signal
    import subprocess
    import tempfile

    from chatroom.local_redis import LocalRedis, free_port

    site = site_server(output, host, port)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    site_port = site.server_port
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    chats: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory(prefix="chat-redis-") as directory:
        redis = LocalRedis(directory).start()
        redis_url = redis.url
        try:
            chat_port = chat_port or free_port(host)
            command = [sys.executable, "-m", "chatroom", "--host", host]
            command += ["--port", str(chat_port), "--reuse-port", "--redis", redis_url]
            for name in {host, "localhost", "127.0.0.1"}:
                command += ["--origin", f"http://{name}:{site_port}"]
            for _ in range(processes):
                chats.append(
                    subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
                )
                if "Chat on" not in chats[-1].stdout.readline():
                    raise Exit("demo: a chat process did not start (see above)")
            print(f"Blog: http://{host}:{site_port}/", flush=True)
            print(
                f"Chat: ws://{host}:{chat_port}/ ({processes} processes, one room, "
                f"through Redis at {redis_url}; the blog's page: "
                f"http://{host}:{site_port}/chat/)"
            )
            print("Ctrl-C stops them all.", flush=True)
            while all(p.poll() is None for p in (redis.process, *chats)):
                time.sleep(0.5)
            raise Exit("demo: a chat process or redis-server stopped; stopping")
        except KeyboardInterrupt:
            pass
        finally:
            for chat in chats:
                chat.send_signal(signal.SIGINT)
            for chat in chats:
                try:
                    chat.wait(20)
                except subprocess.TimeoutExpired:
                    chat.kill()
            redis.stop()  # last: the chats leave the room through it
            site.shutdown()
            site.server_close()
    print("Stopped.", flush=True)


@task
def preview(c, output=str(OUTPUT), content=str(CONTENT)):
    """Build the production site (publishconf.py; needs SITEURL)."""
    pelican(c, SETTINGS_PUBLISH, output, content)


@task(
    help={
        "to": "where to publish, s3://bucket/prefix (default: $PUBLISH_URL)",
        "dry_run": "build the site, print the plan and change nothing on S3",
        "adopt": "take over the objects under the prefix that no publish wrote "
        "(they are overwritten or deleted as the site needs)",
        "output": "directory to build the production site in (default: output/)",
        "content": "directory of posts and pages (default: content/)",
    }
)
def publish(
    c, to="", dry_run=False, adopt=False, output=str(OUTPUT), content=str(CONTENT)
):
    """Build the production site and publish it to S3 (needs SITEURL): upload
    what changed, pages and feeds last, then delete what a publish wrote and
    the site no longer has; never touch an object that no publish wrote."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    from sitepublish import PublishError, Stopped, apply, plan, shown, target

    url = to or os.environ.get("PUBLISH_URL", "")
    if not url:
        raise Exit("publish: give --to s3://bucket/prefix, or set PUBLISH_URL")
    try:
        where = target(url)  # a bad target is refused before the build
    except PublishError as error:
        raise Exit(f"publish: {error}") from None
    preview(c, output, content)
    s3 = boto3.client("s3")
    try:
        changes = plan(Path(output), s3, where, adopt=adopt)
        for line in changes.lines():
            print(line)
        print(("Would publish " if dry_run else "Publishing ") + changes.summary())
        if dry_run:
            return
        left = apply(changes, s3)
    except (PublishError, ClientError, BotoCoreError) as error:
        rerun = ""
        if isinstance(error, Stopped):
            again = ["uv", "run", "invoke", "publish", "--to", url, "--output", output]
            again += ["--content", content] * (content != str(CONTENT))
            again += ["--adopt"] * adopt
            rerun = f"\nTo rerun: {shlex.join(again)}"
        raise Exit(f"publish: {error}{rerun}") from None
    for key in left:
        print(f"left {shown(key)}: someone else wrote it during the publish")
    print("Published.")


def small_png(source: Path, target: Path, colours: int = 48) -> None:
    """A screenshot in a few colours: a third of the size, and text as sharp
    (a page is mostly flat colours)."""
    from PIL import Image

    with Image.open(source) as image:
        few = image.convert("RGB").quantize(colours, dither=Image.Dither.NONE)
        few.save(target, optimize=True)


# The README's screenshots: the first screen of these pages, light and dark.
DOCS_SCREENSHOTS = {"": "home", "2008/04/1d-fokker-planck-equation/": "article"}
DOCS_SCREENSHOTS["chat/"] = "chat"


@task(
    help={
        "folder": "where to write them (default: screenshots/)",
        "output": "directory to build the site in (default: output/)",
        "docs": "instead, the README's few small ones into docs/screenshots/",
    }
)
def screenshots(c, folder="screenshots", output=str(OUTPUT), docs=False):
    """Build the site, then screenshot every kind of page, in light and dark
    mode at 1280 and 390 px, into FOLDER (Debian's Chromium)."""
    from reader_view import name_of, pages_of_each_kind
    from reader_view import screenshots as take

    build(c, output)
    if docs:
        target = ROOT / "docs" / "screenshots"
        written = take(
            Path(output),
            target,
            list(DOCS_SCREENSHOTS),
            widths={"desktop": 1280},
            full_page=False,
        )
        for path in written:  # home-light-1280.png -> home-light.png
            page, scheme, _ = path.stem.rsplit("-", 2)
            short = next(v for u, v in DOCS_SCREENSHOTS.items() if name_of(u) == page)
            small_png(path, target / f"{short}-{scheme}.png")
            path.unlink()
        print(f"Screenshots for the README in {target}")
        return
    written = take(Path(output), Path(folder), pages_of_each_kind(Path(output)))
    print(f"{len(written)} screenshots in {Path(folder).resolve()}")


@task
def livereload(c, host=HOST, port=PORT):
    """Serve the site and reload the browser tab after every rebuild."""
    from livereload import Server

    build_and_report(c)
    server = Server()
    for path in [CONTENT, *BUILD_INPUTS]:
        server.watch(str(path), partial(build_and_report, c))
    server.serve(host=host, port=int(port), root=str(OUTPUT), open_url_delay=None)


@task(
    help={
        "state_dir": "the builder's state directory "
        "(default: $EXEC_STATE_DIR, else pelicanconf.py's)",
        "name": "the name of a new key pair (default: <host>-exec-cache-<hex>)",
    }
)
def cache_key(c, state_dir="", name=""):
    """Print this builder's public key for the execution cache (name:base64):
    EXEC_CACHE_SIGNING_KEY's, else its key file's, made first if need be.
    Builds that should trust this builder's entries get it in
    EXEC_CACHE_TRUSTED_KEYS."""
    import runpy

    sys.path.insert(0, str(ROOT / "plugins"))
    from executable_blocks import signing_keys

    state = (
        state_dir
        or os.environ.get("EXEC_STATE_DIR")
        or runpy.run_path(str(SETTINGS_BASE))["EXEC_STATE_DIR"]
    )
    signing_keys.main(["--state-dir", str(state), *(["--name", name] * bool(name))])


@task
def lint(c):
    """ruff check and ruff format --check."""
    c.run(f"{sys.executable} -m ruff check .")
    c.run(f"{sys.executable} -m ruff format --check .")


@task
def bench(c):
    """Run every benchmark (bench/*.py, in name order), even if one fails.

    Each runs with its own defaults: they are the options its section of
    bench/RESULTS.md states, and each section names the exact command it
    came from. The failed ones are listed at the end, and the task then
    exits non-zero. (bench/_*.py are their shared helpers.)"""
    outcomes = []
    for script in sorted(BENCH.glob("[!_]*.py")):
        print(f"-> bench/{script.name}", file=sys.stderr, flush=True)
        started = time.monotonic()
        result = c.run(
            shlex.join([sys.executable, str(script)]),
            pty=sys.stdout.isatty(),
            warn=True,
        )
        minutes = (time.monotonic() - started) / 60
        outcomes.append((script.name, result.exited, minutes))
    print("\nbenchmarks:", file=sys.stderr)
    for name, exited, minutes in outcomes:
        state = "ok" if exited == 0 else f"FAILED (exit {exited})"
        print(f"  {name}: {state}, {minutes:.1f} min", file=sys.stderr)
    failed = [name for name, exited, _ in outcomes if exited != 0]
    if failed:
        listed = ", ".join(failed)
        raise Exit(f"failed: {listed} (of {len(outcomes)} benchmarks)", code=1)


@task(
    pre=[lint],
    help={
        "k": "only tests matching this pytest -k expression",
        "x": "stop at first failure",
    },
)
def test(c, k="", x=False):
    """Lint, then run the whole test suite."""
    options = ["-n", "auto"]  # builds dominate; one pytest worker per core
    if k:
        options += ["-k", k]
    if x:
        options.append("-x")
    c.run(
        shlex.join([sys.executable, "-m", "pytest", *options]), pty=sys.stdout.isatty()
    )
