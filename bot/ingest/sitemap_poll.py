"""Fetch-and-parse for a news sitemap source: the pages it lists that are new, newest first,
bounded, each allowed by robots.txt. Their title and text come later, from the pages
themselves (bot.ingest.article_page.fetch_articles).

    poll = await poll_sitemap(fetcher, url, seen=known_url_keys, user_agent=ua, limit=50)
    pages = await fetch_articles(fetcher, poll.entries, robots=poll.robots)

`seen` is asked once, with the canonical URLs of every page listed, which of them the source
has already. A sitemap index is followed one level: its newest `max_children` sitemaps, never
itself nor another index. The sitemap given is fetched conditionally when `etag` or
`last_modified` are given (`not_modified` then, and no entries). Raises FetchError or
SitemapError for the sitemap given, RobotsUnavailable when its robots.txt cannot be read,
RobotsDisallowed when robots.txt forbids it; a child sitemap that fails is recorded in
`problems` instead.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from bot.ingest.article_page import SeenUrls
from bot.ingest.entry import ParsedEntry
from bot.ingest.fetch import Fetcher, FetchError
from bot.ingest.normalize import canonical_url
from bot.ingest.robots import RobotsCache, RobotsDisallowed, RobotsUnavailable
from bot.ingest.site import same_site
from bot.ingest.sitemap import (
    DEFAULT_KEEP,
    Sitemap,
    SitemapError,
    SitemapKind,
    SitemapUrl,
    parse_sitemap,
)

SITEMAP_ACCEPT: Final = "application/xml, text/xml;q=0.9, application/x-gzip;q=0.8, */*;q=0.5"
DEFAULT_MAX_CHILDREN: Final = 3


@dataclass(frozen=True, slots=True)
class SitemapPoll:
    """What one poll found. `entries` are the new pages (link, and title, date, language
    and image where a news sitemap gives them), newest first, at most `limit`. The counts
    say what was left out and why (`old`: dated before `since`; `left`: new pages beyond
    `limit`); `problems` are one line per child sitemap not followed, `unread` counts those
    that could not be read. `newest` is the newest date an on-site page carries; `etag` and
    `last_modified` are the sitemap's validators."""

    entries: tuple[ParsedEntry, ...]
    sitemaps: tuple[str, ...]
    listed: int
    seen: int
    off_site: int
    disallowed: int
    truncated: bool
    problems: tuple[str, ...]
    robots: RobotsCache
    old: int = 0
    left: int = 0
    newest: datetime | None = None
    unread: int = 0
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


async def poll_sitemap(
    fetcher: Fetcher,
    url: str,
    *,
    seen: SeenUrls,
    user_agent: str,
    limit: int,
    since: datetime | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    max_children: int = DEFAULT_MAX_CHILDREN,
    keep: int = DEFAULT_KEEP,
) -> SitemapPoll:
    """The new pages of the sitemap (or sitemap index) at `url`.

    At most `keep` entries per sitemap are considered (the newest); a page dated before
    `since` is not new, whether seen or not (an undated one may be).
    """
    robots = RobotsCache(fetcher, user_agent)
    if not await robots.allows(url):
        raise RobotsDisallowed(url, what="sitemap")
    fetched = await fetcher.fetch(
        url, etag=etag, last_modified=last_modified, accept=SITEMAP_ACCEPT
    )
    if fetched.not_modified:
        return _unchanged(url, robots, fetched.etag, fetched.last_modified)
    top = await asyncio.to_thread(parse_sitemap, fetched.body, url=fetched.url, keep=keep)
    documents: list[Sitemap] = [top]
    read = [url]
    problems: list[str] = []
    unread = 0
    if top.kind is SitemapKind.INDEX:
        children = _children(top, url, max_children, problems)
        results = await asyncio.gather(
            *(_child(fetcher, robots, child, keep) for child in children)
        )
        for child, result in zip(children, results, strict=True):
            if isinstance(result, str):
                problems.append(f"{child}: {result}")
                unread += 1
            elif result.kind is SitemapKind.INDEX:
                problems.append(f"{child}: a sitemap index inside an index is not followed")
            else:
                documents.append(result)
                read.append(child)
    pages = [item for doc in documents if doc.kind is SitemapKind.URLSET for item in doc.urls]
    entries, counts, newest = await _select(pages, url, seen, robots, limit, since)
    return SitemapPoll(
        entries=entries,
        sitemaps=tuple(read),
        listed=len(pages),
        seen=counts["seen"],
        off_site=counts["off_site"],
        disallowed=counts["disallowed"],
        truncated=any(doc.truncated for doc in documents),
        problems=tuple(problems),
        robots=robots,
        old=counts["old"],
        left=counts["left"],
        newest=newest,
        unread=unread,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
    )


def _unchanged(
    url: str, robots: RobotsCache, etag: str | None, last_modified: str | None
) -> SitemapPoll:
    return SitemapPoll(
        entries=(),
        sitemaps=(url,),
        listed=0,
        seen=0,
        off_site=0,
        disallowed=0,
        truncated=False,
        problems=(),
        robots=robots,
        not_modified=True,
        etag=etag,
        last_modified=last_modified,
    )


async def _select(
    pages: list[SitemapUrl],
    url: str,
    seen: SeenUrls,
    robots: RobotsCache,
    limit: int,
    since: datetime | None,
) -> tuple[tuple[ParsedEntry, ...], dict[str, int], datetime | None]:
    """The new, on-site, recent, allowed pages, newest first, `limit` at most; the counts of
    those left out; the newest date listed."""
    candidates, counts, newest = await asyncio.to_thread(_candidates, pages, url, since)
    known = set(await seen(list(candidates))) if candidates else set()
    entries: list[ParsedEntry] = []
    for key, item in candidates.items():
        if key in known:
            counts["seen"] += 1
        elif len(entries) >= limit:
            counts["left"] += 1
        elif not await _allowed(robots, item.url):
            counts["disallowed"] += 1
        else:
            entries.append(_entry(item))
    return tuple(entries), counts, newest


def _candidates(
    pages: list[SitemapUrl], url: str, since: datetime | None
) -> tuple[dict[str, SitemapUrl], dict[str, int], datetime | None]:
    """The on-site pages dated from `since` on (or undated) by canonical URL, newest first;
    pure, and thousands of them, so callers run it in a thread."""
    pages = sorted(
        pages,
        key=lambda item: (item.date is not None, item.date.timestamp() if item.date else 0),
        reverse=True,
    )
    counts = {"seen": 0, "off_site": 0, "disallowed": 0, "old": 0, "left": 0}
    candidates: dict[str, SitemapUrl] = {}
    newest: datetime | None = None
    for item in pages:
        key = canonical_url(item.url)
        if key is None or key in candidates:
            continue
        if not same_site(item.url, url):
            counts["off_site"] += 1
            continue
        if item.date is not None and (newest is None or item.date > newest):
            newest = item.date
        if since is not None and item.date is not None and item.date < since:
            counts["old"] += 1
        else:
            candidates[key] = item
    return candidates, counts, newest


async def _read(fetcher: Fetcher, url: str, keep: int) -> Sitemap:
    result = await fetcher.fetch(url, accept=SITEMAP_ACCEPT)
    return await asyncio.to_thread(parse_sitemap, result.body, url=result.url, keep=keep)


async def _child(fetcher: Fetcher, robots: RobotsCache, url: str, keep: int) -> Sitemap | str:
    """A child sitemap, or why it could not be read."""
    try:
        if not await robots.allows(url):
            return "robots.txt disallows it"
        return await _read(fetcher, url, keep)
    except (FetchError, RobotsUnavailable) as exc:
        return exc.message
    except SitemapError as exc:
        return str(exc)


def _children(index: Sitemap, url: str, limit: int, problems: list[str]) -> list[str]:
    """The index's newest sitemaps on the same site, never the index itself, `limit` at most."""
    own = canonical_url(url)
    children: list[str] = []
    for item in index.urls:
        if canonical_url(item.url) == own:
            problems.append(f"{item.url}: the index lists itself; not followed")
        elif not same_site(item.url, url):
            problems.append(f"{item.url}: on another site; not followed")
        elif item.url not in children and len(children) < limit:
            children.append(item.url)
    return children


async def _allowed(robots: RobotsCache, url: str) -> bool:
    try:
        return await robots.allows(url)
    except RobotsUnavailable:
        return False


def _entry(item: SitemapUrl) -> ParsedEntry:
    return ParsedEntry(
        link=item.url,
        title=html.escape(item.title, quote=False) if item.title else "",
        published=item.published or item.lastmod,
        image_url=item.image_url,
        language=item.language,
    )
