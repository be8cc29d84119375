"""What a publish will do, worked out before it touches anything: which
files go up and in what order, which objects go, and which are not ours.

An object under the prefix is ours if the manifest recorded it with the
ETag it has now (or if it is adopted); only ours are ever overwritten or
deleted. One that is not ours is listed and left alone, and if the site has
a different file at its key the plan is refused, naming it.
"""

from dataclasses import dataclass, field
from pathlib import Path

from .errors import PublishError
from .files import MANIFEST_NAME, SiteFile, site_files
from .manifest import Entry, Manifest, load, manifest_key
from .shown import shown
from .target import Target
from .types import content_type

MAX_KEY_BYTES = 1024
FEEDS = ("application/atom+xml", "application/rss+xml", "application/xml")


def size(count: float) -> str:
    if count < 1000:
        return f"{count} B"
    for unit in ("kB", "MB", "GB"):
        count /= 1000
        if count < 1000 or unit == "GB":
            return f"{count:.1f} {unit}"


@dataclass(frozen=True)
class Change:
    action: str  # upload, delete, adopt or leave
    key: str
    reason: str
    size: int
    file: SiteFile | None = None  # what to upload
    etag: str | None = None  # the object's now, if there is one

    def __str__(self) -> str:
        return f"{self.action:<7} {shown(self.key)} ({self.reason}, {size(self.size)})"


def order(change: Change) -> tuple:
    """Files pages link to first, then pages, then the feeds and sitemap
    that link to pages; new before changed, so no link leads nowhere."""
    kind = content_type(change.key)
    rank = 1 if kind.startswith("text/html") else 2 if kind.startswith(FEEDS) else 0
    return rank, change.reason != "new", change.key


@dataclass
class Plan:
    target: Target
    manifest: Manifest  # as read
    owned: dict[str, Entry]  # the objects that are ours now, adopted included
    uploads: list[Change] = field(default_factory=list)
    deletions: list[Change] = field(default_factory=list)
    adopted: list[Change] = field(default_factory=list)
    left: list[Change] = field(default_factory=list)  # not ours
    unchanged: int = 0

    def lines(self) -> list[str]:
        """Every object the publish touches or leaves, in the order it acts."""
        note = []
        if self.manifest.pending:
            note = ["(an earlier publish here did not finish: this one finishes it)"]
        changes = self.adopted + self.uploads + self.deletions + self.left
        return note + [str(change) for change in changes]

    def summary(self) -> str:
        def total(changes, what):
            return f"{len(changes)} {what} ({size(sum(c.size for c in changes))})"

        return (
            f"{self.target}: {total(self.uploads, 'to upload')}, "
            f"{total(self.deletions, 'to delete')}, "
            f"{total(self.adopted, 'to adopt')}, "
            f"{total(self.left, 'not ours, left alone')}, "
            f"{self.unchanged} unchanged"
        )

    def tidy(self) -> bool:
        """Whether the manifest says exactly what is ours."""
        return not self.manifest.pending and self.manifest.objects == self.owned


def listing(s3, target: Target) -> dict[str, tuple[str, int]]:
    """ETag and size of every object under the prefix, the manifest aside."""
    objects = {}
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=target.bucket, Prefix=target.prefix
    )
    for page in pages:
        for item in page.get("Contents", []):
            objects[item["Key"]] = (item["ETag"].strip('"'), item["Size"])
    objects.pop(manifest_key(target), None)
    return objects


def ancestors(s3, target: Target) -> list[Manifest]:
    """The manifests of sites published at prefixes that hold this one."""
    if not target.prefix:
        return []
    parts = target.prefix.split("/")[:-2]
    prefixes = ["/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]
    found = [load(s3, Target(target.bucket, prefix)) for prefix in ["", *prefixes]]
    return [manifest for manifest in found if manifest.etag]


def claimed(manifests: list[Manifest], key: str, etag: str) -> bool:
    return any(manifest.owned(key, etag) for manifest in manifests)


def refuse(target: Target, clashes: list[str], adopt: bool) -> None:
    named = "\n".join(f"  {shown(key)}" for key in clashes)
    advice = (
        "they are under another site's manifest, which --adopt never takes over"
        if adopt
        else "give --adopt to take over every object under the prefix "
        "that is not ours (--dry-run shows what that would do)"
    )
    raise PublishError(
        f"{target}: the site has files at keys that hold objects no publish "
        f"wrote, with other content, so nothing was changed:\n{named}\n" + advice
    )


def plan(site: Path, s3, target: Target, *, adopt: bool = False) -> Plan:
    """The plan for publishing the built site in ``site`` to ``target``;
    ``adopt`` takes over objects under the prefix that no publish wrote,
    except those under another site's manifest."""
    site = Path(site)
    if not (site / "index.html").is_file():
        raise PublishError(f"{shown(str(site))} has no index.html: build it first")
    files = {target.prefix + file.key: file for file in site_files(site)}
    if long := [key for key in files if len(key.encode()) > MAX_KEY_BYTES]:
        raise PublishError(f"keys longer than S3 allows: {', '.join(map(shown, long))}")
    manifest = load(s3, target)
    listed = listing(s3, target)
    others = tuple(
        key.removesuffix(MANIFEST_NAME)
        for key in listed
        if key.endswith("/" + MANIFEST_NAME)
    )
    above = ancestors(s3, target) if adopt else []
    result = Plan(target, manifest, owned={})
    clashes = []
    for key, (etag, length) in sorted(listed.items()):
        md5 = manifest.owned(key, etag)
        file = files.get(key)
        if md5:
            result.owned[key] = Entry(md5, etag)
        elif adopt and not key.startswith(others) and not claimed(above, key, etag):
            result.owned[key] = Entry(etag, etag)
            result.adopted.append(Change("adopt", key, "not ours", length))
        elif file and file.md5 != etag:
            clashes.append(key)
        else:
            same = ", same as the site's" if file else ""
            result.left.append(Change("leave", key, "not ours" + same, length))
    if clashes:
        refuse(target, clashes, adopt)
    for key, file in files.items():
        if key not in listed:
            result.uploads.append(Change("upload", key, "new", file.size, file))
        elif key not in result.owned:
            continue  # not ours, and the same as the site's
        elif result.owned[key].md5 == file.md5:
            result.unchanged += 1
        else:
            etag = listed[key][0]
            change = Change("upload", key, "changed", file.size, file, etag)
            result.uploads.append(change)
    result.uploads.sort(key=order)
    for key, entry in result.owned.items():
        if key not in files:
            change = Change("delete", key, "gone", listed[key][1], etag=entry.etag)
            result.deletions.append(change)
    return result
