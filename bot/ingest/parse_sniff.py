"""Cheap looks at a feed's (UTF-8) bytes that decide which parser reads it.

Nothing here parses a feed: these are prefix checks, substring counts, one
expat pass and one regex scan, each a small fraction of a parse, that route a
document and notice when the fast parser silently lost or invented something.
"""

from __future__ import annotations

import functools
import re
import xml.parsers.expat

_HEAD_BYTES = 4096
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)
_ROOT = re.compile(rb"<(?![?!])(?:[\w.-]+:)?([\w.-]+)([^<>]*)>")
_RSS_VERSION = re.compile(rb"""version\s*=\s*["']\s*([\d.]+)""")
_ENTRY_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]")
_DEFAULT_NAMESPACE = re.compile(rb"\sxmlns\s*=")
# Constructs fastfeedparser reads differently from the feed's meaning: a text
# element with child elements (it keeps only the text before the first child),
# an Atom text construct of a non-text type (base64, which it does not decode),
# and XHTML bodies / <fullitem> (which it ignores).
_MISREAD_MARKUP = re.compile(
    rb"""<(?:
        (?:atom:|dc:)?(?:title|subtitle|summary|description|content|tagline|info)
            (?:\s[^<>]*)?(?<!/)>[^<]*<(?![/!])
      | (?:atom:)?(?:title|subtitle|summary|content|rights)\s[^<>]*?
            \btype\s*=\s*["'](?!(?:text|html|xhtml)["']|text/|[^"'>]*xml["'])
      | (?:xhtml:)?body[\s>]
      | fullitem[\s>]
    )""",
    re.VERBOSE,
)
_RSS_VERSIONS = {b"0.91": "rss091u", b"0.92": "rss092", b"0.93": "rss093", b"0.94": "rss094"}


def looks_like_json(body: bytes) -> bool:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")  # UTF-8 BOM and whitespace
    return head[:1] in (b"{", b"[")


def expected_entries(body: bytes) -> int:
    """How many item/entry start tags the bytes hold: an upper bound a parse should reach."""
    return len(_ENTRY_TAG.findall(body))


def _root(body: bytes) -> tuple[bytes, bytes, bytes]:
    """The root element's local name (lower-cased) and attributes, and the document head."""
    head = _COMMENT.sub(b"", body[:_HEAD_BYTES])
    match = _ROOT.search(head)
    if match is None:
        return b"", b"", head
    return match.group(1).lower(), match.group(2), head


def root_kind(body: bytes) -> str:
    """A feedparser-style version ("rss20", "atom10", "rss10", ...) from the root element."""
    name, attrs, head = _root(body)
    if name == b"rss":
        return _rss_kind(attrs, head)
    if name == b"rdf":
        return "rss090" if b"my.netscape.com/rdf/simple/0.9" in head else "rss10"
    if name in (b"feed", b"entry"):
        if b"http://www.w3.org/2005/Atom" in attrs:
            return "atom10"
        return "atom03" if b"purl.org/atom/ns#" in attrs else "atom"
    return ""


def _rss_kind(attrs: bytes, head: bytes) -> str:
    match = _RSS_VERSION.search(attrs)
    version = match.group(1) if match else b""
    if version.startswith(b"2"):
        return "rss20"
    if version == b"0.91" and b"netscape" in head.lower():
        return "rss091n"
    return _RSS_VERSIONS.get(version, "rss")


_LANGUAGE_VALUE = re.compile(rb"\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*</")


def rss_language(body: bytes) -> str | None:
    """The text of the first <language> / <dc:language> element (fastfeedparser skips it)."""
    start = 0
    while (found := body.find(b"language>", start)) != -1:
        start = found + len(b"language>")
        if body[found - 1 : found] == b"<" or body[found - 4 : found] == b"<dc:":
            match = _LANGUAGE_VALUE.match(body, start)
            return match.group(1).decode("ascii") if match else None
    return None


class DocumentMarkers:
    """Lazy looks at the document for what fastfeedparser leaves out or fills in.

    It skips the RSS <language> element. It uses the link as the id of an entry
    that has none, and derives a publication date from a guid such as "2021" or
    "10" when an entry has no date element. Counting the id and date elements in
    the bytes tells such fill-ins from the feed's own values.
    """

    _IDS = (b"<guid", b"<id>", b"<id ", b"rdf:about=")
    _DATES = (b"pubDate", b"pubdate", b"published", b"issued", b"date>", b"updated", b"modified")

    def __init__(self, body: bytes) -> None:
        self._body = body
        self._ids_for: dict[int, bool] = {}

    def has_ids_for(self, entries: int) -> bool:
        """Whether there are at least as many <guid>/<id>/rdf:about as entries."""
        if entries not in self._ids_for:
            found = 0
            for marker in self._IDS:  # most feeds stop after the first count
                found += self._body.count(marker)
                if found >= entries:
                    break
            self._ids_for[entries] = found >= entries
        return self._ids_for[entries]

    @functools.cached_property
    def has_dates(self) -> bool:
        return any(marker in self._body for marker in self._DATES)

    @property
    def language(self) -> str | None:
        return rss_language(self._body)


def feedparser_shape(body: bytes) -> str | None:
    """Why fastfeedparser would misread this (UTF-8) document, or None if it reads it well.

    Legacy dialects and the constructs in _MISREAD_MARKUP lose text or entries
    in fastfeedparser without an error, so such documents go to feedparser.
    """
    name, attrs, head = _root(body)
    if name in (b"feed", b"entry") and b"purl.org/atom/ns#" in attrs:
        return "Atom 0.3"
    if name == b"rdf" and b"my.netscape.com/rdf/simple/0.9" in head:
        return "RSS 0.90"
    if name == b"rdf" and b"content:encoded" in body:
        return "RSS 1.0 with content:encoded (fastfeedparser reads it in RSS 2.0 only)"
    if name == b"rss" and _DEFAULT_NAMESPACE.search(attrs):
        return "RSS elements in a default namespace"
    if b"<!ENTITY" in head:
        return "entities declared in the DTD"
    match = _MISREAD_MARKUP.search(body)
    if match:
        return f"markup fastfeedparser misreads: {match.group(0)[:60]!r}"
    return None


def xml_error(body: bytes) -> str | None:
    """Why the (UTF-8) document is not well-formed XML, or None if it is.

    expat checks this at C speed without building a tree. fastfeedparser reads a
    broken document through libxml2's recovery, which silently drops undefined
    entities (&eacute;), bare ampersands in URLs and text after a stray '<'. An
    entity left undefined because the DTD is external (Netscape RSS 0.91's) is
    dropped the same way, so it counts as an error here too, as does an
    undeclared namespace prefix.
    """
    parser = xml.parsers.expat.ParserCreate(encoding="utf-8", namespace_separator=" ")
    skipped: list[str] = []
    parser.SkippedEntityHandler = lambda name, _is_parameter_entity: skipped.append(name)
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as exc:
        return f"not well-formed XML: {exc}"
    if skipped:
        return f"undefined entity &{skipped[0]}; (its DTD is external)"
    return None
