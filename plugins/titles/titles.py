"""Jinja filters that print a post's or page's title as what it is."""

from html.parser import HTMLParser

from markupsafe import Markup, escape

from pelican import signals

# Markup a title may keep: inline text semantics, and typogrify's classes
# on spans. Any other element is dropped and its text kept, but for those
# never read as text (script, style and the like), dropped whole.
KEPT_TAGS = frozenset(
    [
        "abbr",
        "b",
        "bdi",
        "bdo",
        "cite",
        "code",
        "del",
        "dfn",
        "em",
        "i",
        "ins",
        "kbd",
        "mark",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "time",
        "tt",
        "u",
        "var",
    ]
)
KEPT_ATTRIBUTES = {"abbr": {"title"}, "span": {"class"}, "bdo": {"dir"}}
UNREAD_TAGS = frozenset({"script", "style", "template", "textarea", "title"})


def is_html(content) -> bool:
    """Whether Pelican read ``content``'s title as HTML: every reader but
    Markdown's makes it so, as typogrify does to every title."""
    reader = getattr(content, "reader", "markdown")
    return reader != "markdown" or bool(content.settings.get("TYPOGRIFY"))


class _Phrasing(HTMLParser):
    """The text of an HTML fragment, and that text with its kept markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.markup: list[str] = []
        self.text: list[str] = []
        self.open: list[str] = []
        self.unread = 0

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD_TAGS:
            self.unread += 1
        elif tag in KEPT_TAGS and not self.unread:
            tag = "code" if tag == "tt" else tag  # (docutils' old inline literal)
            kept = KEPT_ATTRIBUTES.get(tag, ())
            shown = "".join(
                f' {name}="{escape(value)}"'
                for name, value in attrs
                if name in kept and value is not None
            )
            self.markup.append(f"<{tag}{shown}>")
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # (a void element: <br/>, <img/>)

    def handle_endtag(self, tag):
        if tag in UNREAD_TAGS:
            self.unread = max(0, self.unread - 1)
            return
        tag = "code" if tag == "tt" else tag
        if tag in self.open:
            while self.open:
                closed = self.open.pop()
                self.markup.append(f"</{closed}>")
                if closed == tag:
                    break

    def handle_data(self, data):
        if not self.unread:
            self.text.append(data)
            self.markup.append(str(escape(data)))

    def read(self, fragment: str) -> "_Phrasing":
        self.feed(fragment)
        self.close()
        self.markup.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()
        return self


def phrasing_markup(fragment: str) -> Markup:
    """``fragment`` with only phrasing markup kept, every attribute but a
    span's class and an abbreviation's title dropped."""
    return Markup("".join(_Phrasing().read(fragment).markup))


def title_html(content) -> Markup:
    """``content``'s title for an HTML element's content."""
    if is_html(content):
        return phrasing_markup(content.title)
    return escape(content.title)


def title_text(content) -> str:
    """``content``'s title as plain text, for ``<title>`` and attributes
    (which the template escapes)."""
    if is_html(content):
        return "".join(_Phrasing().read(content.title).text)
    return content.title


def add_filters(generator) -> None:
    generator.env.filters["title_html"] = title_html
    generator.env.filters["title_text"] = title_text


def register():
    signals.generator_init.connect(add_filters)
