"""Code, output and tables that scroll inside focusable, labelled regions,
with the code's language named, so that nothing wider than the column is
cut off or out of a keyboard user's reach."""

from .plugin import register

__all__ = ["register"]
