"""What a source's posts would look like, before it is added: `nashra preview URL` (the
newest few, as plain text) and the admins' /addsource (the newest one, as Telegram gets it).

Every kind is read by its own reader (bot/pipeline/read_kinds.py), with nothing known and a
few pages at most, and goes through the one pipeline; nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Final

from bot.compose.compose import CategorySet
from bot.compose.post import post_content, post_for
from bot.compose.render import RenderedPost, render_plain
from bot.ingest.entry import ParsedEntry, ParsedFeed
from bot.ingest.fetch import ARTICLE_ACCEPT, FetchError, FetchPool
from bot.ingest.parse import FeedParseError
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.articles import Pipeline
from bot.pipeline.read import NotReadable, Read, ReadError, SourceInfo, page_document
from bot.pipeline.read_kinds import read_source
from bot.services.discovery import fetch_problem
from bot.services.sources import SourceError, clean_url
from bot.settings import Settings
from storage.models import SourceKind
from storage.types import utcnow

PREVIEW_ENTRIES: Final = 10
"""The newest of a document's first entries is previewed."""
PREVIEW_PAGES: Final = 3
"""Listed pages a sitemap or section page preview fetches, at most."""


class PreviewError(Exception):
    """The URL gives nothing to preview; the message says why."""


@dataclass(frozen=True, slots=True)
class Preview:
    kind: str  # the document's format (rss20, telegram, sitemap …), or "page"
    title: str
    posts: list[str]


async def preview(
    source: SourceInfo,
    *,
    settings: Settings,
    pipeline: Pipeline,
    categories: CategorySet,
    limit: int = 3,
) -> Preview:
    """The newest `limit` posts of the source, as plain text.

    Raises FetchError, or PreviewError saying why there is nothing to show."""
    try:
        read, feed = await _read(source, settings, pipeline, max(limit, PREVIEW_PAGES))
    except FeedParseError as exc:
        raise PreviewError(f"{source.url} is not a feed: {exc}") from None
    except ReadError as exc:
        raise PreviewError(exc.message) from None
    source = replace(source, site_name=read.site_name)
    return await _posts(source, feed, read.url, settings, pipeline, categories, limit)


async def preview_page(
    url: str,
    *,
    settings: Settings,
    pipeline: Pipeline,
    categories: CategorySet,
    name: str | None = None,
) -> Preview:
    """The post of one article page (an HTML page that offers no feed).

    Raises FetchError, or PreviewError when the page holds no article."""
    result = await pipeline.fetcher.fetch(url, accept=ARTICLE_ACCEPT, pool=FetchPool.PAGES)
    try:
        feed = page_document(result)
    except NotReadable as exc:
        raise PreviewError(str(exc)) from None
    source = SourceInfo(url=result.url, name=name)
    return await _posts(source, feed, result.url, settings, pipeline, categories, 1)


async def _posts(
    source: SourceInfo,
    feed: ParsedFeed,
    base_url: str,
    settings: Settings,
    pipeline: Pipeline,
    categories: CategorySet,
    limit: int,
) -> Preview:
    if not feed.entries:
        raise PreviewError(f"{base_url} has nothing to show yet")
    processed = await pipeline.process(
        source, feed, base_url, categories, now=utcnow(), limit=limit
    )
    posts = [
        render_plain(
            post_content(article, source, categories=categories, settings=settings), settings
        )
        for article in processed.articles
    ]
    return Preview(feed.kind, feed.title, posts)


@dataclass(frozen=True, slots=True)
class SourcePreview:
    """The post the newest entry of a source would give, and the source's own title."""

    url: str  # after redirects
    kind: SourceKind
    format: str
    title: str
    post: RenderedPost


async def preview_source(
    spec: SourceSpec,
    *,
    category_id: int | None,
    settings: Settings,
    pipeline: Pipeline,
    categories: CategorySet,
) -> SourcePreview:
    """Read the source once; the post its newest entry would give. Nothing is saved.

    Raises SourceError saying why there is nothing to preview."""
    kind = SourceKind(spec.kind or SourceKind.FEED)
    source = SourceInfo(
        url=clean_url(spec.url),
        kind=kind,
        name=spec.name,
        language=spec.language,
        category=categories.slug_of(category_id),
    )
    try:
        read, feed = await _read(source, settings, pipeline, PREVIEW_PAGES)
    except FetchError as exc:
        raise fetch_problem(exc) from None
    except FeedParseError as exc:
        raise SourceError(f"{source.url} is not a feed: {exc}", "not_feed") from None
    except ReadError as exc:
        raise SourceError(exc.message, exc.code, **exc.values) from None
    entries = feed.entries[:PREVIEW_ENTRIES]
    if not entries:
        raise SourceError(f"{read.url} has nothing to preview yet", f"empty_{kind.value}")
    newest = max(enumerate(entries), key=lambda pair: (_published(pair[1]), -pair[0]))[1]
    source = replace(source, site_name=read.site_name)
    processed = await pipeline.process(
        source, replace(feed, entries=(newest,)), read.url, categories, now=utcnow(), limit=1
    )
    if not processed.articles:
        raise SourceError(f"{read.url} has nothing to preview yet", f"empty_{kind.value}")
    post = post_for(processed.articles[0], source, categories=categories, settings=settings)
    return SourcePreview(read.url, kind, feed.kind, feed.title, post)


async def _read(
    source: SourceInfo, settings: Settings, pipeline: Pipeline, pages: int
) -> tuple[Read, ParsedFeed]:
    """The source read as nothing of it were known, without the entries a reader only
    remembers (pages that gave no article, old ones)."""
    read = await read_source(pipeline.fetcher, source, settings, now=utcnow(), limit=pages)
    assert read.feed is not None, "nothing is sent to make the answer conditional"
    entries = tuple(entry for entry in read.feed.entries if entry.link not in read.remember)
    return read, replace(read.feed, entries=entries)


def _published(entry: ParsedEntry) -> datetime:
    return entry.published or entry.updated or datetime.min.replace(tzinfo=UTC)
