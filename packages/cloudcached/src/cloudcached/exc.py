"""The one exception tree of CloudCached."""


class CacheError(Exception):
    """Base of every CloudCached error."""


class CorruptEntry(CacheError):
    """An entry whose bytes are not what was written: refused, never loaded."""

    def __init__(self, key: str, why: str):
        super().__init__(f"cache entry {key!r} refused: {why}")
        self.key, self.why = key, why


class ReadOnlyCache(CacheError):
    """A write to a cache opened read-only."""
