"""Polling: read a due source, take it through the pipeline, store what is new with its
deliveries, record the source's state."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.compose.compose import CategorySet, Composer
from bot.ingest.candidates import Candidate
from bot.ingest.dedupe import Stories, assign_stories
from bot.ingest.fetch import Fetcher, FetchError
from bot.ingest.parse import FeedParseError
from bot.leases import worker_id
from bot.pipeline.articles import Pipeline, Processed
from bot.pipeline.read import Read, ReadError, SourceInfo
from bot.pipeline.read_kinds import read_source
from bot.pipeline.writes import PollWriter
from bot.services import search as search_service
from bot.services.catalog import CategoryCache
from bot.settings import Settings
from bot.text.filters import admitter
from storage import articles as article_store
from storage import deliveries as delivery_store
from storage import sources as source_store
from storage.articles import NewArticle
from storage.models import ArticleStatus
from storage.sources import PollRecord, SourceJob
from storage.types import utcnow

log = logging.getLogger(__name__)


READ_SLOTS = 4
"""Polls reading the database at once (the known keys): 200 polls at once must not take every
connection of the pool, which start-up, the sender and the bot share."""

LEASE_SECONDS = 120.0
"""How long a claimed source stays with its poller without a heartbeat: a poll renews it
every third of that while it runs, so a dead poller's sources are due again within it."""


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
        categories: CategoryCache | None = None,
        on_queued: Callable[[], None] | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._pipeline = Pipeline(settings, fetcher, composer or Composer(settings))
        self._clock = clock
        self._owner = owner or worker_id()
        self.lease = timedelta(seconds=LEASE_SECONDS)
        # Write transactions take turns, so concurrent polls see each other's stories.
        self._writer = PollWriter(sessions)
        self._categories = categories or CategoryCache(sessions)
        self._reads = asyncio.Semaphore(READ_SLOTS)
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
        """Poll one claimed source, renewing its lease while the poll runs. Never raises: a
        failure becomes the source's last error."""
        started = time.perf_counter()
        work = asyncio.create_task(self._poll(job))
        heartbeat = asyncio.create_task(self._heartbeat(job, work))
        try:
            outcome = await work
        except asyncio.CancelledError:
            if not heartbeat.done() or heartbeat.cancelled():
                raise  # the poll itself was cancelled, not stopped for a lost lease
            outcome = PollOutcome(
                job.id, job.url, job.name, PollStatus.ERROR, error="its lease was lost"
            )
        except FetchError as exc:
            outcome = await self._fail(job, exc.kind.value, exc.message, exc.retry_after)
        except FeedParseError as exc:
            outcome = await self._fail(job, "parse", f"not a feed: {exc}")
        except ReadError as exc:
            outcome = await self._fail(job, exc.kind, exc.message)
        except Exception as exc:
            log.exception("poll of source %s failed", job.id, extra={"source_id": job.id})
            outcome = await self._fail(job, "internal", f"{type(exc).__name__}: {exc}")
        finally:
            heartbeat.cancel()
        seconds = time.perf_counter() - started
        metrics.POLLS.labels(status=outcome.status.value).inc()
        return _with_seconds(outcome, seconds)

    async def _heartbeat(self, job: SourceJob, work: asyncio.Task[PollOutcome]) -> None:
        """Renew the lease every third of it; stop the poll when another poller has it."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            async with self._writer.transaction() as session:
                kept = await source_store.renew_lease(
                    session, job.id, owner=self._owner, until=self._clock() + self.lease
                )
            if not kept:
                log.warning(
                    "source %s: its lease went to another poller; this poll stops",
                    job.id,
                    extra={"source_id": job.id},
                )
                work.cancel()
                return

    async def _poll(self, job: SourceJob) -> PollOutcome:
        categories = await self._categories.get()
        source = _source_info(job, categories)
        read = await read_source(
            self._pipeline.fetcher,
            source,
            self._settings,
            now=self._clock(),
            seen=functools.partial(self._known_urls, job.id),
        )
        for note in read.notes:
            log.info("source %s: %s", job.id, note, extra={"source_id": job.id})
        now = self._clock()
        next_poll_at = now + timedelta(seconds=self._interval(job))
        if read.feed is None:
            await self._writer.record(
                PollRecord(
                    job.id,
                    polled_at=now,
                    next_poll_at=next_poll_at,
                    etag=read.etag or job.etag,
                    last_modified=read.last_modified or job.last_modified,
                )
            )
            return PollOutcome(
                job.id, job.url, job.name, PollStatus.NOT_MODIFIED, next_poll_at=next_poll_at
            )
        processed = await self._pipeline.process(
            source,
            read.feed,
            read.url,
            categories,
            now=now,
            limit=read.limit,
            known=functools.partial(self._known_keys, job.id),
            stories=functools.partial(self._match_stories, job.id, now),
            remember=read.remember,
        )
        return await self._store(job, read, processed, categories, now, next_poll_at)

    async def _known_keys(
        self, source_id: int, candidates: Sequence[Candidate]
    ) -> tuple[set[str], set[str]]:
        async with self._reads, self._sessions() as session:
            return await article_store.known_keys(
                session,
                source_id,
                [c.guid_key for c in candidates],
                [c.url_key for c in candidates if c.url_key is not None],
            )

    async def _known_urls(self, source_id: int, url_keys: Sequence[str]) -> set[str]:
        async with self._sessions() as session:
            return await article_store.known_url_keys(session, source_id, url_keys)

    async def _match_stories(
        self, source_id: int, now: datetime, articles: Sequence[NewArticle]
    ) -> Stories:
        # A short transaction of its own: it holds the lock that makes concurrent pollers
        # meet each other's stories, so it is released before the articles are written.
        async with self._writer.transaction() as session:
            return await assign_stories(
                session,
                source_id,
                articles,
                now=now,
                window=timedelta(hours=self._settings.story_window_hours),
                threshold=self._settings.story_similarity,
            )

    async def _store(
        self,
        job: SourceJob,
        read: Read,
        processed: Processed,
        categories: CategorySet,
        now: datetime,
        next_poll_at: datetime,
    ) -> PollOutcome:
        assert read.feed is not None
        articles = processed.articles
        searchable = {  # made before the write turn: the words of what can be searched
            a.guid_key: search_service.document(a.title, a.headline, a.summary)
            for a in articles
            if a.status is ArticleStatus.READY
        }
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
            queued = await delivery_store.fan_out(session, ready, now=now, admit=admitter)
            await search_service.index_documents(
                session, {stored[key]: words for key, words in searchable.items() if key in stored}
            )
            await source_store.record_success(
                session,
                job.id,
                now=now,
                next_poll_at=next_poll_at,
                etag=read.etag,
                last_modified=read.last_modified,
                format=read.feed.kind,
                title=read.feed.title,
                site_url=read.feed.link,
                site_name=read.site_name,
                reader_state=read.state,
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
            "polled source %s: %s new (%s of known stories, %s kept the feed's text), "
            "%s backfilled, %s seen, %s deliveries queued",
            job.id,
            new,
            processed.repeats,
            processed.pages_skipped,
            backfilled,
            processed.entries - len(stored),
            queued,
            extra={"source_id": job.id},
        )
        return PollOutcome(
            job.id,
            job.url,
            job.name,
            status,
            new=new,
            seen=processed.entries - new,
            queued=queued,
            next_poll_at=next_poll_at,
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


def _source_info(job: SourceJob, categories: CategorySet) -> SourceInfo:
    return SourceInfo(
        url=job.url,
        id=job.id,
        kind=job.kind,
        name=job.name,
        language=job.language,
        category=categories.slug_of(job.category_id),
        backfill=not job.first_polled,
        etag=job.etag,
        last_modified=job.last_modified,
        site_name=job.site_name,
        state=job.reader_state or {},
    )


def _with_seconds(outcome: PollOutcome, seconds: float) -> PollOutcome:
    return replace(outcome, seconds=seconds)
