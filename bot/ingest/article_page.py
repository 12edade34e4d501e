"""Article pages as feed entries, for sources that list pages rather than carry their text
(news sitemaps, section pages): fetch each page and extract its article.

`article_entry` is pure and CPU-bound (callers run it in a thread); `fetch_articles` fetches a
batch with the fetcher's limits and SSRF guard, honours robots.txt, and reports each page that
gave no article with a one-line reason instead of failing the batch, saying whether another
try later may do better (`retry`).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Final

from bot.ingest.entry import ParsedEntry
from bot.ingest.extract import extract_article
from bot.ingest.fetch import (
    ARTICLE_ACCEPT,
    Fetcher,
    FetchError,
    FetchErrorKind,
    FetchPool,
    FetchResult,
)
from bot.ingest.parse_common import text_html
from bot.ingest.robots import RobotsCache, RobotsUnavailable
from bot.text.clean import title_or_lead

MIN_TEXT_CHARS: Final = 40
"""Less main text than this is a page's leftovers (a menu, a caption), not an article."""

# Failures that say nothing of the page itself: the next poll tries it again.
_PASSING: Final = frozenset(
    {
        FetchErrorKind.TIMEOUT,
        FetchErrorKind.CONNECT,
        FetchErrorKind.DNS,
        FetchErrorKind.TLS,
        FetchErrorKind.DISCONNECTED,
        FetchErrorKind.RATE_LIMITED,
    }
)

SeenUrls = Callable[[Sequence[str]], Awaitable[Collection[str]]]
"""Which of these canonical URLs (bot.ingest.normalize.canonical_url) a source has already."""


async def nothing_seen(_keys: Sequence[str]) -> Collection[str]:
    """The lookup of a source that has nothing yet (a preview)."""
    return ()


@dataclass(frozen=True, slots=True)
class ArticlePage:
    """One listed page: its entry, or why it gave none (`problem`, one line) and whether
    that may pass (`retry`: a timeout, a lost connection, a 5xx or 429 answer)."""

    url: str
    entry: ParsedEntry | None = None
    problem: str | None = None
    retry: bool = False


def article_entry(
    body: bytes | str,
    *,
    url: str,
    content_type: str | None = None,
    listed: ParsedEntry | None = None,
) -> ParsedEntry | None:
    """The article on a fetched page as an entry, or None when the page has no main text.

    `listed` is what the listing said of the page (its link, a title or date from a news
    sitemap); the page's own title, date, image and language win, the listing fills the
    gaps. The entry's link is the listed URL, which identifies it, not where it redirected.
    """
    article = extract_article(body, url=url, content_type=content_type)
    if article is None or len(article.text) < MIN_TEXT_CHARS:
        return None
    base = listed or ParsedEntry(link=url)
    # A page without a title gets its text's first words as one: the listing's title (a news
    # sitemap's) is better than that.
    own = article.title or ""
    listed_title = html.unescape(base.title)
    stand_in = not own or own == title_or_lead("", article.text)
    title = listed_title if listed_title and stand_in else own
    return replace(
        base,
        link=base.link or url,
        title=html.escape(title, quote=False),
        content=text_html(article.text),
        summary="",
        published=article.published or base.published,
        image_url=article.image_url or base.image_url,
        language=article.language or base.language,
    )


async def fetch_articles(
    fetcher: Fetcher,
    listed: Sequence[ParsedEntry],
    *,
    robots: RobotsCache | None = None,
    concurrency: int | None = None,
    deadline: float | None = None,
) -> list[ArticlePage]:
    """Each listed entry's page fetched and extracted, in the order given.

    With `robots`, a page its site's robots.txt disallows (or whose robots.txt cannot be
    read) is not fetched. The pages go through the fetcher's page pool, with its limits
    (overall, per site and per address), so they never hold up a source's own document;
    `concurrency` bounds those of this call in flight at once, and a page not done
    `deadline` seconds from now is given up (`retry`: a later poll tries it again).
    """
    gate = asyncio.Semaphore(concurrency) if concurrency else None

    async def one(entry: ParsedEntry) -> ArticlePage:
        if gate is None:
            return await _one(fetcher, entry, robots)
        async with gate:
            return await _one(fetcher, entry, robots)

    tasks = [asyncio.create_task(one(entry)) for entry in listed]
    if not tasks:
        return []
    try:
        done, _ = await asyncio.wait(tasks, timeout=deadline)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return [
        task.result()
        if task in done
        else ArticlePage(entry.link or "", problem="not fetched in time", retry=True)
        for task, entry in zip(tasks, listed, strict=True)
    ]


async def _one(fetcher: Fetcher, listed: ParsedEntry, robots: RobotsCache | None) -> ArticlePage:
    url = listed.link or ""
    if not url:
        return ArticlePage(url, problem="the entry has no link")
    if robots is not None:
        try:
            if not await robots.allows(url):
                return ArticlePage(url, problem="robots.txt disallows it")
        except RobotsUnavailable as exc:
            return ArticlePage(url, problem=exc.message, retry=True)
    try:
        page: FetchResult = await fetcher.fetch(url, accept=ARTICLE_ACCEPT, pool=FetchPool.PAGES)
    except FetchError as exc:
        status = exc.status or 0
        retry = exc.kind in _PASSING or status >= 500 or status == 429
        return ArticlePage(url, problem=exc.message, retry=retry)
    entry = await asyncio.to_thread(
        article_entry, page.body, url=page.url, content_type=page.content_type, listed=listed
    )
    if entry is None:
        return ArticlePage(url, problem="the page has no article text")
    return ArticlePage(url, entry=entry)
