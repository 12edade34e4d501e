"""Full text for entries that carry only a teaser: fetch the page, extract its main text.

The page is the one the caller names for each article: its link for a feed entry, the link
preview's page for a Telegram message (whose own link is the message itself).

The pages of one poll are fetched in the fetcher's page pool and bounded three ways: at most
FULLTEXT_PER_POLL at once, FULLTEXT_MAX_PAGES in all, none after FULLTEXT_DEADLINE_SECONDS.
A teaser whose page is not fetched in time (late) or not at all (over budget) keeps the
feed's text and is stored so: it is counted on the result, logged and in the
nashra_fulltext_pages_total metric, and never fetched again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from urllib.parse import urlsplit

from bot import metrics
from bot.ingest.extract import extract_article
from bot.ingest.fetch import ARTICLE_ACCEPT, Fetcher, FetchError, FetchPool
from bot.ingest.hostlimits import site_of
from storage.articles import NewArticle

log = logging.getLogger(__name__)


class PageOutcome(StrEnum):
    PAGE = "page"  # the page's main text replaced the teaser
    TEASER = "teaser"  # the page was fetched but gave no longer text
    FAILED = "failed"  # the fetch failed
    LATE = "late"  # not done by the poll's deadline: cancelled or never started
    OVER_BUDGET = "over_budget"  # past the poll's page budget: never started


@dataclass(frozen=True, slots=True)
class FullTexts:
    """The articles after the full-text step, and how many teasers ended each way."""

    articles: list[NewArticle]
    outcomes: Counter[PageOutcome]

    @property
    def skipped(self) -> int:
        """Teasers whose page was never fetched: they keep the feed's text for good."""
        return self.outcomes[PageOutcome.LATE] + self.outcomes[PageOutcome.OVER_BUDGET]


def is_teaser(article: NewArticle, min_chars: int) -> bool:
    return min_chars > 0 and len(article.text) < min_chars


async def complete_teasers(
    fetcher: Fetcher,
    articles: Sequence[NewArticle],
    *,
    pages: Mapping[str, str] | None = None,
    min_chars: int,
    max_chars: int,
    deadline: float | None = None,
    max_pages: int | None = None,
    per_poll: int | None = None,
) -> list[NewArticle]:
    """The articles, each teaser replaced by its page's main text where that is longer.

    See `fetch_full_texts`, which also tells what became of each teaser.
    """
    done = await fetch_full_texts(
        fetcher,
        articles,
        pages=pages,
        min_chars=min_chars,
        max_chars=max_chars,
        deadline=deadline,
        max_pages=max_pages,
        per_poll=per_poll,
    )
    return done.articles


async def fetch_full_texts(
    fetcher: Fetcher,
    articles: Sequence[NewArticle],
    *,
    pages: Mapping[str, str] | None = None,
    min_chars: int,
    max_chars: int,
    deadline: float | None = None,
    max_pages: int | None = None,
    per_poll: int | None = None,
) -> FullTexts:
    """Fetch the pages of the teasers among `articles` (the first `max_pages`, at most
    `per_poll` at once, until `deadline` seconds from now); unset limits come from the
    fetcher's settings (FULLTEXT_*). `pages` maps an article's guid key to the page holding
    its full text, an article without one being left as it is; by default it is each
    article's own link. Articles come back in their order."""
    settings = fetcher.settings
    deadline = settings.fulltext_deadline_seconds if deadline is None else deadline
    max_pages = settings.fulltext_max_pages if max_pages is None else max_pages
    gate = asyncio.Semaphore(settings.fulltext_per_poll if per_poll is None else per_poll)
    where: Mapping[str, str] = (
        pages if pages is not None else {a.guid_key: a.url for a in articles if a.url}
    )
    results = list(articles)
    teasers = [
        index
        for index, article in enumerate(articles)
        if article.guid_key in where and is_teaser(article, min_chars)
    ]
    outcomes: Counter[PageOutcome] = Counter()
    outcomes[PageOutcome.OVER_BUDGET] = max(0, len(teasers) - max_pages)

    async def complete(index: int) -> None:
        async with gate:
            article = articles[index]
            results[index], outcome = await _complete(
                fetcher, article, where[article.guid_key], max_chars
            )
        outcomes[outcome] += 1

    tasks = {asyncio.create_task(complete(index)): index for index in teasers[:max_pages]}
    late: list[int] = []
    if tasks:
        try:
            _, pending = await asyncio.wait(tasks, timeout=deadline)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        late = sorted(tasks[task] for task in pending)
        for task in tasks:
            if task not in pending and (error := task.exception()) is not None:
                raise error
    outcomes[PageOutcome.LATE] = len(late)
    done = FullTexts(results, +outcomes)  # unary + drops the zero counts
    for outcome, count in done.outcomes.items():
        metrics.FULLTEXT_PAGES.labels(outcome=outcome.value).inc(count)
    if done.skipped:
        late_pages = [where[articles[index].guid_key] for index in late]
        _log_skipped(done, late_pages, deadline, max_pages)
    return done


def _log_skipped(done: FullTexts, late: list[str], deadline: float, max_pages: int) -> None:
    sites = sorted({site_of(urlsplit(url).hostname or "") for url in late} - {""})
    log.warning(
        "full text: %s teaser(s) not fetched, stored with the feed's text: %s still fetching "
        "at the %.0f s deadline%s, %s past the budget of %s pages",
        done.skipped,
        done.outcomes[PageOutcome.LATE],
        deadline,
        f" (from {', '.join(sites[:3])}{', …' if len(sites) > 3 else ''})" if sites else "",
        done.outcomes[PageOutcome.OVER_BUDGET],
        max_pages,
    )


async def _complete(
    fetcher: Fetcher, article: NewArticle, url: str, max_chars: int
) -> tuple[NewArticle, PageOutcome]:
    try:
        page = await fetcher.fetch(url, accept=ARTICLE_ACCEPT, pool=FetchPool.PAGES)
    except FetchError as exc:
        log.info("full text of %s not fetched: %s", url, exc.message)
        return article, PageOutcome.FAILED
    extracted = await asyncio.to_thread(
        extract_article, page.body, url=page.url, content_type=page.content_type
    )
    if extracted is None or len(extracted.text) <= len(article.text):
        return article, PageOutcome.TEASER
    page_article = replace(
        article,
        text=extracted.text[:max_chars],
        text_source="page",
        image_url=article.image_url or extracted.image_url,
    )
    return page_article, PageOutcome.PAGE
