"""The one exception tree of the executable posts plugin."""


class ExecutionError(Exception):
    """Base of every error the plugin reports."""


class BlockError(ExecutionError):
    """A block that is malformed, failed, or did not do what the post says.

    Reads as ``path:line: message`` so editors and CI logs can jump to it.
    """

    def __init__(self, path: str, line: int, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


class WorkerLost(ExecutionError):
    """The worker process running a session died or had to be killed."""


class NotRun(WorkerLost):
    """A block that never started: its session's worker (or the zygote) was
    lost before it. Reads as ``not run: why``."""

    def __init__(self, why: WorkerLost | str):
        super().__init__(f"not run: {why}")


class CacheKeyError(ExecutionError):
    """A key of the execution cache that cannot be used: malformed, kept
    where others may read it, or given the way keys used to be given."""


class InsecureKeyFile(CacheKeyError):
    """A secret key file that others than its owner may read or write."""


class UntrustedEntry(ExecutionError):
    """A cache entry not proven to be signed by a trusted key for the very
    key it is stored under."""


class TookTooLong(ExecutionError):
    """Matching a post's pattern ran past its time limit (``time_limit``)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(
            f"took over {seconds:g} s to match (a pattern that backtracks)"
        )


class MalformedResult(ExecutionError):
    """A block's result that is not the plain data a worker makes."""


class MalformedIndex(ExecutionError):
    """The cache's index (what explains misses) is not one: it is made anew."""
