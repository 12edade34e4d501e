"""Fetch-and-parse for a section page source: the article links on the page that are new,
in page order (a listing shows its newest first), bounded, each allowed by robots.txt.
Their title and text come from the pages themselves (article_page.fetch_articles).

    poll = await poll_section(fetcher, url, seen=known_url_keys, user_agent=ua, limit=20)
    pages = await fetch_articles(fetcher, poll.entries, robots=poll.robots)

Raises FetchError, RobotsUnavailable, RobotsDisallowed, or NotAListing when the page is not
HTML.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Container
from dataclasses import dataclass

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
    as a provisional title), at most `limit`; `found` counts the article links on the page."""

    entries: tuple[ParsedEntry, ...]
    found: int
    seen: int
    disallowed: int
    anchors: int
    robots: RobotsCache


async def poll_section(
    fetcher: Fetcher,
    url: str,
    *,
    seen: Container[str],
    user_agent: str,
    limit: int,
    max_links: int = 200,
) -> SectionPoll:
    """The new article pages linked from the section page at `url`.

    `seen` holds the canonical URLs already known (bot.ingest.normalize.canonical_url);
    at most `max_links` article links are read from the page, `limit` new ones kept.
    """
    robots = RobotsCache(fetcher, user_agent)
    if not await robots.allows(url):
        raise RobotsDisallowed(url, what="page")
    page = await fetcher.fetch(url, accept=ARTICLE_ACCEPT)
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
    entries: list[ParsedEntry] = []
    already = disallowed = 0
    for link in links.links:
        if len(entries) >= limit:
            break
        if canonical_url(link.url) in seen:
            already += 1
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
    )
