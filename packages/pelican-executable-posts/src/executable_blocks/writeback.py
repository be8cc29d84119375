"""Results written to the execution cache by a process of their own.

Storing a result costs a signature and a file (or an S3 request) per block.
Done in the builder as sessions finish, that work would share the machine
with Pelican reading posts and the workers running them, the busy part of a
build. Instead the builder keeps the entries, and once every session is done
hands them to a process that writes them while Pelican writes the pages, when
a core is free. The builder waits for it before it exits, so the next build
finds every entry; a write that fails is reported and costs only a re-run.

The process runs as
``python -c "from executable_blocks.writeback import main; main()" JOB FILE``,
and reads the builder's secret key from its standard input.
"""

import atexit
import json
import os
import pickle
import subprocess
import sys
import tempfile
from contextlib import suppress

from .cache import CACHE_FAILURES, ResultStore
from .errors import CacheKeyError
from .protocol import CacheEntry
from .signing_keys import Keys, parse_public, parse_secret
from .zygote_client import PACKAGE_ROOT


class Writeback:
    """Entries for ``store``, written by another process after ``start``."""

    def __init__(self, store: ResultStore):
        self.store = store
        self.entries: list[tuple[str, CacheEntry]] = []
        self.process: subprocess.Popen | None = None

    def add(self, key: str, entry: CacheEntry) -> None:
        if not self.store.read_only:
            self.entries.append((key, entry))

    def start(self) -> None:
        """Write the entries kept so far, in another process."""
        if not self.entries:
            return
        handle, path = tempfile.mkstemp(prefix="execution-results-")  # mode 0600
        with os.fdopen(handle, "wb") as file:
            pickle.dump(self.entries, file, protocol=5)
        self.entries = []
        job = {
            "location": self.store.location,
            "state": str(self.store.state_dir),
            "trusted": [key.text() for key in self.store.trusted],
        }
        paths = [str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, paths))}
        self.process = subprocess.Popen(
            [sys.executable, "-c", COMMAND, json.dumps(job), path],
            env=env,
            stdin=subprocess.PIPE,
        )
        # the secret key through a pipe: not in an environment others can read
        with suppress(BrokenPipeError), self.process.stdin as secret:
            secret.write(self.store.signer.signing.text().encode())
        atexit.register(self.wait)

    def wait(self) -> None:
        """Until the entries are written (the process reports failures)."""
        if self.process is not None:
            code = self.process.wait()
            if code:
                print(
                    f"WARNING  the execution cache was not written (exit code {code})",
                    file=sys.stderr,
                )
            self.process = None


COMMAND = "from executable_blocks.writeback import main; main()"


def main() -> None:
    job, path = json.loads(sys.argv[1]), sys.argv[2]
    try:
        with open(path, "rb") as file:
            entries = pickle.load(file)  # the builder's own file, mode 0600
    finally:
        os.unlink(path)
    failures = []
    try:
        secret = parse_secret(sys.stdin.read(), "the builder's signing key")
        trusted = [parse_public(text, "the builder's keys") for text in job["trusted"]]
        keys = Keys(secret, trusted)
        store = ResultStore(job["location"], job["state"], keys=keys)
        for key, entry in entries:
            try:
                store.put(key, entry)
            except CACHE_FAILURES as error:
                failures.append(error)
        store.save_verified(append=True)
    except (*CACHE_FAILURES, CacheKeyError, ValueError) as error:
        failures = [error] * len(entries)
    if failures:
        print(
            f"WARNING  could not write {len(failures)} of {len(entries)} results "
            f"to the execution cache {job['location']}: {failures[0]}",
            file=sys.stderr,
        )
