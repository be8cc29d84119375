"""Sharing: what a page tells search engines, social sites and feed readers
about itself, with absolute URLs.

- every post's and page's ``share_image`` (its first figure, in a format
  social sites show: an SVG figure shares the PNG ``executable_posts`` drew
  of it), for the theme's ``_sharing.html``, which also writes each page's
  canonical URL (``ABSOLUTE_SITEURL`` + the page's path) and Open Graph and
  Twitter card metadata;
- ``sitemap.xml`` of every page written but the 404 page, and, when
  ``ROBOTS_TXT`` is true (production), ``robots.txt`` naming it;
- feeds with absolute links and ids (tag: URIs on the site's own host; RSS
  says its guid is no permalink), every link of an entry's content made
  absolute against the post's address, and a line in the entries of posts
  whose date is approximate (templates ask ``article is approximate_date``,
  the same rule).

It needs the ``executable_posts`` plugin's package installed (a post's
summary is made by its ``summaries``, as the post's page makes it).

Settings: ``ABSOLUTE_SITEURL``, the site's absolute address (the
development server's in development), which an absolute ``SITEURL``
overrides (production) and ``FEED_DOMAIN`` stands in for, and which the
feeds take as their ``FEED_DOMAIN`` unless another is set; ``ROBOTS_TXT``;
``SITEMAP_EXCLUDE``, output files (relative paths) left out of the sitemap
(``["404.html"]``).
"""

from .feeds import approximate
from .links import absolute_links
from .sharing import register
from .urls import absolute_siteurl, page_url

__all__ = [
    "absolute_links",
    "absolute_siteurl",
    "approximate",
    "page_url",
    "register",
]
