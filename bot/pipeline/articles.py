"""From a source's parsed document to composed articles: the one path every caller takes.

    pipeline = Pipeline(settings, fetcher, composer)
    processed = await pipeline.process(source, read.feed, read.url, categories, now=now,
                                       known=…, stories=…)

In order: the document's first entries with their identity keys; those the source already has
left out (`known`); the rest built into articles, new or (on a first poll, or when the reader
asks to `remember` them only) seen; each new one
matched to a story (`stories`) — a repeat of a story already known is stored as one more
source of it, composed from its feed text only (no page fetch, no LLM); full text for the
other new ones that are teasers; every article categorized once, on its final text; new ones
composed (headline and summary). The poller passes lookups on the database; previews pass
none, and every entry is new.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from bot.compose.compose import CategorySet, Composer
from bot.ingest.candidates import Candidate, build_article, keyed_entries
from bot.ingest.dedupe import Stories
from bot.ingest.entry import ParsedFeed
from bot.ingest.fetch import Fetcher
from bot.ingest.fulltext import fetch_full_texts
from bot.pipeline.read import SourceInfo
from bot.settings import Settings
from storage.articles import NewArticle
from storage.models import ArticleStatus

# Documents whose entries took their text from their own pages already (nothing to complete),
# and those whose links are no article page (a Telegram message: its full text, if any, is on
# its link preview's page).
_TEXT_FROM_PAGE = frozenset({"page", "sitemap", "section"})
_LINK_NOT_A_PAGE = frozenset({"telegram"})


class KnownKeys(Protocol):
    """Which of these candidates' guid keys and url keys the source has already."""

    async def __call__(self, candidates: Sequence[Candidate]) -> tuple[set[str], set[str]]: ...


class StoryMatch(Protocol):
    async def __call__(self, articles: Sequence[NewArticle]) -> Stories: ...


@dataclass(frozen=True, slots=True)
class Processed:
    articles: list[NewArticle]
    """To store: new ones composed (READY), backfill as SEEN, in the document's order."""
    entries: int
    """Entries of the document looked at (within the limit), known ones included."""
    repeats: int = 0
    """New articles of a story another source told first."""
    pages_skipped: int = 0
    """Teasers whose page was not fetched in time or within the poll's budget: they keep the
    feed's text."""


class Pipeline:
    def __init__(self, settings: Settings, fetcher: Fetcher, composer: Composer) -> None:
        self._settings = settings
        self.fetcher = fetcher
        self._composer = composer

    async def process(
        self,
        source: SourceInfo,
        feed: ParsedFeed,
        base_url: str,
        categories: CategorySet,
        *,
        now: datetime,
        limit: int | None = None,
        known: KnownKeys | None = None,
        stories: StoryMatch | None = None,
        remember: Collection[str] = (),
    ) -> Processed:
        """The document's articles that are new to the source, ready to store; entries whose
        link is in `remember` are stored as seen, never published."""
        candidates = keyed_entries(
            feed, base_url=base_url, limit=limit or self._settings.max_entries_per_poll
        )
        fresh = candidates
        if known is not None and candidates:
            guids, urls = await known(candidates)
            fresh = [
                c
                for c in candidates
                if c.guid_key not in guids and (c.url_key is None or c.url_key not in urls)
            ]
        articles = await asyncio.to_thread(
            self._build, source, feed, fresh, base_url, now, remember
        )
        repeats: frozenset[str] = frozenset()
        if stories is not None and articles:
            matched = await stories(articles)
            articles, repeats = matched.articles, matched.repeats
        pages = _full_text_pages(feed.kind, fresh)
        articles, skipped = await self._complete(source, articles, categories, repeats, pages, now)
        return Processed(articles, len(candidates), len(repeats), skipped)

    def _build(
        self,
        source: SourceInfo,
        feed: ParsedFeed,
        fresh: list[Candidate],
        base_url: str,
        now: datetime,
        remember: Collection[str],
    ) -> list[NewArticle]:
        backfill = self._settings.backfill_count
        text_source = "page" if feed.kind in _TEXT_FROM_PAGE else "feed"
        articles = []
        for position, candidate in enumerate(fresh):
            new = (not source.backfill or position < backfill) and (
                candidate.entry.link not in remember
            )
            article = build_article(
                candidate,
                base_url=base_url,
                language_hint=source.language or feed.language,
                fetched_at=now,
                status=ArticleStatus.NEW if new else ArticleStatus.SEEN,
                max_chars=self._settings.max_article_chars,
            )
            articles.append(replace(article, text_source=text_source))
        return articles

    async def _complete(
        self,
        source: SourceInfo,
        articles: list[NewArticle],
        categories: CategorySet,
        repeats: frozenset[str],
        pages: dict[str, str],
        now: datetime,
    ) -> tuple[list[NewArticle], int]:
        first_told = [
            a for a in articles if a.status is ArticleStatus.NEW and a.guid_key not in repeats
        ]
        skipped = 0
        if first_told:
            done = await fetch_full_texts(
                self.fetcher,
                first_told,
                pages=pages,
                min_chars=self._settings.fulltext_min_chars,
                max_chars=self._settings.max_article_chars,
            )
            skipped = done.skipped
            by_key = {a.guid_key: a for a in done.articles}
            articles = [by_key.get(a.guid_key, a) for a in articles]
        articles = await asyncio.to_thread(_categorized, articles, categories, source.category)
        new = [a for a in articles if a.status is ArticleStatus.NEW]
        written = await asyncio.gather(
            *(
                self._composer.write(a.title, a.text, a.language, llm=a.guid_key not in repeats)
                for a in new
            )
        )
        composed = {
            a.guid_key: replace(
                a,
                headline=words.headline,
                summary=words.summary,
                composed_at=now,
                status=ArticleStatus.READY,
            )
            for a, words in zip(new, written, strict=True)
        }
        return [composed.get(a.guid_key, a) for a in articles], skipped


def _full_text_pages(kind: str, candidates: Sequence[Candidate]) -> dict[str, str]:
    """guid key → the page holding the entry's full text: the link preview's page (a
    Telegram message's), else its link, unless its text came from its page already."""
    if kind in _TEXT_FROM_PAGE:
        return {}
    pages = {}
    for candidate in candidates:
        page = candidate.entry.preview_url or (None if kind in _LINK_NOT_A_PAGE else candidate.url)
        if page:
            pages[candidate.guid_key] = page
    return pages


def _categorized(
    articles: list[NewArticle], categories: CategorySet, fixed: str | None
) -> list[NewArticle]:
    """New articles categorized; those stored as seen are never delivered, and keep none."""
    return [
        a if a.status is ArticleStatus.SEEN else categorized(a, categories, fixed) for a in articles
    ]


def categorized(article: NewArticle, categories: CategorySet, fixed: str | None) -> NewArticle:
    """The article with its category: the source's fixed one, its tags', or its words'."""
    decision = categories.categorizer.categorize(
        title=article.title,
        text=article.text,
        tags=article.tags,
        language=article.language,
        fixed=fixed,
    )
    return replace(article, category_id=categories.ids.get(decision.slug))
