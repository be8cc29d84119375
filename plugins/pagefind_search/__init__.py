"""Site search with Pagefind: once the site is written, Pagefind's binary
(from the ``pagefind_bin`` package, so nothing is downloaded) indexes the
output into ``output/pagefind/``, beside its search UI, which the search page
(``search.html``) loads from the site itself.

Settings: ``PAGEFIND`` (default True; False builds no index, no search page
and no header box), ``PAGEFIND_BINARY`` (another pagefind binary),
``PAGEFIND_EXCLUDE_SELECTORS`` (parts of pages not to index),
``PAGEFIND_TIMEOUT`` (seconds, default 300).

A failed index is logged as an error, so the ``executable_posts`` plugin's
gate, which checks after every plugin's ``finalized`` work, fails the build.
"""

from pelican import signals

from .indexer import IndexFailed, PagefindRun, index_site
from .plugin import add_search_page, index_written_site

__all__ = ["IndexFailed", "PagefindRun", "index_site", "register"]


def register():
    signals.initialized.connect(add_search_page)
    # A failed index is an error, which executable_posts' gate turns into a
    # failed build once Pelican's run (every finalized receiver) is over.
    # positions_check, if it runs first, has the index made before it checks
    # the search page's links to pagefind/.
    signals.finalized.connect(index_written_site)
