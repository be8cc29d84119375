"""The plugin's two moments: adding the search page when a build starts,
indexing the output when it is written."""

import logging
from pathlib import Path

from executable_blocks.paths import shown

from .indexer import IndexFailed, index_site

logger = logging.getLogger(__name__)


def enabled(settings) -> bool:
    return bool(settings.get("PAGEFIND", True))


def add_search_page(pelican) -> None:
    """List ``search`` among the direct templates while search is on, so that
    a build without an index (plugin off or left out) has no search page and
    no header box pointing at one (base.html tests for it)."""
    settings = pelican.settings
    templates = [t for t in settings.get("DIRECT_TEMPLATES", []) if t != "search"]
    if enabled(settings):
        templates.append("search")
        settings.setdefault("SEARCH_SAVE_AS", "search/index.html")
        settings.setdefault("SEARCH_URL", "search/")
    settings["DIRECT_TEMPLATES"] = templates


def index_written_site(pelican) -> None:
    """Index the written output, once per build (positions_check asks for
    it first when it runs first); a failure is logged as an error, which
    fails the build (executable_posts' error gate)."""
    if getattr(pelican, "pagefind_indexed", False):
        return
    pelican.pagefind_indexed = True
    settings = pelican.settings
    if not enabled(settings):
        logger.info("pagefind: off (PAGEFIND = False); no search index")
        return
    output = Path(pelican.output_path).resolve()
    try:
        run = index_site(
            output,
            settings.get("PAGEFIND_BINARY") or None,
            list(settings.get("PAGEFIND_EXCLUDE_SELECTORS", [])),
            float(settings.get("PAGEFIND_TIMEOUT", 300)),
        )
    except IndexFailed as error:
        logger.error("pagefind: could not index %s: %s", shown(output), error)
        return
    size, files = run.size()
    logger.info(
        "pagefind: indexed %d pages of the %d HTML files it read (%d words) in "
        "%.2f s; %s: %d files, %.0f kB",
        run.pages,
        run.read,
        run.words,
        run.seconds,
        shown(run.bundle),
        files,
        size / 1000,
    )
