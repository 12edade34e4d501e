"""Readers per source kind: each fetches and parses its source into the pipeline's one input,
a `ParsedFeed`, with what to remember for the next poll.

    read = await read_source(fetcher, source, settings, seen=known_urls, now=now)

* feed: the feed, conditionally on its validators (bot/pipeline/read.py).
* telegram: the channel's newest preview page and, later, older pages back to the last
  message seen (its id is the reader's state); each message that is an article an entry.
* sitemap: the pages it lists that are new, recent and allowed by robots.txt, newest first;
  each page fetched and its article extracted. Its state is a date watermark.
* page (a section page): the article pages it links to that are new, fetched likewise.

Sitemaps and section pages are read conditionally too, and their validators kept only when
a poll left nothing behind (no page beyond the limit, none to try again). On a first poll
only the newest BACKFILL_COUNT pages are fetched: a section page's other links are
remembered as seen, a sitemap's fall behind its watermark, so that a site's archive never
floods the chats. A listed page that gives no article, or an article older than RECENT, is
remembered and never fetched again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from bot.ingest.article_page import SeenUrls, fetch_articles, nothing_seen
from bot.ingest.entry import ParsedEntry, ParsedFeed
from bot.ingest.fetch import Fetcher
from bot.ingest.robots import RobotsCache, RobotsDisallowed, RobotsUnavailable
from bot.ingest.section_poll import NotAListing, poll_section
from bot.ingest.sitemap import DEFAULT_KEEP, SitemapError
from bot.ingest.sitemap_poll import poll_sitemap
from bot.ingest.telegram_page import ChannelUnavailable, Unavailable
from bot.ingest.telegram_poll import poll_channel
from bot.ingest.telegram_ref import ChannelRefError, channel_name, channel_url
from bot.pipeline.read import Read, ReadError, SourceInfo, read_feed
from bot.settings import Settings
from storage.models import SourceKind

RECENT: Final = timedelta(days=3)
"""A listed page dated earlier is a site's archive, not news: never published."""
SECTION_LINKS: Final = 200
"""Article links read from a section page, at most."""
_INSTANT: Final = timedelta(microseconds=1)
"""A page dated at the watermark is not new: it was dealt with."""
LAST_ID: Final = "last_id"
AFTER: Final = "after"


async def read_source(
    fetcher: Fetcher,
    source: SourceInfo,
    settings: Settings,
    *,
    now: datetime,
    seen: SeenUrls = nothing_seen,
    limit: int | None = None,
) -> Read:
    """Read `source` as its kind says. `seen` says which pages a sitemap or section page
    source has already (previews: none); `limit` bounds the pages fetched (default
    MAX_ENTRIES_PER_POLL).

    Raises FetchError (the source's own document could not be fetched), FeedParseError (a
    feed that is not one) or ReadError."""
    if source.kind is SourceKind.TELEGRAM:
        return await read_channel(fetcher, source, settings)
    if source.kind is SourceKind.SITEMAP:
        return await read_sitemap(fetcher, source, settings, now=now, seen=seen, limit=limit)
    if source.kind is SourceKind.PAGE:
        return await read_section(fetcher, source, settings, now=now, seen=seen, limit=limit)
    return await read_feed(fetcher, source)


async def read_channel(fetcher: Fetcher, source: SourceInfo, settings: Settings) -> Read:
    """The channel's messages newer than the last one seen, as articles, newest first."""
    try:
        name = channel_name(source.url)
    except ChannelRefError as exc:
        raise ReadError("config", exc.message, "bad_channel", url=source.url) from None
    last_seen = source.state.get(LAST_ID)
    try:
        poll = await poll_channel(
            fetcher,
            name,
            base_url=settings.telegram_web_base_url,
            last_seen_id=last_seen if isinstance(last_seen, int) else None,
        )
    except ChannelUnavailable as exc:
        kind = "parse" if exc.reason is Unavailable.UNRECOGNIZED else "channel"
        raise ReadError(kind, exc.message, f"channel_{exc.reason.value}", name=name) from None
    notes = []
    if not poll.complete:
        notes.append(f"{poll.pages} pages read: the new messages before them were left out")
    if poll.page.unidentified:
        notes.append(f"{poll.page.unidentified} messages without an id were skipped")
    state: dict[str, Any] | None = {LAST_ID: poll.newest_id} if poll.newest_id is not None else None
    return Read(
        channel_url(name),
        poll.feed,
        state=state,
        site_name=poll.feed.extra.get("site_name"),
        notes=tuple(notes),
    )


async def read_sitemap(
    fetcher: Fetcher,
    source: SourceInfo,
    settings: Settings,
    *,
    now: datetime,
    seen: SeenUrls,
    limit: int | None,
) -> Read:
    """The sitemap's new, recent pages, newest first, each fetched for its article.

    The reader's state is a watermark, the newest date the sitemap listed once every page
    up to it was dealt with: pages dated earlier are not new. A first poll sets it, so a
    news site's thousands of listed pages are neither fetched nor stored; only undated
    pages are remembered one by one."""
    pages = _budget(settings, limit)
    recent = now - RECENT
    after = _watermark(source.state)
    try:
        poll = await poll_sitemap(
            fetcher,
            source.url,
            seen=seen,
            user_agent=settings.user_agent,
            limit=DEFAULT_KEEP if source.backfill else pages,
            since=max(recent, after + _INSTANT) if after is not None else recent,
            etag=source.etag,
            last_modified=source.last_modified,
        )
    except SitemapError as exc:
        raise ReadError("parse", f"not a sitemap: {exc}", "not_sitemap") from None
    except (RobotsDisallowed, RobotsUnavailable) as exc:
        raise _robots_error(exc, source.url) from None
    if poll.not_modified:
        return Read(source.url, None, poll.etag, poll.last_modified)
    notes = [*poll.problems]
    if poll.left:
        notes.append(f"{poll.left} new pages beyond the limit of {pages} wait for the next poll")
    listed, fetch = poll.entries, pages
    if source.backfill:
        fetch = min(settings.backfill_count, pages)
        undated = [entry for entry in listed[fetch:] if entry.published is None]
        listed = (*listed[:fetch], *undated)
    fetched = await _fetch_pages(fetcher, settings, listed, poll.robots, fetch=fetch, since=recent)
    complete = not poll.left and not poll.unread and not fetched.retry
    state: dict[str, Any] | None = None
    if complete and poll.newest is not None:
        state = {AFTER: min(poll.newest, now).isoformat()}
    read = _listing_read(
        source.url,
        "sitemap",
        fetched,
        etag=poll.etag if complete else None,
        last_modified=poll.last_modified if complete else None,
        notes=notes,
    )
    return replace(read, state=state)


async def read_section(
    fetcher: Fetcher,
    source: SourceInfo,
    settings: Settings,
    *,
    now: datetime,
    seen: SeenUrls,
    limit: int | None,
) -> Read:
    """The article pages the section page links to that are new, each fetched."""
    pages = _budget(settings, limit)
    try:
        poll = await poll_section(
            fetcher,
            source.url,
            seen=seen,
            user_agent=settings.user_agent,
            limit=SECTION_LINKS if source.backfill else pages,
            max_links=SECTION_LINKS,
            etag=source.etag,
            last_modified=source.last_modified,
        )
    except NotAListing as exc:
        raise ReadError("parse", exc.message, "not_listing") from None
    except (RobotsDisallowed, RobotsUnavailable) as exc:
        raise _robots_error(exc, source.url) from None
    if poll.not_modified:
        return Read(source.url, None, poll.etag, poll.last_modified)
    notes = []
    if poll.left:
        notes.append(f"{poll.left} new pages beyond the limit of {pages} wait for the next poll")
    fetch = _fetched(source, settings, pages)
    fetched = await _fetch_pages(
        fetcher, settings, poll.entries, poll.robots, fetch=fetch, since=now - RECENT
    )
    complete = not poll.left and not fetched.retry
    return _listing_read(
        source.url,
        "section",
        fetched,
        etag=poll.etag if complete else None,
        last_modified=poll.last_modified if complete else None,
        notes=notes,
    )


@dataclass(slots=True)
class _Pages:
    """Listed pages sorted out: articles to publish, entries to remember, pages to retry."""

    articles: list[ParsedEntry] = field(default_factory=list)
    remembered: list[ParsedEntry] = field(default_factory=list)
    retry: int = 0
    notes: list[str] = field(default_factory=list)


async def _fetch_pages(
    fetcher: Fetcher,
    settings: Settings,
    listed: Sequence[ParsedEntry],
    robots: RobotsCache,
    *,
    fetch: int,
    since: datetime,
) -> _Pages:
    """The first `fetch` listed pages fetched for their articles; the others remembered."""
    to_fetch = listed[:fetch]
    sorted_out = _Pages(remembered=list(listed[fetch:]))
    problems = 0
    found = await fetch_articles(
        fetcher,
        to_fetch,
        robots=robots,
        concurrency=settings.fulltext_per_poll,
        deadline=settings.fulltext_deadline_seconds,
    )
    for entry, page in zip(to_fetch, found, strict=True):
        if page.entry is not None and _recent(page.entry, since):
            sorted_out.articles.append(page.entry)
        elif page.entry is not None:
            sorted_out.remembered.append(page.entry)
        elif page.retry:
            sorted_out.retry += 1
        else:
            problems += 1
            sorted_out.remembered.append(entry)
    if sorted_out.retry:
        sorted_out.notes.append(f"{sorted_out.retry} pages could not be fetched now; tried later")
    if problems:
        sorted_out.notes.append(f"{problems} listed pages gave no article; not fetched again")
    return sorted_out


def _listing_read(
    url: str,
    kind: str,
    pages: _Pages,
    *,
    etag: str | None,
    last_modified: str | None,
    notes: Sequence[str],
) -> Read:
    """The articles first (a first poll's newest are published), then what is remembered."""
    entries = (*pages.articles, *pages.remembered)
    parts = urlsplit(url)
    feed = ParsedFeed(
        kind=kind, link=f"{parts.scheme}://{parts.netloc}/", entries=entries, parser=kind
    )
    return Read(
        url,
        feed,
        etag,
        last_modified,
        remember=frozenset(entry.link for entry in pages.remembered if entry.link),
        limit=len(entries),
        notes=(*notes, *pages.notes),
    )


def _budget(settings: Settings, limit: int | None) -> int:
    """Listed pages fetched in one poll: MAX_ENTRIES_PER_POLL (or `limit`), and no more
    than the page budget every poll has for full text (FULLTEXT_MAX_PAGES)."""
    return min(limit or settings.max_entries_per_poll, settings.fulltext_max_pages)


def _robots_error(exc: RobotsDisallowed | RobotsUnavailable, url: str) -> ReadError:
    site = urlsplit(url).netloc
    if isinstance(exc, RobotsDisallowed):
        return ReadError("robots", exc.message, "robots_disallowed", site=site)
    return ReadError("robots", exc.message, "robots_unavailable", site=site)


def _watermark(state: Mapping[str, Any]) -> datetime | None:
    value = state.get(AFTER)
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _fetched(source: SourceInfo, settings: Settings, limit: int) -> int:
    """Pages fetched for their articles: on a first poll only the newest BACKFILL_COUNT."""
    return min(settings.backfill_count, limit) if source.backfill else limit


def _recent(entry: ParsedEntry, since: datetime) -> bool:
    return entry.published is None or entry.published >= since
