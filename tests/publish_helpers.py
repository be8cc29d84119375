"""Helpers of the sitepublish tests: small sites on disk, what a bucket
holds, and S3 errors injected into a boto3 client's requests (the request
never reaches moto's server, which stays the real one over HTTP)."""

import json
from pathlib import Path

from botocore.awsrequest import AWSResponse

from sitepublish import MANIFEST_NAME

SITE = {
    "index.html": "<h1>home</h1>",
    "2009/06/post/index.html": "<h1>post</h1>",
    "feeds/all.atom.xml": "<feed/>",
    "theme/css/style.css": "body {}",
    "figures/abc.svg": "<svg/>",
    "old.html": "old",
}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def keys(s3, bucket: str, prefix: str = "") -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def contents(s3, bucket: str) -> dict[str, bytes]:
    """Every object of the bucket, by key."""
    return {
        key: s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        for key in keys(s3, bucket)
    }


def manifest(s3, bucket: str, prefix: str = "") -> dict:
    body = s3.get_object(Bucket=bucket, Key=prefix + MANIFEST_NAME)["Body"].read()
    return json.loads(body)


class Body:
    def __init__(self, data: bytes):
        self.data = data

    def stream(self, **_):
        yield self.data


DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Access Denied (injected by the test)</Message></Error>"
)


def on_request(s3, operations, number: int, action, which=lambda url: True):
    """Call ``action(request)`` before the ``number``th request of any of
    ``operations`` (1 is the first, 0 never) whose URL ``which`` picks; what
    it returns, if anything, is the answer instead of the server's. The URLs
    of those requests, as they go."""
    seen = []

    def before_send(request, **_):
        if not which(request.url):
            return None
        seen.append(request.url)
        if len(seen) == number:
            return action(request)
        return None

    for operation in operations:
        s3.meta.events.register(f"before-send.s3.{operation}", before_send)
    return seen


def deny(request) -> AWSResponse:
    return AWSResponse(request.url, 403, {}, Body(DENIED))


WRITES = ("PutObject", "DeleteObject")


def is_manifest(url: str) -> bool:
    return url.endswith("/" + MANIFEST_NAME)


def is_upload(url: str) -> bool:
    return not is_manifest(url)
