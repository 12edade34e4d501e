"""What a fetched body is, from its first bytes and its Content-Type: a feed, a sitemap, a
web page, or something else. Pure and cheap (no parse); the parsers decide for good."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

from bot.ingest.parse_sniff import looks_like_json, root_kind

_HEAD_BYTES: Final = 4096
_HTML_MARK: Final = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_SITEMAP_ROOT: Final = re.compile(rb"<(?:[\w.-]+:)?(?:urlset|sitemapindex)[\s>]")
_HTML_TYPES: Final = ("text/html", "application/xhtml+xml")


class PageKind(StrEnum):
    FEED = "a feed"
    SITEMAP = "a sitemap"
    HTML = "a web page"
    OTHER = "neither a feed nor a web page"


def page_kind(body: bytes, content_type: str | None = None) -> PageKind:
    """The kind of document `body` is; markup wins over a Content-Type that says otherwise."""
    head = body[:_HEAD_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if looks_like_json(head):
        return PageKind.FEED if b"jsonfeed.org" in head else PageKind.OTHER
    if not head.startswith(b"<"):
        return PageKind.OTHER
    if root_kind(head):
        return PageKind.FEED
    if _SITEMAP_ROOT.search(head):
        return PageKind.SITEMAP
    declared = (content_type or "").split(";")[0].strip().lower()
    if _HTML_MARK.search(head) or declared in _HTML_TYPES:
        return PageKind.HTML
    return PageKind.OTHER
