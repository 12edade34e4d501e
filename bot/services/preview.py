"""What a source's posts would look like, before it is added: `nashra preview URL` (the
newest few, as plain text) and the admins' /addsource (the newest one, as Telegram gets it)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.compose.compose import CategorySet
from bot.compose.post import post_content, post_for
from bot.compose.render import RenderedPost, render_plain
from bot.ingest.entry import ParsedEntry
from bot.ingest.fetch import FetchError, FetchErrorKind
from bot.ingest.parse import FeedParseError
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.articles import Pipeline
from bot.pipeline.read import NotReadable, SourceInfo, read_feed, read_feed_or_page
from bot.services.sources import SourceError, clean_url
from bot.settings import Settings
from storage.types import utcnow

PREVIEW_ENTRIES = 10  # the newest of the feed's first entries is previewed


class PreviewError(Exception):
    """The URL gives nothing to preview; the message says why."""


@dataclass(frozen=True, slots=True)
class Preview:
    kind: str  # the feed's format, or "page"
    title: str
    posts: list[str]


async def preview(
    url: str,
    *,
    settings: Settings,
    pipeline: Pipeline,
    categories: CategorySet,
    name: str | None = None,
    limit: int = 3,
) -> Preview:
    """The newest `limit` posts of a feed, or the post of one article page, as plain text.

    Raises FetchError, or PreviewError saying why there is nothing to show."""
    try:
        read = await read_feed_or_page(pipeline.fetcher, url)
    except NotReadable as exc:
        raise PreviewError(str(exc)) from None
    assert read.feed is not None
    source = SourceInfo(url=read.url, name=name)
    processed = await pipeline.process(
        source, read.feed, read.url, categories, now=utcnow(), limit=limit
    )
    if not processed.articles:
        raise PreviewError(f"the feed at {read.url} has no entries")
    posts = [
        render_plain(
            post_content(article, source, categories=categories, settings=settings), settings
        )
        for article in processed.articles
    ]
    return Preview(read.feed.kind, read.feed.title, posts)


class PreviewProblem(SourceError):
    """The URL gives no post to preview. `reason` is one of: blocked, http_status, timeout,
    fetch, not_feed, empty; `status` is the HTTP status for http_status."""

    def __init__(self, reason: str, message: str, *, status: int | None = None) -> None:
        if reason == "http_status":
            super().__init__(message, reason, status=status or 0)
        else:
            super().__init__(message, reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True, slots=True)
class SourcePreview:
    """The post the newest entry of a feed would give, and the feed's own title."""

    url: str  # after redirects
    kind: str
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
    """Fetch and parse the feed once; the post its newest entry would give. Nothing is saved.

    Raises PreviewProblem saying why there is nothing to preview."""
    source = SourceInfo(
        url=clean_url(spec.url),
        name=spec.name,
        language=spec.language,
        category=categories.slug_of(category_id),
    )
    try:
        read = await read_feed(pipeline.fetcher, source)
    except FetchError as exc:
        raise _fetch_problem(exc) from None
    except FeedParseError as exc:
        raise PreviewProblem("not_feed", f"{source.url} is not a feed: {exc}") from None
    feed = read.feed
    assert feed is not None
    entries = feed.entries[:PREVIEW_ENTRIES]
    if not entries:
        raise PreviewProblem("empty", f"the feed at {read.url} has no entries")
    newest = max(enumerate(entries), key=lambda pair: (_published(pair[1]), -pair[0]))[1]
    processed = await pipeline.process(
        source, replace(feed, entries=(newest,)), read.url, categories, now=utcnow(), limit=1
    )
    if not processed.articles:
        raise PreviewProblem("empty", f"the feed at {read.url} has no entries")
    post = post_for(processed.articles[0], source, categories=categories, settings=settings)
    return SourcePreview(read.url, feed.kind, feed.title, post)


def _published(entry: ParsedEntry) -> datetime:
    return entry.published or entry.updated or datetime.min.replace(tzinfo=UTC)


def _fetch_problem(exc: FetchError) -> PreviewProblem:
    if exc.kind is FetchErrorKind.BLOCKED or exc.kind is FetchErrorKind.INVALID_URL:
        return PreviewProblem("blocked", exc.message)
    if exc.kind is FetchErrorKind.HTTP_STATUS:
        return PreviewProblem("http_status", exc.message, status=exc.status)
    if exc.kind is FetchErrorKind.TIMEOUT:
        return PreviewProblem("timeout", exc.message)
    return PreviewProblem("fetch", exc.message)
