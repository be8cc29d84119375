"""Production settings: `invoke preview` and `invoke publish` build with these.

The site's public address comes from the SITEURL environment variable,
e.g. ``SITEURL=https://blog.example.org invoke preview``.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pelicanconf import *  # noqa: E402,F403

SITEURL = os.environ.get("SITEURL", "").rstrip("/")
if not SITEURL.startswith(("http://", "https://")):
    raise SystemExit(
        "publishconf.py: set SITEURL to the site's public address, "
        "e.g. SITEURL=https://blog.example.org"
    )
ABSOLUTE_SITEURL = FEED_DOMAIN = SITEURL
ROBOTS_TXT = True  # with a Sitemap: line; development builds write none
# The deployed chat server, e.g. CHAT_URL=wss://chat.example.org/
CHAT_URL = os.environ.get("CHAT_URL", "wss://" + SITEURL.split("://", 1)[1] + "/chat/")
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
