"""MathML: ``$$ ... $$`` blocks of posts become MathML at build time."""

from pelican import signals

from .extension import MathExtension, mathml

__all__ = ["MathExtension", "mathml", "register"]


def add_extension(pelican) -> None:
    extensions = pelican.settings["MARKDOWN"].setdefault("extensions", [])
    if not any(isinstance(e, MathExtension) for e in extensions):
        extensions.append(MathExtension())


def register():
    signals.initialized.connect(add_extension)
