"""A post's HTML shown on another page than its own (a list of posts, a
feed entry), each of its links leading where it did on the post's page.

Pelican makes the links it writes (``{filename}``, ``{static}``...) for the
page that shows the text: relative to that page with ``RELATIVE_URLS``,
else on ``SITEURL``. A link the author wrote relative to the post
(``[b](../post-b/)``) is copied as it is, and in the written HTML the two
cannot be told apart: ``../post-b/`` on the home page may be either. So the
text is made again with a marker for the site's address: a link that
starts with it is Pelican's, any other relative one is the author's, and
each is resolved where it belongs. Pelican's summary is made again with its
own functions, and the text made again is used only when it is, but for
the marker, what Pelican showed (else the caller does as before)."""

from pelican import utils

from .links import absolute_links

# The site's address in the text made again: a host that cannot exist
# (RFC 2606), so that no link of the author's is taken for Pelican's.
MARKER = "https://site-address.invalid"


def summary(post, siteurl: str) -> str:
    """``post``'s summary with Pelican's links made on ``siteurl``, as
    Pelican's ``Content.get_summary`` makes it on the page's own address."""
    if "summary" in post.metadata:
        return post.metadata["summary"]
    text = post.get_content(siteurl)
    settings = post.settings
    if settings.get("SUMMARY_MAX_PARAGRAPHS") is not None:
        text = utils.truncate_html_paragraphs(text, settings["SUMMARY_MAX_PARAGRAPHS"])
    if settings.get("SUMMARY_MAX_LENGTH") is not None:
        text = utils.truncate_html_words(
            text, settings["SUMMARY_MAX_LENGTH"], settings["SUMMARY_END_SUFFIX"]
        )
    strip = getattr(utils, "strip_toc_elements_from_html", None)  # (Pelican 4.11+)
    return strip(text) if strip else text


def marked(post, shown: str, siteurl: str) -> str | None:
    """``shown``, ``post``'s content or summary as Pelican made it (on
    ``siteurl``, or the page's own address), made again on ``MARKER``;
    None if it is neither as far as can be told."""
    if shown == post.get_content(siteurl):
        return post.get_content(MARKER)
    if shown == summary(post, post.get_siteurl()):
        return summary(post, MARKER)
    return None


def rebased(text: str, post_url: str, siteurl: str, without_ids: bool = False) -> str:
    """``text``, made on ``MARKER``, with every relative link resolved
    against the post's URL (``post_url``, relative to the site), and then
    every link into the site made on ``siteurl`` (absolute, root-relative
    ``""`` or relative to the showing page: ``..``)."""
    text = absolute_links(text, f"{MARKER}/{post_url}", without_ids=without_ids)
    return text.replace(MARKER + "/", siteurl.rstrip("/") + "/")
