"""The plugin's settings as a build reads them: the environment's value
wins over ``pelicanconf.py``'s, so CI and a shell configure a build without
editing the settings file."""

import math
import os

from executable_blocks import sandbox
from executable_blocks.blocks import MAX_TIMEOUT


def configured(settings: dict, name: str, default=None):
    """The environment's value of ``name``, else the setting's; ``default``
    when neither is set (or is empty). A setting of 0 is 0, to be checked:
    ``EXEC_PROCESSES = 0`` was taken for the default."""
    for value in (os.environ.get(name), settings.get(name)):
        if value is not None and value != "":
            return value
    return default


def switched_on(settings: dict, name: str) -> bool:
    return os.environ.get(name) == "1" or bool(settings.get(name))


def listed(settings: dict, name: str) -> list[str]:
    """A list setting, or the environment's comma-separated value."""
    value = os.environ.get(name)
    if value is not None:
        return [word.strip() for word in value.split(",") if word.strip()]
    return list(settings.get(name) or [])


def timeout_max(settings: dict) -> float:
    """``EXEC_TIMEOUT_MAX``: a finite number of seconds above 0 (a block's
    ``timeout=`` is held to it)."""
    text = configured(settings, "EXEC_TIMEOUT_MAX", MAX_TIMEOUT)
    try:
        seconds = float(text)
    except (TypeError, ValueError):
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise SystemExit(
            f"EXEC_TIMEOUT_MAX={text!r}: expected a finite number of seconds above 0"
        )
    return seconds


def figures_folder(settings: dict) -> str:
    """``EXEC_FIGURES_DIR``: a folder of the output, and the same path in the
    site's URLs, so a relative path that stays inside it. ``/figures``
    wrote to the builder's ``/figures`` and linked ``//figures/...``, a URL
    on another host."""
    value = settings.get("EXEC_FIGURES_DIR", "figures")
    parts = str(value).replace("\\", "/").split("/") if value else []
    if (
        not isinstance(value, str)
        or not value
        or value.startswith("/")
        or any(part in ("", ".", "..") for part in parts)
    ):
        raise SystemExit(
            f"EXEC_FIGURES_DIR={value!r}: expected a folder inside the output, "
            'relative and plain (such as "figures" or "media/figures")'
        )
    return value


NETWORK = ("declared", "never")


def network_allowed(settings: dict) -> bool:
    """``EXEC_NETWORK``: ``declared`` (a block that says ``network="on"``
    gets the network) or ``never`` (such a block fails: for builds of
    untrusted changes, whose network is the CI machine's)."""
    value = configured(settings, "EXEC_NETWORK", "declared")
    if value not in NETWORK:
        raise SystemExit(
            f"EXEC_NETWORK={value!r}: expected one of {', '.join(NETWORK)}"
        )
    return value == "declared"


def sandbox_settings(settings: dict) -> tuple[dict, tuple[str, ...]]:
    """The sandbox's policy and the variables passed to sessions, checked:
    a wrong value stops the build before anything runs."""
    mode = configured(settings, "EXEC_SANDBOX", "best")
    if mode not in sandbox.MODES:
        raise SystemExit(
            f"EXEC_SANDBOX={mode!r}: expected one of {', '.join(sandbox.MODES)}"
        )
    try:
        policy = {
            "mode": mode,
            "memory": sandbox.parse_size(configured(settings, "EXEC_MEMORY", "2G")),
            "file_size": sandbox.parse_size(
                configured(settings, "EXEC_FILE_SIZE", "1G")
            ),
            "processes": int(
                configured(settings, "EXEC_PROCESSES", sandbox.DEFAULT_PROCESSES)
            ),
            "results": sandbox.parse_size(
                configured(settings, "EXEC_RESULTS_MAX", "1G")
            ),
        }
    except ValueError as error:
        raise SystemExit(
            f"executable_posts: a sandbox limit is wrong: {error}"
        ) from None
    most = sandbox.PID_MAX_LIMIT - sandbox.RESERVED_PIDS
    if not 1 <= policy["processes"] <= most:
        raise SystemExit(
            f"EXEC_PROCESSES={policy['processes']}: from 1 to {most:,} "
            "(what the kernel's pid_max allows)"
        )
    passed = tuple(listed(settings, "EXEC_PASS_ENV"))
    secret = [name for name in passed if name.startswith("EXEC_CACHE")]
    if secret:
        raise SystemExit(
            f"EXEC_PASS_ENV names {', '.join(secret)}: the execution cache's "
            "settings and keys are never passed to the posts' code"
        )
    return policy, passed
