"""The one exception tree. Messages say what failed, never what a key is."""


class SigningError(Exception):
    """Base of every error of this package."""


class BadSignature(SigningError):
    """The data is not signed, or not by any of our keys for this purpose."""


class BadTimeSignature(BadSignature):
    """Validly signed, but its timestamp cannot be trusted: missing, not a
    finite number, or from the future (as itsdangerous' ``BadTimeSignature``)."""


class SignatureExpired(BadTimeSignature):
    """The signature is valid but older than the age allowed."""

    def __init__(self, message: str, age: float):
        super().__init__(message)
        self.age = age


class BadPayload(SigningError):
    """Signed by us, but not data we can load."""


class ForbiddenClass(BadPayload):
    """The pickle names a class or function that is not allowed."""


class WeakKey(SigningError):
    """A key too short to sign with."""


class InsecureKeyFile(SigningError):
    """A key file that others than its owner may read or write."""
