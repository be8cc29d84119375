"""Compare the built site with what the bucket holds, then make them equal.

Files are compared by MD5 with the objects' ETags (every upload is a single
part, so its ETag is its MD5); only files whose content changed are sent,
and objects the site no longer has are deleted, only under the prefix.
"""

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .types import cache_control, content_type


@dataclass(frozen=True)
class Change:
    action: str  # upload or delete
    key: str
    reason: str  # new, changed, or gone
    path: Path | None = None

    def __str__(self) -> str:
        return f"{self.action:<7} {self.key} ({self.reason})"


@dataclass
class Plan:
    bucket: str
    prefix: str
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def summary(self) -> str:
        uploads = sum(c.action == "upload" for c in self.changes)
        deletions = len(self.changes) - uploads
        return (
            f"s3://{self.bucket}/{self.prefix}: {uploads} to upload, "
            f"{deletions} to delete, {self.unchanged} unchanged"
        )


def target(url: str) -> tuple[str, str]:
    """Bucket and prefix (empty, or ending in "/") of ``s3://bucket/prefix``."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"{url!r}: expected s3://bucket/prefix")
    prefix = parts.path.strip("/")
    return parts.netloc, prefix + "/" if prefix else ""


def md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def remote_etags(s3, bucket: str, prefix: str) -> dict[str, str]:
    etags = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix
    ):
        for item in page.get("Contents", []):
            etags[item["Key"]] = item["ETag"].strip('"')
    return etags


def plan(site: Path, s3, bucket: str, prefix: str) -> Plan:
    site = Path(site)
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"{site} has no index.html: build the site first")
    remote = remote_etags(s3, bucket, prefix)
    result = Plan(bucket, prefix)
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(site).as_posix()
        etag = remote.pop(key, None)
        if etag is None:
            result.changes.append(Change("upload", key, "new", path))
        elif etag != md5(path):
            result.changes.append(Change("upload", key, "changed", path))
        else:
            result.unchanged += 1
    result.changes += [Change("delete", key, "gone") for key in sorted(remote)]
    return result


def apply(result: Plan, s3) -> None:
    prefix_length = len(result.prefix)
    for change in result.changes:
        if change.action == "upload":
            relative = change.key[prefix_length:]
            s3.put_object(
                Bucket=result.bucket,
                Key=change.key,
                Body=change.path.read_bytes(),
                ContentType=content_type(relative),
                CacheControl=cache_control(relative),
            )
    gone = [{"Key": c.key} for c in result.changes if c.action == "delete"]
    for start in range(0, len(gone), 1000):
        s3.delete_objects(
            Bucket=result.bucket,
            Delete={"Objects": gone[start : start + 1000], "Quiet": True},
        )
