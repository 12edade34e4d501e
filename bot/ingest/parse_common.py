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

_IMG_SRC = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_IMG_SCAN_CHARS = 20_000
_IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


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
        if "<img" not in fragment and "<IMG" not in fragment:
            continue
        match = _IMG_SRC.search(fragment, 0, _IMG_SCAN_CHARS)
        if match:
            return html.unescape(match.group(1)).strip() or None
    return None


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
