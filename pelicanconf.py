"""Development settings: `invoke build` and the tests build with these."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent

AUTHOR = "David"
SITENAME = "Null Disquisition"
SITESUBTITLE = "Lots of talk about nothing"
SITEURL = ""

PATH = "content"
ARTICLE_PATHS = ["posts"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = []
OUTPUT_PATH = "output"
THEME = "theme"

TIMEZONE = "America/New_York"
DEFAULT_LANG = "en"
DEFAULT_DATE_FORMAT = "%B %-d, %Y"
DEFAULT_CATEGORY = "Misc"
USE_FOLDER_AS_CATEGORY = False  # (else a post without one is filed under "posts")

# Templates escape every value they print: slugs, tags and the rest of a
# post's metadata are text, whoever wrote the post. Only HTML the build made
# is printed as it is, marked |safe where the theme prints it: the rendered
# content and summary of posts and pages. Titles go through plugins/titles:
# a Markdown post's is text; a reStructuredText or HTML post's (and any that
# typogrify went through) is HTML, of which only phrasing markup is kept.
# Pelican adds its own defaults (trim_blocks, lstrip_blocks, extensions).
JINJA_ENVIRONMENT = {"autoescape": True}

PLUGIN_PATHS = ["plugins"]
PLUGINS = [
    # runs the posts' code, and fails the build on any error logged (its
    # own package, packages/pelican-executable-posts, installed like any
    # namespace plugin; its place in this list does not matter)
    "executable_posts",
    "mathml",
    "pygments_stylesheet",
    "sharing",  # a post's image is its first figure (a PNG executable_posts drew)
    "pagefind_search",
    "positions_check",
    "code_regions",
    "titles",  # the theme's title_html and title_text filters
]

# Executable posts (packages/pelican-executable-posts). EXEC_CACHE and EXEC_REPORT
# can also be given as environment variables of the same name.
EXEC_CACHE = str(ROOT / ".cache" / "execution")  # or s3://bucket/prefix
EXEC_STATE_DIR = str(ROOT / ".cache")  # cache key pair; the index of an S3 cache
EXEC_REPORT = str(ROOT / "reports" / "execution.json")
EXEC_LOCKFILE = str(ROOT / "uv.lock")
EXEC_TIMEOUT = 60
# posts show and run the libraries
EXEC_INCLUDE_DIRS = [
    str(ROOT / "src"),
    str(ROOT / "packages" / "signed-pickle" / "src"),
    str(ROOT / "packages" / "cloudcached" / "src"),
]
EXEC_FIGURES_DIR = "figures"

# Pygments styles for code, light and dark (the stylesheet is generated).
PYGMENTS_STYLE = "vs"
PYGMENTS_STYLE_DARK = "github-dark"

# Ids the theme's templates give elements of every page (the main landmark,
# the search box) or of the search and chat pages: a heading of a post
# ("## Content") must not take one, or the page holds it twice.
THEME_IDS = {"content", "site-search-q", "search", "chat"}


def heading_id(value: str, separator: str) -> str:
    """The toc extension's id for a heading, kept clear of the theme's."""
    from markdown.extensions.toc import slugify

    slug = slugify(value, separator)
    taken = slug in THEME_IDS or slug.startswith("chat-")
    taken = taken or re.fullmatch(r"exec-\d+", slug) is not None  # (a block's)
    return f"{slug}{separator}1" if taken else slug


MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.codehilite": {
            "css_class": "highlight",
            "guess_lang": False,
        },
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.toc": {
            "permalink": "¶",
            "permalink_title": "Link to this section",
            "slugify": heading_id,
        },
    },
    "output_format": "html5",
}

# Pretty URLs: every page is a directory with an index.html.
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = ARTICLE_URL + "index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = PAGE_URL + "index.html"
# A translation (Lang: fr, the same slug) beside its original: x-fr/.
ARTICLE_LANG_URL = "{date:%Y}/{date:%m}/{slug}-{lang}/"
ARTICLE_LANG_SAVE_AS = ARTICLE_LANG_URL + "index.html"
PAGE_LANG_URL = "{slug}-{lang}/"
PAGE_LANG_SAVE_AS = PAGE_LANG_URL + "index.html"
TAG_URL = "tag/{slug}/"
TAG_SAVE_AS = TAG_URL + "index.html"
CATEGORY_URL = "category/{slug}/"
CATEGORY_SAVE_AS = CATEGORY_URL + "index.html"
AUTHOR_URL = "author/{slug}/"
AUTHOR_SAVE_AS = AUTHOR_URL + "index.html"
ARCHIVES_URL = "archives/"
ARCHIVES_SAVE_AS = ARCHIVES_URL + "index.html"
TAGS_URL = "tags/"
TAGS_SAVE_AS = TAGS_URL + "index.html"
CATEGORIES_URL = "categories/"
CATEGORIES_SAVE_AS = CATEGORIES_URL + "index.html"
AUTHORS_URL = "authors/"
AUTHORS_SAVE_AS = AUTHORS_URL + "index.html"

# The search page, added to DIRECT_TEMPLATES by pagefind_search while
# PAGEFIND is on (a build without the index has no search page).
SEARCH_URL = "search/"
SEARCH_SAVE_AS = SEARCH_URL + "index.html"
INDEX_URL = ""
INDEX_SAVE_AS = "index.html"

DIRECT_TEMPLATES = ["index", "tags", "categories", "authors", "archives", "404"]
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None, "author": None}
DEFAULT_PAGINATION = 5
PAGINATION_PATTERNS = [
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/page/{number}/", "{base_name}/page/{number}/index.html"),
]
SUMMARY_MAX_PARAGRAPHS = 1
SUMMARY_MAX_LENGTH = 80

# The site's absolute address, for canonical links, Open Graph, the sitemap
# and the feeds (plugins/sharing): the development server's here, SITEURL in
# production. robots.txt is written in production only.
ABSOLUTE_SITEURL = "http://localhost:8000"
ROBOTS_TXT = False
SITEMAP_EXCLUDE = ["404.html"]

# Feeds, with absolute links and ids on the site's absolute address (the
# sharing plugin moves FEED_DOMAIN with it when SITEURL is absolute).
FEED_DOMAIN = ABSOLUTE_SITEURL
FEED_ALL_ATOM = "feeds/all.atom.xml"
FEED_ALL_RSS = "feeds/all.rss.xml"
CATEGORY_FEED_ATOM = "feeds/category/{slug}.atom.xml"
TAG_FEED_ATOM = "feeds/tag/{slug}.atom.xml"
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# Where the chat page's script finds the chat server (invoke demo runs one).
CHAT_URL = "ws://localhost:8765/"

# Outbound links in posts may go only to these hosts; nothing is ever
# loaded from another host.
EXTERNAL_LINK_HOSTS = ["docs.python.org", "gist.github.com", "github.com"]
EXTERNAL_RESOURCE_HOSTS: list[str] = []
POSITIONS_REPORT = str(ROOT / "reports" / "positions.json")

# Site search (plugins/pagefind_search): Pagefind indexes the written output
# into output/pagefind/ with the binary of the pagefind_bin package; the
# search page and the header box use it, offline. False: no index, no page.
PAGEFIND = True
# Not indexed: the engine's labels and verdicts (the same words on every
# post) and the headings' permalink signs.
PAGEFIND_EXCLUDE_SELECTORS = [
    ".exec-label",
    ".exec-verdict",
    ".exec-note",
    ".headerlink",
]

# Pelican's content cache is off: a stale cache must never hide an edit.
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
