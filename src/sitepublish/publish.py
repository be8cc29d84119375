"""Carry out a plan in the one order that keeps the live site whole: claim
in the manifest what is about to be written, upload (pages and feeds last),
record the uploads, delete, record the deletions.

A reader in the middle of a publish never follows a link to a missing page,
a stop at any point leaves a manifest that a rerun finishes from, and every
write and delete is conditional on the object being what the plan saw, so
nothing someone else wrote meanwhile is overwritten or deleted.
"""

from dataclasses import replace

from botocore.exceptions import BotoCoreError, ClientError

from .errors import PublishError
from .files import content
from .manifest import Entry, Manifest, Overtaken, save
from .plan import Change, Plan
from .shown import shown
from .types import cache_control, content_type

LOST = {"PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"}
# What stops a publish partway, Ctrl-C included: each is reported the same.
FAILURES = (PublishError, ClientError, BotoCoreError, OSError, KeyboardInterrupt)


class Stopped(PublishError):
    """A publish stopped partway; its message says what is live now."""


def code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def upload(s3, plan: Plan, change: Change) -> Entry:
    relative = change.key.removeprefix(plan.target.prefix)
    # Over only the object the plan saw, or into an empty key.
    condition = {"IfMatch": f'"{change.etag}"'} if change.etag else {"IfNoneMatch": "*"}
    try:
        response = s3.put_object(
            Bucket=plan.target.bucket,
            Key=change.key,
            Body=content(change.file),
            ContentType=content_type(relative),
            CacheControl=cache_control(relative),
            **condition,
        )
    except ClientError as error:
        if code(error) in LOST:
            raise PublishError(
                "the object changed in the bucket after the plan was made, "
                "so it was not overwritten"
            ) from error
        raise
    return Entry(change.file.md5, response["ETag"].strip('"'))


def delete(s3, plan: Plan, change: Change) -> bool:
    """Delete the object if it is still the one we wrote; whether it was
    left because someone else has written it since."""
    try:
        s3.delete_object(
            Bucket=plan.target.bucket, Key=change.key, IfMatch=f'"{change.etag}"'
        )
    except ClientError as error:
        if code(error) in ("NoSuchKey", "404"):
            return False
        if code(error) in ("PreconditionFailed", "ConditionalRequestConflict"):
            return True
        raise
    return False


def stopped(plan: Plan, stage: str, done: int, error: Exception) -> Stopped:
    """What is live now, and what a rerun does, after ``error``."""
    uploads, deletions = len(plan.uploads), len(plan.deletions)
    if stage == "claim":
        where = "writing the manifest"
        live = "Nothing was changed: the site as it was is live."
    elif stage == "upload":
        key = shown(plan.uploads[done].key)
        where = f"uploading {key} ({done + 1} of {uploads})"
        live = (
            "Live now: every file of the site as it was (nothing was deleted), "
            f"with {done} of the {uploads} new and changed files up "
            "(pages and feeds go last)."
        )
    elif stage == "commit":
        where = "writing the manifest"
        live = (
            f"Live now: the new site, all {uploads} uploads done; "
            f"none of the {deletions} old files deleted."
        )
    elif stage == "delete":
        key = shown(plan.deletions[done].key)
        where = f"deleting {key} ({done + 1} of {deletions})"
        live = f"Live now: the new site, {done} of the {deletions} old files deleted."
    else:
        where = "writing the manifest"
        live = (
            "Live now: the new site, every old file deleted; the manifest "
            "still lists the deleted ones (harmless: a listed object counts "
            "only while it has the content recorded)."
        )
    rerun = (
        "Rerun when the other publish has finished."
        if isinstance(error, Overtaken)
        else "Rerun the same publish to finish: it picks up from here."
    )
    reason = str(error) or type(error).__name__
    return Stopped(f"publish stopped {where}: {reason}\n{live}\n{rerun}")


def apply(plan: Plan, s3) -> list[str]:
    """Carry out ``plan``; the keys left undeleted because someone else
    wrote them meanwhile. A stop raises `Stopped`, saying what is live."""
    pending = {change.key: change.file.md5 for change in plan.uploads}
    manifest = Manifest(dict(plan.owned), pending, plan.manifest.etag)
    stage, done, left = "claim", 0, []
    try:
        if plan.uploads:  # claimed before written: a crash forgets nothing
            manifest = save(s3, plan.target, manifest)
            stage = "upload"
        for change in plan.uploads:
            manifest.objects[change.key] = upload(s3, plan, change)
            done += 1
        if plan.uploads:
            stage = "commit"
        if plan.uploads or plan.deletions or not plan.tidy():
            # Conditional: of two publishes at once, only one deletes.
            manifest = save(s3, plan.target, replace(manifest, pending={}))
        stage, done = "delete", 0
        for change in plan.deletions:
            if delete(s3, plan, change):
                left.append(change.key)
            del manifest.objects[change.key]
            done += 1
        stage = "tidy"
        if plan.deletions:
            save(s3, plan.target, manifest)
    except FAILURES as error:
        raise stopped(plan, stage, done, error) from error
    return left
