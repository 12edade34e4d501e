"""Feed documents (RSS 0.9x/1.0/2.0, Atom 0.3/1.0, JSON Feed) to the project's ParsedFeed.

fastfeedparser is ~25x faster than feedparser but silently loses text on broken
or unusual documents; feedparser recovers more and reads legacy encodings
right. Each document goes the cheapest way that reads it correctly:

1. JSON: the json module plus a JSON Feed key mapping (feedparser reads no JSON).
2. The bytes are brought to UTF-8: as they are when they already are (a few
   invalid bytes become U+FFFD); when nothing declares an encoding, in the one
   the bytes show (bot.ingest.charset: UTF-16 without BOM, windows-1256 or
   ISO-8859-6 for Arabic, charset-normalizer); else by feedparser's own charset
   handling (HTTP charset, XML declaration, BOM; Python codecs).
3. Shapes fastfeedparser is known to misread (Atom 0.3, RSS 0.90, markup inside
   titles, XHTML content, DTD entities...; see parse_sniff) go
   straight to feedparser.
4. Otherwise fastfeedparser parses it, and its result stands if expat finds the
   document well-formed, it has as many entries as the document has
   <item>/<entry> tags and (with media:group, as in YouTube feeds) a picture
   for each. If not, feedparser parses it too and its result is kept unless
   fastfeedparser's has more entries.
5. Text that still reads as mojibake (bot.text.mojibake) is never returned: a
   feed whose labels were wrong is read again as its bytes show, and one that
   reads wrong either way is refused with a FeedParseError saying why.
"""

from __future__ import annotations

import io
from dataclasses import replace
from email.message import Message

import fastfeedparser
import feedparser

from bot.ingest import parse_json
from bot.ingest.entry import ParsedFeed
from bot.ingest.parse_encoding import Utf8Body, cp1252_punctuation, detected, read_utf8
from bot.ingest.parse_sniff import (
    DocumentMarkers,
    expected_entries,
    feedparser_shape,
    looks_like_json,
    root_kind,
    xml_error,
)
from bot.ingest.parse_xml import from_fastfeedparser, from_feedparser
from bot.text.mojibake import mojibake

__all__ = ["FeedParseError", "MojibakeError", "parse_feed"]


class FeedParseError(Exception):
    """The document is not a feed at all (HTML page, garbage, empty)."""


class MojibakeError(FeedParseError):
    """The document's text reads as mojibake in every encoding tried: nothing of it is kept."""


def parse_feed(
    body: bytes, *, url: str | None = None, content_type: str | None = None
) -> ParsedFeed:
    """Parse a fetched feed document; `content_type` is the HTTP Content-Type header.

    Raises FeedParseError, and nothing else, when the bytes hold no feed. A feed
    read despite errors comes back with bozo=True and a bozo_reason.
    """
    if not body or body.isspace():
        raise FeedParseError("empty document")
    try:
        return _parse(body, url, content_type)
    except FeedParseError:
        raise
    except Exception as exc:  # a parser bug must not reach the poller as anything else
        raise FeedParseError(f"parser failure: {type(exc).__name__}: {exc}") from exc


def _parse(body: bytes, url: str | None, content_type: str | None) -> ParsedFeed:
    if looks_like_json(body):
        try:
            return _readable(parse_json.load(body, base=url))
        except parse_json.NotAJsonFeed as exc:
            raise FeedParseError(str(exc)) from exc
    utf8 = read_utf8(body, content_type)
    feed = _parse_xml(body, url, content_type, utf8)
    garbled = _garbled(feed)
    if garbled is None:
        return feed
    if utf8 is None or not utf8.detected:
        again = detected(body)
        if again is not None and again.encoding != feed.encoding:
            retry = _parse_xml(body, url, content_type, again)
            if _garbled(retry) is None:
                why = f"read as {again.encoding}: as {feed.encoding} it was mojibake ({garbled})"
                return replace(retry, bozo=True, bozo_reason=why)
    raise _mojibake_error(feed, garbled)


def _parse_xml(
    body: bytes, url: str | None, content_type: str | None, utf8: Utf8Body | None
) -> ParsedFeed:
    if utf8 is not None and utf8.detected:
        body, content_type = utf8.body, _utf8_content_type(content_type)
    if utf8 is None or feedparser_shape(utf8.body):
        return _labelled(_only(_with_feedparser(body, url, content_type)), utf8)
    broken = xml_error(utf8.body)
    fast = _with_fastfeedparser(utf8, url, broken)
    if fast is not None and not broken and _complete(fast, utf8.body):
        return fast
    return _labelled(_fuller(fast, _with_feedparser(body, url, content_type)), utf8)


def _labelled(feed: ParsedFeed, utf8: Utf8Body | None) -> ParsedFeed:
    """The feed naming the encoding its bytes were detected in (feedparser saw UTF-8)."""
    return replace(feed, encoding=utf8.encoding) if utf8 and utf8.detected else feed


def _utf8_content_type(content_type: str | None) -> str:
    message = Message()
    message["content-type"] = content_type or "application/xml"
    message.set_param("charset", "utf-8")
    return message["content-type"]


MOJIBAKE_SAMPLE_CHARS = 600
"""Of each entry's summary and content, the opening is judged: a document is decoded with one
code page, so mis-decoding shows everywhere in it, and reading every word costs."""


def _garbled(feed: ParsedFeed) -> str | None:
    """Why the feed's text reads as mojibake, or None."""
    parts = [feed.title]
    for entry in feed.entries:
        parts += (
            entry.title,
            entry.summary[:MOJIBAKE_SAMPLE_CHARS],
            entry.content[:MOJIBAKE_SAMPLE_CHARS],
        )
    return mojibake("\n".join(parts))


def _readable(feed: ParsedFeed) -> ParsedFeed:
    garbled = _garbled(feed)
    if garbled is not None:
        raise _mojibake_error(feed, garbled)
    return feed


def _mojibake_error(feed: ParsedFeed, garbled: str) -> MojibakeError:
    return MojibakeError(
        f"its text reads as mojibake in {feed.encoding or 'every encoding tried'}: {garbled}; "
        "the source must declare its encoding right (the HTTP charset or the XML declaration)"
    )


def _complete(feed: ParsedFeed, body: bytes) -> bool:
    """No sign that fastfeedparser lost entries, or pictures kept in a media:group."""
    if len(feed.entries) < expected_entries(body):
        return False
    return b"<media:group" not in body or all(entry.image_url for entry in feed.entries)


def _only(feed: ParsedFeed | None) -> ParsedFeed:
    if feed is None:
        raise FeedParseError("no RSS, Atom or JSON feed found in the document")
    return feed


def _fuller(fast: ParsedFeed | None, slow: ParsedFeed | None) -> ParsedFeed:
    """feedparser's result, unless fastfeedparser recovered more entries."""
    if fast is None or slow is None:
        return _only(slow or fast)
    return fast if len(fast.entries) > len(slow.entries) else slow


def _with_fastfeedparser(utf8: Utf8Body, url: str | None, broken: str | None) -> ParsedFeed | None:
    try:
        result = fastfeedparser.parse(cp1252_punctuation(utf8.body))
    except Exception:  # any failure here only means: let feedparser try
        return None
    return from_fastfeedparser(
        result,
        kind=root_kind(utf8.body),
        base=url,
        markers=DocumentMarkers(utf8.body),
        encoding=utf8.encoding,
        problem=broken or utf8.problem,
    )


def _with_feedparser(body: bytes, url: str | None, content_type: str | None) -> ParsedFeed | None:
    headers = {"content-type": content_type} if content_type else {}
    # A stream, never bytes: feedparser opens a bytes argument as a file path if it can.
    # Markup is kept as written, as fastfeedparser keeps it; another module strips it.
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    version = result.get("version") or ""
    if not version and not result.get("entries"):
        return None
    return from_feedparser(result, kind=version or root_kind(body), base=url)
