"""Where to publish: ``s3://bucket/prefix``, checked before anything is
touched, so a mistyped target is an error rather than a publish elsewhere."""

import re
from typing import NamedTuple

from .errors import PublishError
from .shown import shown

# AWS's rules for general purpose bucket names (a name S3 would refuse to
# create can only be a typo here).
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
IP_ADDRESS = re.compile(r"\d+\.\d+\.\d+\.\d+")
BUCKET_CHARACTERS = re.compile(r"[a-z0-9.-]+")


class Target(NamedTuple):
    bucket: str
    prefix: str  # empty, or ending in "/"

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{shown(self.prefix)}"


def bucket_problem(name: str) -> str | None:
    """Why S3 would reject ``name`` as a bucket name, or None."""
    if not 3 <= len(name) <= 63:
        return f"it has {len(name)} characters, not 3 to 63"
    if name != name.lower() and BUCKET_CHARACTERS.fullmatch(name.lower()):
        return "it has uppercase letters, and bucket names are lowercase"
    if not BUCKET_CHARACTERS.fullmatch(name):
        return "it may only have lowercase letters, digits, '.' and '-'"
    if not (name[0].isalnum() and name[-1].isalnum()):
        return "it must begin and end with a letter or digit"
    if ".." in name:
        return "it has two adjacent dots"
    if IP_ADDRESS.fullmatch(name):
        return "it is formatted as an IP address"
    for reserved in RESERVED_PREFIXES:
        if name.startswith(reserved):
            return f"names starting {reserved!r} are reserved"
    for reserved in RESERVED_SUFFIXES:
        if name.endswith(reserved):
            return f"names ending {reserved!r} are reserved"
    return None


def prefix_problem(path: str) -> str | None:
    """Why the path after the bucket is not a clear prefix, or None."""
    if shown(path) != path:
        return "it has characters that do not show as themselves: " + shown(path)
    prefix = path.removesuffix("/")
    if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
        return "it has an empty, '.' or '..' segment"
    return None


def target(url: str) -> Target:
    """The bucket and prefix of ``s3://bucket/prefix``; a `PublishError`
    saying what is wrong with anything else."""
    said = shown(url)
    if url != url.strip():
        raise PublishError(f"{said}: the target has whitespace around it")
    if not url.startswith("s3://"):
        raise PublishError(f"{said}: expected s3://bucket/prefix")
    rest = url.removeprefix("s3://")
    if "?" in rest:
        raise PublishError(
            f"{said}: the target has a query ('?'), which would be dropped: "
            "give s3://bucket/prefix alone"
        )
    if "#" in rest:
        raise PublishError(
            f"{said}: the target has a fragment ('#'), which would be dropped: "
            "give s3://bucket/prefix alone"
        )
    bucket, _, path = rest.partition("/")
    if not bucket:
        raise PublishError(f"{said}: the target has no bucket")
    if problem := bucket_problem(bucket):
        raise PublishError(f"{said}: '{shown(bucket)}' is not a bucket name: {problem}")
    if problem := prefix_problem(path):
        raise PublishError(f"{said}: the prefix '{shown(path)}' is unclear: {problem}")
    prefix = path.removesuffix("/")
    return Target(bucket, prefix + "/" if prefix else "")
