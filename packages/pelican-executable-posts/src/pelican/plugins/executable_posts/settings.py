"""The plugin's settings as a build reads them: the environment's value
wins over ``pelicanconf.py``'s, so CI and a shell configure a build without
editing the settings file."""

import os

from executable_blocks import sandbox


def configured(settings: dict, name: str, default=None):
    """The environment's value of ``name``, else the setting's."""
    return os.environ.get(name) or settings.get(name) or default


def switched_on(settings: dict, name: str) -> bool:
    return os.environ.get(name) == "1" or bool(settings.get(name))


def listed(settings: dict, name: str) -> list[str]:
    """A list setting, or the environment's comma-separated value."""
    value = os.environ.get(name)
    if value is not None:
        return [word.strip() for word in value.split(",") if word.strip()]
    return list(settings.get(name) or [])


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
            "processes": int(configured(settings, "EXEC_PROCESSES", 300)),
            "results": sandbox.parse_size(
                configured(settings, "EXEC_RESULTS_MAX", "1G")
            ),
        }
    except ValueError as error:
        raise SystemExit(
            f"executable_posts: a sandbox limit is wrong: {error}"
        ) from None
    if policy["processes"] < sandbox.PID_MAX_MIN - 1:
        raise SystemExit(
            f"EXEC_PROCESSES={policy['processes']}: at least "
            f"{sandbox.PID_MAX_MIN - 1} (the kernel's least pid_max)"
        )
    passed = tuple(listed(settings, "EXEC_PASS_ENV"))
    secret = [name for name in passed if name.startswith("EXEC_CACHE")]
    if secret:
        raise SystemExit(
            f"EXEC_PASS_ENV names {', '.join(secret)}: the execution cache's "
            "settings and keys are never passed to the posts' code"
        )
    return policy, passed
