"""Polling: fetch a due source, parse it, keep what is new, record the source's state."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.compose.compose import CategoryCache, CategorySet, Composer
from bot.ingest.candidates import Candidate, build_article, keyed_entries
from bot.ingest.dedupe import assign_stories
from bot.ingest.entry import ParsedFeed
from bot.ingest.fetch import Fetcher, FetchError, FetchResult
from bot.ingest.fulltext import complete_teasers
from bot.ingest.parse import FeedParseError, parse_feed
from bot.ingest.writes import PollWriter
from bot.leases import worker_id
from bot.settings import Settings
from storage import articles as article_store
from storage import deliveries as delivery_store
from storage import sources as source_store
from storage.articles import NewArticle
from storage.models import ArticleStatus
from storage.sources import PollRecord, SourceJob
from storage.types import utcnow

log = logging.getLogger(__name__)


class PollStatus(StrEnum):
    NEW = "new"  # stored at least one new article
    UNCHANGED = "unchanged"  # parsed, nothing new
    NOT_MODIFIED = "not-modified"  # 304: nothing parsed
    BACKFILL = "backfill"  # first poll: entries stored as already seen
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class PollOutcome:
    source_id: int
    url: str
    name: str | None
    status: PollStatus
    new: int = 0
    seen: int = 0
    error: str | None = None
    queued: int = 0  # deliveries created for subscribed chats
    seconds: float = 0.0
    next_poll_at: datetime | None = None


class Poller:
    """Polls sources; every outcome, failure included, is recorded on the source row."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        fetcher: Fetcher,
        *,
        clock: Callable[[], datetime] = utcnow,
        owner: str | None = None,
        composer: Composer | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._fetcher = fetcher
        self._clock = clock
        self._owner = owner or worker_id()
        self.lease = timedelta(seconds=max(600.0, 3 * settings.fetch_total_timeout))
        # Write transactions take turns, so concurrent polls see each other's stories.
        self._writer = PollWriter(sessions)
        self._composer = composer or Composer(settings)
        self._categories = CategoryCache(sessions)
        self._on_queued = on_queued

    async def claim(self, limit: int, source_ids: Sequence[int] | None = None) -> list[SourceJob]:
        async with self._sessions.begin() as session:
            return await source_store.claim_due(
                session,
                now=self._clock(),
                limit=limit,
                owner=self._owner,
                lease=self.lease,
                source_ids=source_ids,
            )

    async def poll_due(self, limit: int | None = None) -> list[PollOutcome]:
        """Claim every due source (up to `limit`) and poll them concurrently."""
        jobs = await self.claim(limit or self._settings.poll_batch_size)
        return list(await asyncio.gather(*(self.poll(job) for job in jobs)))

    async def poll(self, job: SourceJob) -> PollOutcome:
        """Poll one claimed source. Never raises: a failure becomes the source's last error."""
        started = time.perf_counter()
        try:
            outcome = await self._poll(job)
        except FetchError as exc:
            outcome = await self._fail(job, exc.kind.value, exc.message, exc.retry_after)
        except FeedParseError as exc:
            outcome = await self._fail(job, "parse", f"not a feed: {exc}")
        except Exception as exc:
            log.exception("poll of source %s failed", job.id, extra={"source_id": job.id})
            outcome = await self._fail(job, "internal", f"{type(exc).__name__}: {exc}")
        seconds = time.perf_counter() - started
        metrics.POLLS.labels(status=outcome.status.value).inc()
        return _with_seconds(outcome, seconds)

    async def _poll(self, job: SourceJob) -> PollOutcome:
        result = await self._fetcher.fetch(job.url, etag=job.etag, last_modified=job.last_modified)
        now = self._clock()
        next_poll_at = now + timedelta(seconds=self._interval(job))
        if result.not_modified:
            await self._writer.record(
                PollRecord(
                    job.id,
                    polled_at=now,
                    next_poll_at=next_poll_at,
                    etag=result.etag or job.etag,
                    last_modified=result.last_modified or job.last_modified,
                )
            )
            return PollOutcome(
                job.id, job.url, job.name, PollStatus.NOT_MODIFIED, next_poll_at=next_poll_at
            )
        feed, candidates = await asyncio.to_thread(self._parse, result)
        return await self._store(job, result, feed, candidates, now, next_poll_at)

    def _parse(self, result: FetchResult) -> tuple[ParsedFeed, list[Candidate]]:
        feed = parse_feed(result.body, url=result.url, content_type=result.content_type)
        candidates = keyed_entries(
            feed, base_url=result.url, limit=self._settings.max_entries_per_poll
        )
        return feed, candidates

    async def _store(
        self,
        job: SourceJob,
        result: FetchResult,
        feed: ParsedFeed,
        candidates: list[Candidate],
        now: datetime,
        next_poll_at: datetime,
    ) -> PollOutcome:
        async with self._sessions() as session:
            guids, urls = await article_store.known_keys(
                session,
                job.id,
                [c.guid_key for c in candidates],
                [c.url_key for c in candidates if c.url_key is not None],
            )
        fresh = [
            c
            for c in candidates
            if c.guid_key not in guids and (c.url_key is None or c.url_key not in urls)
        ]
        categories = await self._categories.get()
        articles = await asyncio.to_thread(
            self._build, job, feed, fresh, result.url, now, categories
        )
        new_ones = [a for a in articles if a.status is ArticleStatus.NEW]
        if new_ones:
            composed = await self._compose(job, new_ones, categories, now)
            by_key = {a.guid_key: a for a in composed}
            articles = [by_key.get(a.guid_key, a) for a in articles]
        # Stories first, in a short transaction of their own: it holds the lock that makes
        # concurrent pollers meet each other's stories, so it is released before the rest.
        if articles:
            articles = await self._assign_stories(job, articles, now)
        async with self._writer.transaction() as session:
            stored = await article_store.insert_articles(session, job.id, articles)
            new = sum(
                1 for a in articles if a.guid_key in stored and a.status is not ArticleStatus.SEEN
            )
            ready = [
                stored[a.guid_key]
                for a in articles
                if a.guid_key in stored and a.status is ArticleStatus.READY
            ]
            queued = await delivery_store.fan_out(session, ready, now=now)
            await source_store.record_success(
                session,
                job.id,
                now=now,
                next_poll_at=next_poll_at,
                etag=result.etag,
                last_modified=result.last_modified,
                kind=feed.kind,
                title=feed.title,
                site_url=feed.link,
                new_articles=new,
            )
        if queued and self._on_queued is not None:
            self._on_queued()
        for article in articles:
            if article.guid_key in stored and article.status is not ArticleStatus.SEEN:
                category = categories.slug_of(article.category_id) or "none"
                metrics.ARTICLES.labels(source=str(job.id), category=category).inc()
        backfilled = len(stored) - new
        status = (
            PollStatus.NEW if new else PollStatus.BACKFILL if backfilled else PollStatus.UNCHANGED
        )
        log.info(
            "polled source %s: %s new, %s backfilled, %s seen, %s deliveries queued",
            job.id,
            new,
            backfilled,
            len(candidates) - len(stored),
            queued,
            extra={"source_id": job.id},
        )
        return PollOutcome(
            job.id,
            job.url,
            job.name,
            status,
            new=new,
            seen=len(candidates) - new,
            queued=queued,
            next_poll_at=next_poll_at,
        )

    def _build(
        self,
        job: SourceJob,
        feed: ParsedFeed,
        fresh: list[Candidate],
        base_url: str,
        now: datetime,
        categories: CategorySet,
    ) -> list[NewArticle]:
        backfill = self._settings.backfill_count
        articles: list[NewArticle] = []
        for position, candidate in enumerate(fresh):
            as_new = job.first_polled or position < backfill
            article = build_article(
                candidate,
                base_url=base_url,
                language_hint=job.language or feed.language,
                fetched_at=now,
                status=ArticleStatus.NEW if as_new else ArticleStatus.SEEN,
                max_chars=self._settings.max_article_chars,
            )
            articles.append(categorized(article, categories, job.category_id))
        return articles

    async def _compose(
        self, job: SourceJob, articles: list[NewArticle], categories: CategorySet, now: datetime
    ) -> list[NewArticle]:
        """New articles with their full text where they were teasers, and their posts' words."""
        completed = await complete_teasers(
            self._fetcher,
            articles,
            min_chars=self._settings.fulltext_min_chars,
            max_chars=self._settings.max_article_chars,
        )
        written = await asyncio.gather(
            *(self._composer.write(a.title, a.text, a.language) for a in completed)
        )
        return [
            replace(
                categorized(article, categories, job.category_id)
                if article.text_source == "page"
                else article,
                headline=words.headline,
                summary=words.summary,
                composed_at=now,
                status=ArticleStatus.READY,
            )
            for article, words in zip(completed, written, strict=True)
        ]

    async def _assign_stories(
        self, job: SourceJob, articles: list[NewArticle], now: datetime
    ) -> list[NewArticle]:
        async with self._writer.transaction() as session:
            return await assign_stories(
                session,
                job.id,
                articles,
                now=now,
                window=timedelta(hours=self._settings.story_window_hours),
                threshold=self._settings.story_similarity,
            )

    async def _fail(
        self, job: SourceJob, kind: str, message: str, retry_after: float | None = None
    ) -> PollOutcome:
        now = self._clock()
        metrics.FETCH_ERRORS.labels(kind=kind).inc()
        delay = self._backoff(job, retry_after)
        next_poll_at = now + timedelta(seconds=delay)
        log.warning(
            "source %s failed (%s): %s; next poll in %.0f s",
            job.id,
            kind,
            message,
            delay,
            extra={"source_id": job.id},
        )
        await self._writer.record(
            PollRecord(
                job.id,
                polled_at=now,
                next_poll_at=next_poll_at,
                failures=job.failures + 1,
                error_kind=kind,
                error=message,
            )
        )
        return PollOutcome(
            job.id, job.url, job.name, PollStatus.ERROR, error=message, next_poll_at=next_poll_at
        )

    def _interval(self, job: SourceJob) -> int:
        return job.interval_seconds or self._settings.poll_interval_seconds

    def _backoff(self, job: SourceJob, retry_after: float | None) -> float:
        """Exponential in the failures so far, from the source's own interval, capped."""
        cap = float(self._settings.backoff_max_seconds)
        delay = min(cap, self._interval(job) * 2.0 ** min(job.failures, 32))
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, cap)


def categorized(article: NewArticle, categories: CategorySet, fixed_id: int | None) -> NewArticle:
    """The article with its category: the source's fixed one, its tags', or its words'."""
    decision = categories.categorizer.categorize(
        title=article.title,
        text=article.text,
        tags=article.tags,
        language=article.language,
        fixed=categories.slug_of(fixed_id),
    )
    return replace(article, category_id=categories.ids.get(decision.slug))


def _with_seconds(outcome: PollOutcome, seconds: float) -> PollOutcome:
    return replace(outcome, seconds=seconds)
