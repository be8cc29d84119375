"""The plugin's receivers of Pelican's signals, and the one place that
knows Pelican's internals.

Nothing here depends on the order of ``PLUGINS`` or on the order in which
blinker calls the receivers of one signal (it documents none): where two
steps must follow each other, one receiver does both.
"""

import functools
import inspect
import logging
import os
import re
import sys

from markdown import Markdown

import pelican
from executable_blocks.paths import shown
from pelican import contents, generators, readers, signals, utils

from .build import MARKDOWN_EXTENSIONS, Build
from .content_paths import (
    ContentPaths,
    listing_pages,
    paginated_pages,
    reserved_pages,
)
from .gate import ErrorGate
from .log_lines import readable_records
from .reader_errors import strict

logger = logging.getLogger(__name__)

# Pelican versions whose internals this module relies on: Content keeps its
# raw HTML in ``_content``, and ``get_content`` calls an instance's
# ``_get_content`` when it has one (build.py fills a post's placeholders
# there), then its ``_update_content`` with the site's URL for the page
# being written (build.py gives the figures that URL there). The CI builds
# a site with each.
TESTED_PELICAN = ("4.10", "4.11", "4.12")
RELIED_ON = ("self._get_content()", "self._update_content(content, siteurl)")

gate = ErrorGate()
# The build of the run going on; None between runs (a receiver called then,
# by another plugin's doing, leaves the post as Pelican has it).
build: Build | None = None
content_paths = ContentPaths()
emptied_later = None  # the Pelican whose output folder is emptied on writing


def check_pelican() -> None:
    """Stop at start-up, saying why, on a Pelican whose internals differ."""
    version = ".".join(pelican.__version__.split(".")[:2])
    try:
        source = inspect.getsource(contents)
    except OSError:  # installed without its sources: trust the version
        source = " ".join(RELIED_ON)
    if not all(call in source for call in RELIED_ON):
        raise SystemExit(
            f"executable_posts: Pelican {pelican.__version__}'s Content does "
            "not make a post's HTML through _get_content and _update_content, "
            "which this plugin relies on; it is tested with Pelican "
            f"{', '.join(TESTED_PELICAN)}"
        )
    if version not in TESTED_PELICAN:
        logger.warning(
            "executable_posts: not tested with Pelican %s (tested: %s)",
            pelican.__version__,
            ", ".join(TESTED_PELICAN),
        )


def start(instance) -> None:
    """``initialized``: read the settings, and make each of the instance's
    runs a build checked for errors."""
    empty_output_on_writing(instance)
    if instance.settings.get("CACHE_CONTENT"):
        logger.info(
            "executable_posts: Pelican's content cache is turned off; "
            "it would hide edits to included files"
        )
        instance.settings["CACHE_CONTENT"] = False
        instance.settings["LOAD_CONTENT_CACHE"] = False
    check_pelican()  # (no change of the settings can fix that one)
    try:
        site_build = Build(instance.settings, quiet=gate.quiet)
    except SystemExit as refusal:
        if not called_by_autoreload():
            raise
        wait_for_a_fix(instance, refusal)
        return
    gate.watch(instance)
    each_run_a_build(instance, site_build)


def wait_for_a_fix(instance, refusal: SystemExit) -> None:
    """Pelican's autoreload makes a new instance when the settings change:
    one this plugin refuses (a wrong ``EXEC_*`` value) ended the loop, where
    a wrong setting of Pelican's own is logged and waited out. Its runs
    build nothing and say why, until the next change."""

    def refused():
        print(f"{refusal.code} Waiting for a change.", file=sys.stderr)

    instance.run = refused


def each_run_a_build(instance, site_build: Build) -> None:
    """Pelican's autoreload (``pelican -r``, ``--listen --autoreload``) runs
    one instance again at every change, and ends its loop only on a
    ``SystemExit``: each run starts its sessions afresh and counts its own
    errors, and one that fails there says so and waits for the next change.
    Elsewhere a failed build still ends with exit status 1."""
    run = instance.run

    def run_as_build():
        global build
        content_paths.clear()
        skip_status.clear()
        try:
            site_build.begin()
            build = site_build
            run()
        except SystemExit as failure:  # (a BuildFailed, or begin's refusal)
            if not called_by_autoreload():
                raise
            print(f"{failure.code} Waiting for a change.", file=sys.stderr)
        finally:
            build = None
            site_build.end()
            gate.reset()  # (a run that ended on another exception left some)

    instance.run = run_as_build


def called_by_autoreload() -> bool:
    """Whether Pelican's autoreload loop runs this build (looked for up the
    stack: another plugin may wrap ``run`` around this one's)."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code is pelican.autoreload.__code__:
            return True
        frame = frame.f_back
    return False


def empty_output_on_writing(instance) -> None:
    """Pelican empties the output folder (``DELETE_OUTPUT_DIRECTORY``,
    ``--delete-output-directory``) before it reads a post, so a build that
    failed left no site at all: it is emptied once nothing has failed,
    right before the first page is written."""
    global emptied_later
    emptied_later = instance if instance.delete_outputdir else None
    instance.delete_outputdir = False


def empty_output(instance) -> None:
    """What Pelican does at the start of its run, with its own safeguard:
    never the folder that holds the content."""
    output, content = (
        os.path.realpath(instance.output_path),
        os.path.realpath(instance.path),
    )
    if os.path.commonpath([output]) != os.path.commonpath([output, content]):
        utils.clean_output_dir(instance.output_path, instance.output_retention)


def executable(reader_class: type) -> type:
    """A Markdown reader class that adds the extension for the file it reads."""

    class ExecutableReader(reader_class):
        def read(self, source_path):
            if build is None or skipped_this_run(self.settings, source_path):
                return super().read(source_path)
            original = self.settings
            markdown = dict(original["MARKDOWN"])
            markdown["extensions"] = [
                *markdown.get("extensions", []),
                build.extension(source_path),
            ]
            self.settings = {**original, "MARKDOWN": markdown}
            try:
                return super().read(source_path)
            finally:
                self.settings = original

    ExecutableReader.__name__ = ExecutableReader.__qualname__ = reader_class.__name__
    return ExecutableReader


def wrap_readers(readers) -> None:
    """``readers_init``: Markdown readers run the posts' code, and every
    reader names the file and line of what it cannot read. One receiver
    wraps both, strict outermost, so the order never depends on PLUGINS."""
    classes = readers.reader_classes
    for extension, reader_class in classes.items():
        if not reader_class:
            continue
        if extension in MARKDOWN_EXTENSIONS:
            reader_class = executable(reader_class)
        classes[extension] = strict(reader_class)


def discover(generator) -> None:
    """``article_generator_init``, ``page_generator_init``: start the
    sessions of the files the generator will read, found as it finds them
    (its paths, excludes and ``IGNORE_FILES``): a Markdown file Pelican does
    not read as a post or page (``ARTICLE_EXCLUDES``, a folder of
    ``STATIC_PATHS``) had its blocks run at every build; so did one it
    skips (``skipped``), and a failing one failed the site."""
    if build is None:
        return
    kind = "ARTICLE" if isinstance(generator, generators.ArticlesGenerator) else "PAGE"
    found = generator.get_files(
        generator.settings[f"{kind}_PATHS"],
        exclude=generator.settings[f"{kind}_EXCLUDES"],
    )
    paths = (os.path.join(generator.path, name) for name in found)
    build.discover(
        path for path in paths if not skipped_this_run(generator.settings, path)
    )


# Whether each Markdown file is skipped (``skipped``), this run: discover asks
# first, the reader again as it reads the file.
skip_status: dict[str, bool] = {}


def skipped_this_run(settings: dict, path: str) -> bool:
    key = os.path.abspath(path)
    if key not in skip_status:
        skip_status[key] = skipped(settings, path)
    return skip_status[key]


def skipped(settings: dict, path: str) -> bool:
    """Whether Pelican reads the Markdown file at ``path`` only to skip it
    (``Status: skip``, "don't process this file": it writes nothing of
    it): its blocks are neither run nor reported. Its status is taken as
    Pelican's ``read_file`` takes it: the file's header (``Key: value``
    lines up to the first blank one, read by Markdown's ``meta``) over
    ``FILENAME_METADATA`` and ``PATH_METADATA``, over
    ``EXTRA_PATH_METADATA``, over ``DEFAULT_METADATA``; an empty one
    counts for nothing. (A plugin may still change it on
    ``article_generator_context``, once the file is read.)"""
    if not path.endswith(MARKDOWN_SUFFIXES):
        return False
    written = str(header_metadata(path).get("status", [""])[0]).strip()  # (the first)
    if written:  # (the header's wins: the settings' are not looked at)
        return written == "skip"
    source = utils.posixize_path(os.path.relpath(path, settings["PATH"]))
    found = [
        dict(settings.get("DEFAULT_METADATA") or {}).get("status"),
        readers.path_metadata(path, source, settings).get("status"),
        readers.parse_path_metadata(source, settings).get("status"),
    ]
    given = [str(value).strip() for value in found if str(value or "").strip()]
    return given[-1:] == ["skip"]


MARKDOWN_SUFFIXES = tuple(f".{suffix}" for suffix in MARKDOWN_EXTENSIONS)


def header_metadata(path: str) -> dict[str, list[str]]:
    """The metadata of a Markdown file's header (keys in lower case), as
    Pelican's Markdown reader finds it; none if the file cannot be read
    (its reader reports it)."""
    try:
        with open(path, encoding="utf-8-sig") as file:
            text = file.read()
    except (OSError, UnicodeDecodeError):
        return {}
    head = text.replace("\r\n", "\n").split("\n\n", 1)[0]
    if not STATUS_LINE.search(head):  # (most posts: no Markdown made, ~1 ms)
        return {}
    markdown = meta_reader()
    markdown.reset()
    lines = text.split("\n")
    for name in ("normalize_whitespace", "meta"):
        lines = markdown.preprocessors[name].run(lines)
    return markdown.Meta


@functools.cache
def meta_reader() -> Markdown:
    """One Markdown with the ``meta`` extension for every header read (made
    once: ~1 ms each), ``reset`` before each."""
    return Markdown(extensions=["meta"])


STATUS_LINE = re.compile(r"(?im)^[ \t]*status[ \t]*:")


def track(content) -> None:
    content_paths.track(content)
    if build is not None:
        build.track(content)


def check_copied(generator) -> None:
    """``page_generator_finalized``: every post and page is read, and no
    static file is gathered yet (the static generator runs last)."""
    roots = build.link_roots if build is not None else None
    refuse = build is not None and build.refuse_links
    content_paths.check_copied(
        generator.context, generator.path, shown(generator.path), roots, refuse
    )


def finish(generators) -> None:
    settings, context = generators[0].settings, generators[0].context
    listings = listing_pages(settings, context)
    content_paths.check_written(
        reserved_pages(settings, context, listings),
        paginated_pages(settings, listings),
    )
    writers = [g for g in generators if hasattr(g, "get_template")]
    if writers:  # (Pelican's generators all have it)
        content_paths.check_templates(writers[0].get_template)
    if build is not None:
        build.finish()
    content_paths.check_summaries()  # (the posts' blocks filled in)


def raster_url(url: str) -> str | None:
    """For other plugins: a PNG of the SVG figure at ``url``, if this build
    drew it (a sharing plugin's ``og:image``). Call it before the pages are
    written (by ``all_generators_finalized``)."""
    return build.raster_url(url) if build is not None else None


def before_writing(instance) -> None:
    """``get_writer``, sent once every generator is finalized and right
    before the first page is written: stop if anything failed, else write
    the figures, which go out with the pages."""
    gate.before_writing()
    if emptied_later is instance:
        empty_output(instance)
    if build is not None:
        build.write_files(instance.output_path)


def register() -> None:
    readable_records()
    gate.open()
    signals.initialized.connect(start)
    signals.readers_init.connect(wrap_readers)
    signals.article_generator_init.connect(discover)
    signals.page_generator_init.connect(discover)
    signals.content_object_init.connect(track)
    signals.page_generator_finalized.connect(check_copied)
    signals.all_generators_finalized.connect(finish)
    signals.get_writer.connect(before_writing)
