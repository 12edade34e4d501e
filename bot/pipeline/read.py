"""Reading a source: fetch its document (a conditional GET when polling) and parse it.

Every source kind ends in a `ParsedFeed`, the pipeline's one input: a feed as it is (here); a
single article page (previews) as a document of one entry (here); a Telegram channel, a
sitemap or a section page through its reader in bot/pipeline/read_kinds.py.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.ingest.entry import ParsedEntry, ParsedFeed
from bot.ingest.extract import extract_article
from bot.ingest.fetch import ARTICLE_ACCEPT, FEED_ACCEPT, Fetcher, FetchResult
from bot.ingest.parse import FeedParseError, parse_feed
from storage.models import SourceKind


class NotReadable(Exception):
    """The document is neither a feed nor an article page; the message says why."""


class ReadError(Exception):
    """A source of a kind other than a feed could not be read. `kind` names the failure as
    the source's record keeps it: channel (no public channel to follow), robots (robots.txt
    forbids it or cannot be read), parse (the document is not what the kind needs), config
    (the stored address cannot be of this kind). `code` and `values` name it for a
    translated message (admin_sources.error.CODE)."""

    def __init__(self, kind: str, message: str, code: str, **values: object) -> None:
        self.kind = kind
        self.message = message
        self.code = code
        self.values = values
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the pipeline needs of a source, stored or only previewed."""

    url: str
    id: int | None = None
    kind: SourceKind = SourceKind.FEED
    name: str | None = None
    language: str | None = None
    category: str | None = None
    """The slug of the source's fixed category, if it has one."""
    site_url: str | None = None
    backfill: bool = False
    """A first poll: its entries are stored as seen, but for the newest BACKFILL_COUNT.
    Otherwise (later polls, previews) every entry not known is new."""
    etag: str | None = None
    last_modified: str | None = None
    site_name: str | None = None
    """The name the source gives itself (a Telegram channel's title with @NAME)."""
    state: Mapping[str, Any] = field(default_factory=dict)
    """What the source's reader kept from its last poll."""


@dataclass(frozen=True, slots=True)
class Read:
    """A source's document as fetched: `feed` is None when the server said not modified."""

    url: str
    """After redirects: the base of the document's relative links."""
    feed: ParsedFeed | None
    etag: str | None = None
    last_modified: str | None = None
    state: dict[str, Any] | None = None
    """The reader's state to keep for the next poll; None: nothing to change."""
    site_name: str | None = None
    remember: frozenset[str] = frozenset()
    """Links of entries to store as seen and never publish (a listed page that is no
    article, an old one, or one of a first poll's backfill)."""
    limit: int | None = None
    """How many of the document's entries the pipeline looks at (None: MAX_ENTRIES_PER_POLL);
    a reader that bounded its entries itself takes them all."""
    notes: tuple[str, ...] = ()
    """What the reader left out, one line each, for the log."""


async def read_feed(fetcher: Fetcher, source: SourceInfo) -> Read:
    """The source's feed, fetched conditionally on its ETag and Last-Modified.

    Raises FetchError, or FeedParseError when the document is not a feed."""
    result = await fetcher.fetch(
        source.url, etag=source.etag, last_modified=source.last_modified, accept=FEED_ACCEPT
    )
    if result.not_modified:
        return Read(result.url, None, result.etag, result.last_modified)
    feed = await asyncio.to_thread(_parse, result)
    return Read(result.url, feed, result.etag, result.last_modified)


async def read_feed_or_page(fetcher: Fetcher, url: str) -> Read:
    """A feed, or else one article page as a document of one entry (previews).

    Raises FetchError, or NotReadable when the document is neither."""
    result = await fetcher.fetch(url, accept=f"{FEED_ACCEPT}, {ARTICLE_ACCEPT};q=0.8")
    try:
        feed = await asyncio.to_thread(_parse, result)
    except FeedParseError:
        feed = await asyncio.to_thread(page_document, result)
    return Read(result.url, feed)


def _parse(result: FetchResult) -> ParsedFeed:
    return parse_feed(result.body, url=result.url, content_type=result.content_type)


def page_document(result: FetchResult) -> ParsedFeed:
    """An article page as a document of one entry, its text from the page's main content."""
    extracted = extract_article(result.body, url=result.url, content_type=result.content_type)
    if extracted is None or not extracted.text:
        raise NotReadable(f"{result.url} is neither a feed nor an article page")
    paragraphs = (p for p in extracted.text.split("\n") if p.strip())
    entry = ParsedEntry(
        link=result.url,
        title=html.escape(extracted.title or ""),
        content="".join(f"<p>{html.escape(p)}</p>" for p in paragraphs),
        published=extracted.published,
        image_url=extracted.image_url,
        language=extracted.language,
    )
    return ParsedFeed(
        kind="page", title=extracted.title or "", link=result.url, entries=(entry,), parser="page"
    )
