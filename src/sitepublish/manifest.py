"""The manifest: what publishes wrote under the prefix, kept in one object
there, so that a publish deletes only what a publish wrote.

An object counts as ours only while its ETag is one the manifest recorded
for its key: a claim that a crash left behind never covers what someone
else wrote there since. Keys about to be uploaded are claimed ("pending")
before the first upload, so a crash never leaves an object of ours that the
manifest forgets. Every write is conditional on the manifest as this
publish last read or wrote it, so of two publishes at once only one goes on.
"""

import json
from dataclasses import dataclass, field
from typing import NamedTuple

from botocore.exceptions import ClientError

from .errors import PublishError
from .files import MANIFEST_NAME
from .shown import shown
from .target import Target

FORMAT = "sitepublish-manifest/1"
# What S3 answers to a conditional write that lost.
LOST = {"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"}


class Overtaken(PublishError):
    """Another publish wrote the manifest since this one read it."""


class Entry(NamedTuple):
    md5: str  # of the content written (an adopted object's: its ETag)
    etag: str  # S3's, as the upload returned it


@dataclass
class Manifest:
    objects: dict[str, Entry] = field(default_factory=dict)  # by full key
    pending: dict[str, str] = field(default_factory=dict)  # key: md5 to write
    etag: str | None = None  # the manifest object's own; None if there is none

    def owned(self, key: str, etag: str) -> str | None:
        """The MD5 of the object at ``key`` with ``etag`` if we wrote it."""
        entry = self.objects.get(key)
        if entry and etag == entry.etag:
            return entry.md5
        if self.pending.get(key) == etag:
            return etag
        return None


def manifest_key(target: Target) -> str:
    return target.prefix + MANIFEST_NAME


def parse(body: bytes, prefix: str) -> tuple[dict[str, Entry], dict[str, str]]:
    data = json.loads(body)
    if data.get("format") != FORMAT:
        raise ValueError(f"its format is not {FORMAT}")
    objects = {
        prefix + key: Entry(entry["md5"], entry["etag"])
        for key, entry in data["objects"].items()
    }
    pending = {prefix + key: md5 for key, md5 in data["pending"].items()}
    tags = [*pending.values(), *(tag for entry in objects.values() for tag in entry)]
    if not all(isinstance(tag, str) for tag in tags):
        raise ValueError("it has an MD5 or ETag that is not a string")
    return objects, pending


def load(s3, target: Target) -> Manifest:
    key = manifest_key(target)
    try:
        response = s3.get_object(Bucket=target.bucket, Key=key)
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return Manifest()
        raise
    try:
        objects, pending = parse(response["Body"].read(), target.prefix)
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise PublishError(
            f"s3://{target.bucket}/{shown(key)} is not a manifest this publish "
            f"can read ({error}), so nothing was changed: move it aside to "
            "publish here (the objects it lists then count as not ours)"
        ) from error
    return Manifest(objects, pending, response["ETag"].strip('"'))


def save(s3, target: Target, manifest: Manifest) -> Manifest:
    """Write ``manifest`` if the object is still the one whose ETag it
    carries (or still absent); the same manifest with the new ETag."""
    cut = len(target.prefix)
    body = {
        "format": FORMAT,
        "objects": {
            key[cut:]: {"md5": entry.md5, "etag": entry.etag}
            for key, entry in sorted(manifest.objects.items())
        },
        "pending": {key[cut:]: md5 for key, md5 in sorted(manifest.pending.items())},
    }
    if manifest.etag:
        condition = {"IfMatch": f'"{manifest.etag}"'}
    else:
        condition = {"IfNoneMatch": "*"}
    try:
        response = s3.put_object(
            Bucket=target.bucket,
            Key=manifest_key(target),
            Body=json.dumps(body, indent=1).encode(),
            ContentType="application/json",
            CacheControl="no-store",
            **condition,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] in LOST:
            raise Overtaken(
                "another publish wrote the manifest since this one read it"
            ) from error
        raise
    etag = response["ETag"].strip('"')
    return Manifest(dict(manifest.objects), dict(manifest.pending), etag)
