"""Publish a built static site to an S3 bucket: upload what changed, delete
what the site no longer has, and touch nothing outside its prefix."""

from .publish import Change, Plan, apply, plan, target
from .types import cache_control, content_type

__all__ = ["Change", "Plan", "apply", "cache_control", "content_type", "plan", "target"]
