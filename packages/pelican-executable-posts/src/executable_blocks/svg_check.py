"""SVG figures that can run nothing in a browser.

A figure is published as a file of the site, and an SVG opened on its own
(not through the page's ``<img>``, where scripts never run) runs its scripts
with the site's origin. The worker that saves a figure runs the post's code,
which can make any bytes its figure; so an SVG is accepted only if it holds
nothing active: no script, no event handler, no element of another markup
(XHTML's ``<script>`` runs in an SVG too) or ``<foreignObject>``, no
animation (which can set attributes), no processing instruction (an XSLT
stylesheet can write scripts), no DTD subset (its entities would be expanded
after this check), and links only to its own fragments, to embedded raster
images, or, from an ``<a>``, to web addresses, relative ones included.
Everything matplotlib writes passes.
"""

import xml.parsers.expat
from urllib.parse import urlsplit

SVG = "http://www.w3.org/2000/svg"
# The metadata matplotlib writes: RDF, with Creative Commons and Dublin Core.
METADATA = frozenset(
    {
        "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
        "http://creativecommons.org/ns#",
        "http://purl.org/dc/elements/1.1/",
    }
)
ANIMATION = frozenset({"set", "animate", "animateMotion", "animateTransform"})
EMBEDDED_IMAGES = ("data:image/png;", "data:image/jpeg;", "data:image/gif;")
LINK_SCHEMES = frozenset({"http", "https", "mailto", ""})  # "": relative


class _Found(Exception):
    """Something active, found: parsing stops there."""


def active_content(data: bytes) -> str | None:
    """What in the SVG ``data`` could run in a browser (None: nothing)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def refuse(what: str):
        raise _Found(f"{what} (line {parser.CurrentLineNumber})")

    def doctype(name, system_id, public_id, has_internal_subset):
        if has_internal_subset:
            refuse("a DTD subset")

    def instruction(target, data):
        refuse(f"a processing instruction <?{target}?>")

    def element(name, attributes):
        namespace, _, local = name.rpartition(" ")
        if namespace in METADATA:
            return
        if namespace not in (SVG, ""):  # (of no namespace: inert XML)
            refuse(f"an element of {namespace} <{local}>")
        if local in ("script", "foreignObject") or local in ANIMATION:
            refuse(f"a <{local}> element")
        for attribute, value in attributes.items():
            attribute = attribute.rpartition(" ")[2]
            if attribute.lower().startswith("on"):
                refuse(f"an event handler {attribute}= on <{local}>")
            if attribute == "href" and not linkable(local, value):
                refuse(f"a link to {value[:40]!r} on <{local}>")

    parser.StartDoctypeDeclHandler = doctype
    parser.ProcessingInstructionHandler = instruction
    parser.StartElementHandler = element
    try:
        parser.Parse(data, True)
    except _Found as found:
        return str(found)
    except xml.parsers.expat.ExpatError as error:
        return f"not well-formed XML ({error})"
    return None


def linkable(element: str, url: str) -> bool:
    """A link that opens or loads nothing active: a fragment of the SVG, an
    embedded raster image, or, from an ``<a>``, a page of the web or the
    site (a relative address)."""
    url = url.strip().lower()
    if url.startswith("#") or url.startswith(EMBEDDED_IMAGES):
        return True
    # (urlsplit drops tabs and newlines inside the scheme, as browsers do)
    return element == "a" and urlsplit(url).scheme in LINK_SCHEMES
