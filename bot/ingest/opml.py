"""Source lists as OPML 2.0: the feeds of an OPML file (folders flattened), and the feed
sources written back as OPML (OPML lists feeds: the other kinds are left out, and named);
entity declarations are refused. No DB, no network."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn
from xml.parsers import expat

from bot.ingest.sourcespec import (
    NASHRA_NAMESPACE,
    XML_ILLEGAL,
    Entry,
    SourceListError,
    SourceSpec,
    finish,
)


class _RefusedXml(Exception):
    """The document uses an XML feature that is refused (entity declarations)."""


class _OpmlReader:
    """expat callbacks that collect the feed outlines of an OPML body, folders flattened."""

    def __init__(self, parser: expat.XMLParserType, source: str) -> None:
        self.parser = parser
        self.source = source
        self.elements: list[str] = []
        self.folders: list[str | None] = []  # per open outline: its title if it is a folder
        self.entries: list[Entry] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if not self.elements and name != "opml":
            raise _RefusedXml(f"is not OPML: its root element is <{name}>, not <opml>")
        self.elements.append(name)
        if name != "outline" or "body" not in self.elements:
            return
        attrs = {key.lower(): value for key, value in attributes.items()}
        url = attrs.get("xmlurl", "").strip()
        title = attrs.get("title", "").strip() or attrs.get("text", "").strip()
        self.folders.append(None if url else title or None)
        if url:
            values: dict[str, object] = {
                "url": url,
                "name": title,
                "language": attrs.get("language"),
                "category": _opml_category(attrs.get("category", "")) or self._folder(),
                "interval": attrs.get("nashra:interval", attrs.get("interval")),
            }
            where = f"line {self.parser.CurrentLineNumber}"
            self.entries.append(Entry(self.source, where, values))

    def end(self, name: str) -> None:
        self.elements.pop()
        if name == "outline" and "body" in self.elements:
            self.folders.pop()

    def _folder(self) -> str | None:
        return next((title for title in reversed(self.folders) if title), None)

    def refuse_entity(self, name: str, *_: object) -> NoReturn:
        line = self.parser.CurrentLineNumber
        raise _RefusedXml(f"line {line}: declares entity {name!r}; entities are not allowed")

    def refuse_external(self, *_: object) -> NoReturn:
        raise _RefusedXml("refers to an external entity; entities are not allowed")


def _opml_category(value: str) -> str | None:
    """The last path segment of the first category in an OPML 2.0 category attribute."""
    first = value.split(",")[0]
    segments = [segment.strip() for segment in first.split("/") if segment.strip()]
    return segments[-1] if segments else None


def read_opml(data: bytes, *, source: str = "<opml>") -> list[SourceSpec]:
    """The feeds of an OPML 1.0/2.0 document; `source` names it in error messages.

    Entity declarations are refused (no billion laughs, no external entities); folders are
    flattened and the nearest folder's title is the category of a feed that names none.
    """
    parser = expat.ParserCreate()
    reader = _OpmlReader(parser, source)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.EntityDeclHandler = reader.refuse_entity
    parser.UnparsedEntityDeclHandler = reader.refuse_entity
    parser.ExternalEntityRefHandler = reader.refuse_external
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise SourceListError(
            [f"{source}: line {exc.lineno}: is not well-formed XML ({reason})"]
        ) from None
    except _RefusedXml as exc:
        raise SourceListError([f"{source}: {exc}"]) from None
    return finish(reader.entries, [], source)


@dataclass(frozen=True, slots=True)
class OpmlExport:
    """An OPML document of the feeds, and the sources it could not carry (other kinds)."""

    document: bytes
    feeds: tuple[SourceSpec, ...]
    left_out: tuple[SourceSpec, ...]


def export_opml(specs: Sequence[SourceSpec], *, title: str = "Nashra sources") -> OpmlExport:
    """The feeds among `specs` as OPML; Telegram channels, sitemaps and section pages are
    left out (OPML readers would take them for feeds), and listed in `left_out`."""
    feeds = tuple(spec for spec in specs if spec.kind in (None, "feed"))
    left_out = tuple(spec for spec in specs if spec.kind not in (None, "feed"))
    return OpmlExport(write_opml(feeds, title=title), feeds, left_out)


def write_opml(specs: Sequence[SourceSpec], *, title: str = "Nashra sources") -> bytes:
    """An OPML 2.0 document (UTF-8) of `specs` (feeds) that `read_opml` reads back as the
    same specs.

    SourceListError if a spec holds what OPML cannot carry (control characters, or a
    category with '/' or ',', which OPML reads as a path or a list).
    """
    problems = [problem for spec in specs for problem in _unwritable(spec)]
    if problems:
        raise SourceListError(problems)
    root = ET.Element("opml", {"version": "2.0", "xmlns:nashra": NASHRA_NAMESPACE})
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for spec in specs:
        ET.SubElement(body, "outline", _outline_attributes(spec))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _unwritable(spec: SourceSpec) -> list[str]:
    problems = [
        f"{spec.url!r}: {key} contains characters XML cannot hold"
        for key, value in (
            ("url", spec.url),
            ("name", spec.name),
            ("language", spec.language),
            ("category", spec.category),
        )
        if value is not None and XML_ILLEGAL.search(value)
    ]
    if spec.category is not None and ("/" in spec.category or "," in spec.category):
        problems.append(f"{spec.url!r}: category {spec.category!r} contains '/' or ','")
    return problems


def _outline_attributes(spec: SourceSpec) -> dict[str, str]:
    # OPML requires "text"; an unnamed source gets an empty one so that it reads back unnamed.
    attributes = {"text": spec.name or "", "type": "rss", "xmlUrl": spec.url}
    if spec.name:
        attributes["title"] = spec.name
    if spec.language:
        attributes["language"] = spec.language
    if spec.category:
        attributes["category"] = spec.category
    if spec.interval_seconds is not None:
        attributes["nashra:interval"] = str(spec.interval_seconds)
    return attributes
