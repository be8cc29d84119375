"""Executable posts: run the code blocks of every post at build time, show
what they produced, check what the posts claim about it, and fail the build
(exit status 1, before a page is written) when a block breaks or anything
else logs an error. The engine itself is ``executable_blocks``, which knows
nothing of Pelican; this package is its Pelican adapter.

Settings (all optional):

- ``EXEC_CODE_DIR``: where ``include=`` files live (default: ``<PATH>/code``)
- ``EXEC_INCLUDE_DIRS``: more directories to include from (e.g. ``src``); the
  modules of all of them count as dependencies of the blocks that import them
- ``EXEC_CACHE``: the cache, a directory or ``s3://bucket/prefix``
- ``EXEC_STATE_DIR``: this builder's cache key pair (``cache-signing.key``,
  made on first use, and ``cache-signing.pub``) and, for an S3 cache, index
- ``EXEC_CACHE_READONLY``: read the cache but never write it, holding no
  secret key (for builds of untrusted changes)
- ``EXEC_REPORT``: where the JSON report is written
- ``EXEC_FRESH``: ignore the cache (``invoke build --fresh``)
- ``EXEC_TIMEOUT``: default seconds per block (60)
- ``EXEC_WORKERS``: sessions run at once (default: the number of cores)
- ``EXEC_LOCKFILE``: the lockfile whose digest is part of every cache key
- ``EXEC_FIGURES_DIR``: output folder of figures and animations (``figures``)
- ``EXEC_REQUIRE``: every ``python`` block must say whether it runs (True)
- ``EXEC_TIMEOUT_MAX``: the largest ``timeout=`` a block may ask for (3600)
- ``EXEC_SANDBOX``: ``strict``, ``best`` (default) or ``off`` (``sandbox.py``)
- ``EXEC_PASS_ENV``: variables of the builder's environment sessions see
- ``EXEC_NETWORK``: ``declared`` (default: a block that says
  ``network="on"`` gets the network) or ``never`` (such a block fails)
- ``EXEC_MEMORY``, ``EXEC_PROCESSES``, ``EXEC_FILE_SIZE``: a session's limits

The environment overrides ``EXEC_CACHE``, ``EXEC_STATE_DIR``,
``EXEC_CACHE_READONLY``, ``EXEC_REPORT``, ``EXEC_FRESH``,
``EXEC_TIMEOUT_MAX`` and the sandbox's (``EXEC_FRESH=1``,
``EXEC_CACHE_READONLY=1`` for the switches). The cache's entries are signed
with Ed25519 (``signing_keys``, keys written ``name:base64`` as Nix writes
them): ``EXEC_CACHE_SIGNING_KEY`` holds a trusted builder's secret key (else
the key file is used), ``EXEC_CACHE_TRUSTED_KEYS`` the public keys whose
entries a build accepts besides its own. ``EXEC_CACHE_KEYS``, the HMAC keys
of old, stops the build with a message saying so.
"""

import sys


def check_platform() -> None:
    """Stop, saying why, where the sessions cannot be made; before the
    engine is imported, whose Linux-only modules (``resource``) would fail
    to import elsewhere, and Pelican would build on without the plugin."""
    if not sys.platform.startswith("linux"):
        raise SystemExit(
            "executable_posts runs the posts' code on Linux only (its worker "
            "processes are made with Linux's namespaces, /proc, pidfds and "
            f"prctl); this is {sys.platform}: build on Linux, in a container "
            "or in CI"
        )


def register():
    """Wire the plugin to Pelican's signals. The engine is imported here,
    not at the top: Pelican imports every installed namespace plugin to list
    them, and the zygote imports ``executable_blocks`` without Pelican."""
    check_platform()
    from .wiring import register as wire

    wire()
