"""Feed autodiscovery: from a site's homepage (or any page) to the feeds it offers.

`advertised_feeds` and `usual_feed_urls` are pure. `discover` fetches the page; if it is a
feed, that is the answer; if it is HTML, the feeds it advertises (<link rel="alternate">, in
page order) or, when it advertises none, the usual places (/feed, /rss …) are fetched and
parsed, a bounded number of them. When none is found, it says what else may work: the
sitemaps robots.txt lists, or the page itself as a section page when it links to articles.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html

from bot.ingest.doctype import PageKind, page_kind
from bot.ingest.extract import decode_html
from bot.ingest.fetch import FEED_ACCEPT, Fetcher, FetchError
from bot.ingest.parse import FeedParseError, parse_feed
from bot.ingest.robots import RobotsUnavailable, fetch_robots
from bot.ingest.section import article_links
from bot.text.clean import clean_text

FEED_TYPES: Final = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
    "application/rdf+xml": "rss",
    "application/xml": "rss",
    "text/xml": "rss",
}
USUAL_PATHS: Final = ("/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml")
DEFAULT_MAX_CANDIDATES: Final = 6
MIN_SECTION_LINKS: Final = 5
MAX_ADVERTISED: Final = 50


class Outcome(StrEnum):
    IS_FEED = "is_feed"  # the URL itself is a feed
    FOUND = "found"  # the page offers one feed or more
    NONE = "none"  # an HTML page without a feed that could be read
    NOT_A_PAGE = "not_a_page"  # neither a feed nor HTML


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed a page advertises: its absolute URL, its title and its type (rss/atom/json)."""

    url: str
    title: str = ""
    type: str = ""


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A feed fetched and parsed: its URL, title (the link's, else the feed's), kind
    (rss20, atom10, json…), entry count, and whether the page advertised it."""

    url: str
    title: str
    kind: str
    entries: int
    advertised: bool


@dataclass(frozen=True, slots=True)
class Rejected:
    url: str
    reason: str


@dataclass(frozen=True, slots=True)
class Discovery:
    """What a URL offers. `feeds` in page order (advertised), else in USUAL_PATHS order;
    `rejected` are candidates that gave no feed; `sitemaps` come from robots.txt;
    `section_links` counts the page's article links (a section page candidate when it is
    MIN_SECTION_LINKS or more)."""

    url: str
    outcome: Outcome
    page: PageKind
    feeds: tuple[FoundFeed, ...] = ()
    rejected: tuple[Rejected, ...] = ()
    sitemaps: tuple[str, ...] = ()
    section_links: int = 0

    @property
    def section_page(self) -> bool:
        return self.section_links >= MIN_SECTION_LINKS


def advertised_feeds(document: bytes | str, *, url: str) -> tuple[FeedLink, ...]:
    """The feeds a page advertises with <link rel="alternate" type=…>, in page order, each
    once, resolved against <base href> or the page URL."""
    text = decode_html(document) if isinstance(document, bytes) else document
    try:
        root = lxml.html.document_fromstring(text) if text.strip() else None
    except (ValueError, lxml.etree.ParserError):
        root = None
    if root is None:
        return ()
    base = url
    for element in root.iter("base"):
        if href := (element.get("href") or "").strip():
            base = _join(url, href) or url
            break
    feeds: dict[str, FeedLink] = {}
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        kind = FEED_TYPES.get((link.get("type") or "").split(";")[0].strip().lower())
        absolute = _join(base, (link.get("href") or "").strip())
        if "alternate" not in rel or kind is None or absolute is None or absolute in feeds:
            continue
        feeds[absolute] = FeedLink(absolute, clean_text(link.get("title") or "")[:200], kind)
        if len(feeds) == MAX_ADVERTISED:
            break
    return tuple(feeds.values())


def usual_feed_urls(url: str) -> tuple[str, ...]:
    """Where sites usually keep their feed, at the root of `url`'s site."""
    parts = urlsplit(url)
    return tuple(f"{parts.scheme}://{parts.netloc}{path}" for path in USUAL_PATHS)


async def discover(
    fetcher: Fetcher, url: str, *, max_candidates: int = DEFAULT_MAX_CANDIDATES
) -> Discovery:
    """What `url` offers as a source. Raises FetchError when the URL itself cannot be fetched."""
    page = await fetcher.fetch(url, accept=FEED_ACCEPT)
    kind = page_kind(page.body, page.content_type)
    if kind is PageKind.FEED:
        found = await asyncio.to_thread(_check_body, page.body, page.url, page.content_type, "")
        if isinstance(found, FoundFeed):
            return Discovery(page.url, Outcome.IS_FEED, kind, feeds=(found,))
        return Discovery(page.url, Outcome.NOT_A_PAGE, kind, rejected=(Rejected(page.url, found),))
    if kind is not PageKind.HTML:
        sitemaps = (page.url,) if kind is PageKind.SITEMAP else ()
        return Discovery(page.url, Outcome.NOT_A_PAGE, kind, sitemaps=sitemaps)
    advertised = await asyncio.to_thread(advertised_feeds, page.body, url=page.url)
    candidates = [(feed.url, feed.title, True) for feed in advertised]
    if not candidates:
        candidates = [(feed_url, "", False) for feed_url in usual_feed_urls(page.url)]
    checked = await asyncio.gather(
        *(_check(fetcher, *candidate) for candidate in candidates[:max_candidates])
    )
    feeds = _unique([result for result in checked if isinstance(result, FoundFeed)])
    rejected = tuple(result for result in checked if isinstance(result, Rejected) and result.url)
    if not advertised:
        rejected = ()  # the usual places are guesses: their absence is no news
    if feeds:
        return Discovery(page.url, Outcome.FOUND, kind, feeds=feeds, rejected=rejected)
    links = await asyncio.to_thread(
        article_links, page.body, url=page.url, content_type=page.content_type
    )
    return Discovery(
        page.url,
        Outcome.NONE,
        kind,
        rejected=rejected,
        sitemaps=await _sitemaps(fetcher, page.url),
        section_links=len(links.links),
    )


async def _check(fetcher: Fetcher, url: str, title: str, advertised: bool) -> FoundFeed | Rejected:
    try:
        result = await fetcher.fetch(url, accept=FEED_ACCEPT)
    except FetchError as exc:
        return Rejected(url, exc.message)
    found = await asyncio.to_thread(
        _check_body, result.body, result.url, result.content_type, title
    )
    if isinstance(found, FoundFeed):
        return FoundFeed(found.url, found.title, found.kind, found.entries, advertised)
    return Rejected(url, found)


def _check_body(body: bytes, url: str, content_type: str | None, title: str) -> FoundFeed | str:
    """The feed in `body`, or why there is none."""
    if page_kind(body, content_type) is not PageKind.FEED:
        return f"gave {page_kind(body, content_type).value}, not a feed"
    try:
        feed = parse_feed(body, url=url, content_type=content_type)
    except FeedParseError as exc:
        return f"not a feed: {exc}"
    return FoundFeed(url, title or clean_text(feed.title)[:200], feed.kind, len(feed.entries), True)


def _unique(feeds: list[FoundFeed]) -> tuple[FoundFeed, ...]:
    """One per final URL (several links may redirect to the same feed), first kept."""
    unique: dict[str, FoundFeed] = {}
    for feed in feeds:
        unique.setdefault(feed.url, feed)
    return tuple(unique.values())


async def _sitemaps(fetcher: Fetcher, url: str) -> tuple[str, ...]:
    try:
        return (await fetch_robots(fetcher, url)).sitemaps
    except RobotsUnavailable:
        return ()


def _join(base: str, href: str) -> str | None:
    if not href:
        return None
    try:
        absolute = urljoin(base, href)
    except ValueError:
        return None
    return absolute if absolute.startswith(("http://", "https://")) else None
