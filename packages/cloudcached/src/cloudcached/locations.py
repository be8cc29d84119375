"""A backend from a location: ``s3://bucket/prefix`` or a directory."""

from pathlib import Path
from urllib.parse import urlsplit

from .backends import LocalBackend, S3Backend


def backend_for(location: str | Path, s3_client=None, private: bool = False):
    """The backend for ``location``; an S3 client is made with boto3's
    standard configuration (``AWS_ENDPOINT_URL``, profiles, ...) if not given.
    ``private``: a directory's files readable by their owner only (S3 keeps
    to the bucket's policy)."""
    text = str(location)
    if text.startswith("s3://"):
        parts = urlsplit(text)
        if not parts.netloc:
            raise ValueError(f"{text!r}: expected s3://bucket/prefix")
        if s3_client is None:
            import boto3

            s3_client = boto3.client("s3")
        return S3Backend(s3_client, parts.netloc, parts.path)
    return LocalBackend(Path(text), private=private)
