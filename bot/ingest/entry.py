"""The project's own normalized model of a parsed feed, whatever parser produced it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Enclosure:
    url: str
    type: str | None = None
    length: int | None = None


@dataclass(frozen=True, slots=True)
class Link:
    href: str
    rel: str = "alternate"
    type: str | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    """One item of a feed as the parser gave it: text fields may still carry markup.

    Times are timezone-aware UTC, or None when the feed gives none (or none that parses).
    `preview_url` is a page whose main text is the entry's full text (a Telegram message's
    link preview); `forwarded_from` names where a republished entry first appeared (a
    forwarded Telegram message's channel: href its post link, or "" when private).
    """

    guid: str | None = None
    link: str | None = None
    title: str = ""
    summary: str = ""
    content: str = ""
    published: datetime | None = None
    updated: datetime | None = None
    author: str | None = None
    tags: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    enclosures: tuple[Enclosure, ...] = ()
    image_url: str | None = None
    language: str | None = None
    preview_url: str | None = None
    forwarded_from: Link | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A whole feed document. `bozo` is set when the parser recovered from an error."""

    kind: str
    title: str = ""
    link: str | None = None
    language: str | None = None
    entries: tuple[ParsedEntry, ...] = ()
    bozo: bool = False
    bozo_reason: str | None = None
    parser: str = ""
    encoding: str | None = None
    extra: dict[str, str] = field(default_factory=dict)
