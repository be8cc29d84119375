"""Titles as their reader made them: a reStructuredText or HTML post's
title, and any title typogrify has been through, is HTML; a Markdown
post's is text. The theme prints ``content|title_html`` and
``content|title_text`` (in ``<title>`` and attributes), so that neither an
entity is shown escaped twice nor a stranger's markup reaches a page: HTML
titles keep phrasing markup only."""

from .titles import phrasing_markup, register, title_html, title_text

__all__ = ["phrasing_markup", "register", "title_html", "title_text"]
