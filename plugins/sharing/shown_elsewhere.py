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
own functions (as ``executable_posts`` makes a post's summary, without its
blocks' labels), and the text made again is used only when it is, but for
the marker, what Pelican showed (else the caller does as before)."""

import secrets

from pelican.plugins.executable_posts.summaries import summary

from .links import absolute_links

# The site's address in the text made again: a host that cannot exist
# (RFC 2606), named anew by each process, so that no link of the author's
# is taken for Pelican's.
MARKER = f"https://{secrets.token_hex(8)}.invalid"


def marked(post, shown: str, siteurl: str) -> str | None:
    """``shown``, ``post``'s content or summary as Pelican made it (on
    ``siteurl``, or the page's own address), made again on ``MARKER``;
    None if it is neither as far as can be told."""
    if shown == post.get_content(siteurl):
        return post.get_content(MARKER)
    if "summary" in post.metadata:  # (its links made once, on SITEURL)
        return None
    if shown == summary(post, post.get_siteurl()):
        return summary(post, MARKER)
    return None


def rebased(text: str, post_url: str, siteurl: str, without_ids: bool = False) -> str:
    """``text``, made on ``MARKER``, with every relative link resolved
    against the post's URL (``post_url``, relative to the site), and then
    every link into the site made on ``siteurl`` (absolute, root-relative
    ``""`` or relative to the showing page: ``..``)."""
    site = siteurl.rstrip("/") + "/"

    def on_site(url: str) -> str:
        marked = url.startswith(MARKER + "/")
        return site + url[len(MARKER) + 1 :] if marked else url

    base = f"{MARKER}/{post_url}"
    return absolute_links(text, base, without_ids=without_ids, then=on_site)
