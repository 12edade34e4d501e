"""Fetch-and-parse for a section page source: the article links on the page that are new,
in page order (a listing shows its newest first), bounded, each allowed by robots.txt.
Their title and text come from the pages themselves (article_page.fetch_articles).

    poll = await poll_section(fetcher, url, seen=known_url_keys, user_agent=ua, limit=20)
    pages = await fetch_articles(fetcher, poll.entries, robots=poll.robots)

`seen` is asked once, with the canonical URLs of the page's article links, which of them the
source has already. The page is fetched conditionally when `etag` or `last_modified` are
given (`not_modified` then, and no entries). Raises FetchError, RobotsUnavailable,
RobotsDisallowed, or NotAListing when the page is not HTML.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass

from bot.ingest.article_page import SeenUrls
from bot.ingest.doctype import PageKind, page_kind
from bot.ingest.entry import ParsedEntry
from bot.ingest.fetch import ARTICLE_ACCEPT, Fetcher
from bot.ingest.normalize import canonical_url
from bot.ingest.robots import RobotsCache, RobotsDisallowed
from bot.ingest.section import MAX_ANCHORS, article_links


class NotAListing(Exception):
    """The section URL did not give an HTML page."""

    def __init__(self, kind: PageKind, content_type: str | None) -> None:
        self.kind = kind
        self.message = (
            f"the section URL gave {kind.value}, not a web page ({content_type or 'no type'})"
        )
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class SectionPoll:
    """What one poll found: `entries` are the new article pages (link, and the link's text
    as a provisional title), at most `limit`; `found` counts the article links on the page,
    `left` the new ones beyond `limit`."""

    entries: tuple[ParsedEntry, ...]
    found: int
    seen: int
    disallowed: int
    anchors: int
    robots: RobotsCache
    left: int = 0
    not_modified: bool = False
    etag: str | None = None
    last_modified: str | None = None


async def poll_section(
    fetcher: Fetcher,
    url: str,
    *,
    seen: SeenUrls,
    user_agent: str,
    limit: int,
    max_links: int = 200,
    etag: str | None = None,
    last_modified: str | None = None,
) -> SectionPoll:
    """The new article pages linked from the section page at `url`: at most `max_links`
    article links are read from the page, `limit` new ones kept."""
    robots = RobotsCache(fetcher, user_agent)
    if not await robots.allows(url):
        raise RobotsDisallowed(url, what="page")
    page = await fetcher.fetch(url, etag=etag, last_modified=last_modified, accept=ARTICLE_ACCEPT)
    if page.not_modified:
        return SectionPoll(
            entries=(),
            found=0,
            seen=0,
            disallowed=0,
            anchors=0,
            robots=robots,
            not_modified=True,
            etag=page.etag,
            last_modified=page.last_modified,
        )
    kind = page_kind(page.body, page.content_type)
    if kind is not PageKind.HTML:
        raise NotAListing(kind, page.content_type)
    links = await asyncio.to_thread(
        article_links,
        page.body,
        url=page.url,
        content_type=page.content_type,
        limit=max_links,
        max_anchors=MAX_ANCHORS,
    )
    keyed = {key: link for link in links.links if (key := canonical_url(link.url)) is not None}
    known = set(await seen(list(keyed))) if keyed else set()
    entries: list[ParsedEntry] = []
    already = disallowed = left = 0
    for key, link in keyed.items():
        if key in known:
            already += 1
        elif len(entries) >= limit:
            left += 1
        elif not await robots.allows(link.url):
            disallowed += 1
        else:
            entries.append(ParsedEntry(link=link.url, title=html.escape(link.text, quote=False)))
    return SectionPoll(
        entries=tuple(entries),
        found=len(links.links),
        seen=already,
        disallowed=disallowed,
        anchors=links.anchors,
        robots=robots,
        left=left,
        etag=page.etag,
        last_modified=page.last_modified,
    )
