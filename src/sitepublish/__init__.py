"""Publish a built static site to an S3 bucket: upload what changed, delete
what the site no longer has, and never overwrite or delete an object that a
publish did not write (its manifest under the prefix says which those are)."""

from .errors import PublishError
from .files import MANIFEST_NAME, site_files
from .plan import Change, Plan, plan
from .publish import Stopped, apply
from .shown import shown
from .target import Target, target
from .types import cache_control, content_type

__all__ = [
    "MANIFEST_NAME",
    "Change",
    "Plan",
    "PublishError",
    "Stopped",
    "Target",
    "apply",
    "cache_control",
    "content_type",
    "plan",
    "shown",
    "site_files",
    "target",
]
