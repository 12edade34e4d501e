"""robots.txt (RFC 9309) through Protego: whether a URL may be fetched, and the sitemaps a
site lists on its `Sitemap:` lines.

A robots.txt that is missing (any 4xx) allows everything; one that cannot be read (5xx, a
failed connection, a timeout) is RobotsUnavailable, which RFC 9309 says to treat as "disallow
everything" until it can be read again.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urljoin, urlsplit

from protego import Protego

from bot.ingest.fetch import Fetcher, FetchError, FetchErrorKind

ROBOTS_MAX_BYTES: Final = 512 * 1024  # RFC 9309 asks crawlers to read at least 500 KiB
ROBOTS_ACCEPT: Final = "text/plain, */*;q=0.5"
MAX_SITEMAP_LINES: Final = 50


class RobotsUnavailable(Exception):
    """The site's robots.txt could not be read: nothing on the site may be fetched now."""

    def __init__(self, site: str, reason: str) -> None:
        self.site = site
        self.message = f"robots.txt of {site} could not be read ({reason}), so nothing is fetched"
        super().__init__(self.message)


class RobotsDisallowed(Exception):
    """robots.txt forbids fetching a source's own URL."""

    def __init__(self, url: str, *, what: str) -> None:
        self.url = url
        self.message = f"robots.txt of {urlsplit(url).netloc} disallows fetching this {what}"
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class Robots:
    """A site's rules; `sitemaps` are the absolute URLs of its `Sitemap:` lines, in order."""

    url: str
    rules: Protego | None = None
    sitemaps: tuple[str, ...] = ()

    def allows(self, url: str, user_agent: str) -> bool:
        return self.rules is None or self.rules.can_fetch(url, user_agent)


def robots_url(url: str) -> str:
    """The robots.txt that governs `url`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def parse_robots(text: str, *, url: str) -> Robots:
    """The rules in robots.txt `text` fetched from `url`."""
    rules = Protego.parse(text)
    sitemaps: dict[str, None] = {}
    for line in rules.sitemaps:
        absolute = urljoin(url, line.strip())
        if absolute.startswith(("http://", "https://")) and len(absolute) <= 2048:
            sitemaps.setdefault(absolute)
        if len(sitemaps) == MAX_SITEMAP_LINES:
            break
    return Robots(url=url, rules=rules, sitemaps=tuple(sitemaps))


async def fetch_robots(fetcher: Fetcher, url: str) -> Robots:
    """The robots.txt of `url`'s site; RobotsUnavailable when it cannot be read."""
    target = robots_url(url)
    site = urlsplit(target).netloc
    try:
        result = await fetcher.fetch(target, max_bytes=ROBOTS_MAX_BYTES, accept=ROBOTS_ACCEPT)
    except FetchError as exc:
        status = exc.status or 0
        if exc.kind is FetchErrorKind.HTTP_STATUS and 400 <= status < 500:
            return Robots(url=target)
        raise RobotsUnavailable(site, exc.message) from None
    return parse_robots(result.body.decode("utf-8", errors="replace"), url=result.url)


@dataclass(slots=True)
class RobotsCache:
    """robots.txt fetched once per site (a failure too), for the length of one poll."""

    fetcher: Fetcher
    user_agent: str
    _sites: dict[str, Robots | RobotsUnavailable] = field(default_factory=dict)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def robots(self, url: str) -> Robots:
        """The rules for `url`'s site; RobotsUnavailable when they cannot be read."""
        key = robots_url(url)
        async with self._lock:
            if key not in self._sites:
                try:
                    self._sites[key] = await fetch_robots(self.fetcher, url)
                except RobotsUnavailable as exc:
                    self._sites[key] = exc
        known = self._sites[key]
        if isinstance(known, RobotsUnavailable):
            raise known
        return known

    async def allows(self, url: str) -> bool:
        return (await self.robots(url)).allows(url, self.user_agent)
