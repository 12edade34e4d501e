"""Small value conversions shared by the feed mappers in parse_xml and parse_json."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.ingest.entry import Enclosure

_SRC_ATTR = re.compile(r"""\ssrc\s*=\s*(["'])([^"'<>]+)\1""", re.IGNORECASE)
_IMG_SCAN_CHARS = 20_000
_IMG_TAG_CHARS = 2_000
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def text_html(text: str) -> str:
    """Plain text as HTML that the pipeline's markup removal turns back into the same text:
    escaped, paragraphs (split by blank lines) as <p>, line breaks as <br>."""
    paragraphs = [part for part in text.split("\n\n") if part.strip()]
    return "".join(
        "<p>" + "<br>".join(html.escape(line, quote=False) for line in part.split("\n")) + "</p>"
        for part in paragraphs
    )


def optional(value: Any) -> str | None:
    """A non-blank string, stripped, or None."""
    if isinstance(value, str):
        return value.strip() or None
    return None


def display_name(value: Any) -> str | None:
    """An author as a name: "jo@example.com (Jo Doe)" and "Jo Doe <jo@...>" give "Jo Doe".

    feedparser splits an author into name and email the same way; a bare address stays.
    """
    raw = optional(value)
    if raw is None or "@" not in raw:
        return raw
    name, _ = parseaddr(raw)
    return name.strip() or raw


def absolute(href: str | None, base: str | None) -> str | None:
    """`href` resolved against the document's URL (urljoin is slow: skip absolute ones)."""
    if href is None or base is None or href.startswith(("https://", "http://")):
        return href
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def length(value: Any) -> int | None:
    """A byte length as feeds write it ("12345", 12345); None when absent or not a count."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def utc_from_struct(value: Any) -> datetime | None:
    """feedparser's *_parsed (a UTC struct_time) as an aware datetime."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return None


def utc_from_text(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 or RFC 822 timestamp as an aware UTC datetime.

    A timestamp without a zone is taken as UTC, as feedparser does.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    stamp = _parse_stamp(value.strip())
    if stamp is None:
        return None
    try:
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _parse_stamp(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def first_img_src(*fragments: str) -> str | None:
    """The src of the first <img> in the leading part of some HTML, entities decoded."""
    for fragment in fragments:
        start = _first_img_tag(fragment)
        if start < 0:
            continue
        end = fragment.find(">", start, start + _IMG_TAG_CHARS)
        src = _src_attribute(fragment[start : end if end > 0 else start + _IMG_TAG_CHARS])
        if src:
            return html.unescape(src).strip() or None
    return None


def _src_attribute(tag: str) -> str | None:
    at = tag.find(" src=")  # the usual spelling, found without a regex scan
    if at >= 0 and tag[at + 5 : at + 6] in ('"', "'"):
        end = tag.find(tag[at + 5], at + 6)
        if end > 0:
            return tag[at + 6 : end]
    match = _SRC_ATTR.search(tag)
    return match.group(2) if match else None


def _first_img_tag(fragment: str) -> int:
    """Where the first "<img" or "<IMG" starts (str.find is far faster than a regex scan)."""
    lower = fragment.find("<img", 0, _IMG_SCAN_CHARS)
    upper = fragment.find("<IMG", 0, _IMG_SCAN_CHARS)
    return lower if upper < 0 or 0 <= lower < upper else upper


def image_enclosure(enclosures: Iterable[Enclosure]) -> str | None:
    for enclosure in enclosures:
        if (enclosure.type or "").startswith("image/"):
            return enclosure.url
    return None


def is_image_media(media: Mapping[str, Any]) -> bool:
    """A media:content that is a picture: by medium, MIME type, or (neither given) file name."""
    medium, mime = media.get("medium"), text(media.get("type"))
    if medium or mime:
        return medium == "image" or mime.startswith("image/")
    path = urlsplit(text(media.get("url"))).path.lower()
    return path.endswith(_IMAGE_SUFFIXES)
