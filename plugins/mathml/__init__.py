"""MathML: ``$$ ... $$`` blocks of posts become MathML at build time."""

from pelican.readers import MarkdownReader

from executable_blocks.paths import shown
from pelican import signals

from .extension import MathExtension, mathml

__all__ = ["MathExtension", "mathml", "register"]


def add_extension(pelican) -> None:
    extensions = pelican.settings["MARKDOWN"].setdefault("extensions", [])
    if not any(isinstance(e, MathExtension) for e in extensions):
        extensions.append(MathExtension())


def naming_the_file(reader_class: type) -> type:
    """A Markdown reader class that tells the extension which file it reads,
    for its errors (Python-Markdown does not know)."""

    class MathReader(reader_class):
        def read(self, source_path):
            for extension in self.settings["MARKDOWN"].get("extensions", []):
                if isinstance(extension, MathExtension):
                    extension.setConfig("source_path", shown(source_path))
            return super().read(source_path)

    MathReader.__name__ = MathReader.__qualname__ = reader_class.__name__
    return MathReader


def wrap_readers(readers) -> None:
    classes = readers.reader_classes
    for extension, reader_class in classes.items():
        if reader_class and issubclass(reader_class, MarkdownReader):
            classes[extension] = naming_the_file(reader_class)


def register():
    signals.initialized.connect(add_extension)
    signals.readers_init.connect(wrap_readers)
