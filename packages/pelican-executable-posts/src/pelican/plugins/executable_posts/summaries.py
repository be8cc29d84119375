"""A post's summary without what the engine says around its blocks.

Pelican makes a summary from a post's first words, and a theme shows it on
every list of posts and makes the page's meta description of it: a post
that begins with a block had the block's labels ("Output"), its verdict
("Checked at build time: ...") and its id there, the id once on each list
for each post that shows one. The summary is made as Pelican makes it, from
the post's HTML with those taken out first, so the words it keeps are the
post's own (the code, its output, its figures)."""

from functools import lru_cache

from executable_blocks.render import without_chrome
from pelican import utils


# (a post is on several lists, each asking for its summary: made once a
# post and address, as Pelican memoises its own; bounded for autoreload)
@lru_cache(maxsize=8192)
def summary(post, siteurl: str) -> str:
    """``post``'s summary, its links made on ``siteurl``, as Pelican's
    ``Content.get_summary`` makes it on the page's own address (from its
    first paragraphs: not a ``Summary:`` of its metadata), but for the
    blocks' labels, notes, verdicts and ids."""
    text = without_chrome(post.get_content(siteurl))
    settings = post.settings
    if settings.get("SUMMARY_MAX_PARAGRAPHS") is not None:
        text = utils.truncate_html_paragraphs(text, settings["SUMMARY_MAX_PARAGRAPHS"])
    if settings.get("SUMMARY_MAX_LENGTH") is not None:
        text = utils.truncate_html_words(
            text, settings["SUMMARY_MAX_LENGTH"], settings["SUMMARY_END_SUFFIX"]
        )
    strip = getattr(utils, "strip_toc_elements_from_html", None)  # (Pelican 4.11+)
    return strip(text) if strip else text


def leave_blocks_chrome_out(post) -> None:
    """Make ``post``'s summary (Pelican's ``summary`` property asks
    ``get_summary`` for it, which reads the content on the page's own
    address) without its blocks' chrome. One of its metadata is the
    author's, shown as it is: looked for when the summary is asked for, as
    Pelican looks (a plugin may set it later, the ``summary`` plugin's
    marker on ``all_generators_finalized``)."""

    def get_summary(_siteurl: str) -> str:
        if "summary" in post.metadata:
            return post.metadata["summary"]
        return summary(post, post.get_siteurl())

    post.get_summary = get_summary
