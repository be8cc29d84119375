"""Pickle and sign; verify and unpickle, through an unpickler that allows
only the classes it is told to."""

import io
import pickle

from .exc import BadPayload, ForbiddenClass
from .signer import Signer

# Safe to rebuild: plain data types that pickle refers to by name.
DEFAULT_ALLOWED = frozenset(
    {
        ("builtins", "complex"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("builtins", "bytearray"),
        ("builtins", "range"),
        ("builtins", "slice"),
        ("collections", "OrderedDict"),
        ("collections", "deque"),
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "time"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("decimal", "Decimal"),
        ("fractions", "Fraction"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickles plain data; any other class or function is refused."""

    def __init__(self, file, allowed: frozenset):
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str):
        if (module, name) not in self.allowed:
            raise ForbiddenClass(
                f"the pickle refers to {module}.{name}, which is not allowed"
            )
        return super().find_class(module, name)


class Serializer:
    """``dumps``/``loads`` of signed pickles for one signer (one purpose).

    The signer decides the rest: its keys (oldest to newest, the last signs),
    its clock for ``timestamp`` and ``max_age``."""

    def __init__(
        self,
        signer: Signer,
        allowed: set[tuple[str, str]] | frozenset = DEFAULT_ALLOWED,
        timestamp: bool = False,
    ):
        self.signer = signer
        self.allowed = frozenset(allowed)
        self.timestamp = timestamp

    def dumps(self, obj) -> bytes:
        return self.signer.sign(pickle.dumps(obj, protocol=5), timestamp=self.timestamp)

    def loads(self, blob: bytes, max_age: float | None = None):
        payload = self.signer.unsign(blob, max_age=max_age)  # raises before unpickling
        try:
            return RestrictedUnpickler(io.BytesIO(payload), self.allowed).load()
        except ForbiddenClass:
            raise
        except Exception as error:
            raise BadPayload(f"signed, but not a loadable pickle: {error}") from None
