"""Queries on sources: the schedule of polls lives here, in the database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import Article, ArticleStatus, Delivery, DeliveryState, Source, SourceKind


@dataclass(frozen=True, slots=True)
class SourceJob:
    """What a poll of one source needs, copied out of the row it was claimed from."""

    id: int
    url: str
    kind: SourceKind
    name: str | None
    language: str | None
    category_id: int | None
    interval_seconds: int | None
    etag: str | None
    last_modified: str | None
    failures: int
    first_polled: bool
    site_name: str | None = None
    reader_state: dict[str, Any] | None = None


def _job(source: Source) -> SourceJob:
    return SourceJob(
        id=source.id,
        url=source.url,
        kind=source.kind,
        name=source.name,
        language=source.language,
        category_id=source.category_id,
        interval_seconds=source.interval_seconds,
        etag=source.etag,
        last_modified=source.last_modified,
        failures=source.failures,
        first_polled=source.first_polled,
        site_name=source.site_name,
        reader_state=dict(source.reader_state) if source.reader_state else None,
    )


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    limit: int,
    owner: str,
    lease: timedelta,
    source_ids: Sequence[int] | None = None,
) -> list[SourceJob]:
    """Lease up to `limit` unpaused sources whose next poll is due, oldest due first.

    The lease keeps other ticks (and other processes) off a source while it is polled;
    if the poller dies the lease runs out and the source is due again.
    """
    query = (
        select(Source)
        .where(
            Source.paused.is_(False),
            Source.next_poll_at <= now,
            or_(Source.lease_until.is_(None), Source.lease_until < now),
        )
        .order_by(Source.next_poll_at, Source.id)
        .limit(limit)
    )
    if source_ids is not None:
        query = query.where(Source.id.in_(source_ids))
    if dialect_name(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sources = list(await session.scalars(query))
    if sources:
        await session.execute(
            update(Source)
            .where(Source.id.in_([s.id for s in sources]))
            .values(lease_owner=owner, lease_until=now + lease)
        )
    return [_job(source) for source in sources]


async def record_success(
    session: AsyncSession,
    source_id: int,
    *,
    now: datetime,
    next_poll_at: datetime,
    etag: str | None,
    last_modified: str | None,
    format: str | None = None,
    title: str | None = None,
    site_url: str | None = None,
    site_name: str | None = None,
    reader_state: dict[str, Any] | None = None,
    new_articles: int = 0,
) -> None:
    """A successful poll: the schedule, validators, what the document says of itself, and
    (when given) the reader's new state."""
    values: dict[str, object] = {
        "last_polled_at": now,
        "last_success_at": now,
        "next_poll_at": next_poll_at,
        "failures": 0,
        "first_polled": True,
        "etag": etag,
        "last_modified": last_modified,
        "lease_owner": None,
        "lease_until": None,
    }
    if format is not None:
        values["format"] = format[:16]
    if site_name:
        values["site_name"] = site_name[:256]
    if reader_state is not None:
        values["reader_state"] = reader_state
    if title:
        values["title"] = title[:512]
    if site_url:
        values["site_url"] = site_url[:2048]
    if new_articles:
        values["last_new_at"] = now
    await session.execute(update(Source).where(Source.id == source_id).values(**values))


@dataclass(frozen=True, slots=True)
class PollRecord:
    """The outcome of a poll that stored nothing: not modified, or failed."""

    source_id: int
    polled_at: datetime
    next_poll_at: datetime
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0  # after this poll
    error_kind: str | None = None  # None: success
    error: str | None = None


async def record_polls(session: AsyncSession, records: Sequence[PollRecord]) -> None:
    """Save many polls' outcomes at once (bulk UPDATE by primary key), releasing the leases."""
    successes = [
        {
            "id": r.source_id,
            "last_polled_at": r.polled_at,
            "last_success_at": r.polled_at,
            "next_poll_at": r.next_poll_at,
            "failures": 0,
            "first_polled": True,
            "etag": r.etag,
            "last_modified": r.last_modified,
            "lease_owner": None,
            "lease_until": None,
        }
        for r in records
        if r.error_kind is None
    ]
    failures = [
        {
            "id": r.source_id,
            "last_polled_at": r.polled_at,
            "next_poll_at": r.next_poll_at,
            "failures": r.failures,
            "last_error": (r.error or "")[:2000],
            "last_error_kind": r.error_kind[:32],
            "last_error_at": r.polled_at,
            "lease_owner": None,
            "lease_until": None,
        }
        for r in records
        if r.error_kind is not None
    ]
    for rows in (successes, failures):
        if rows:
            await session.execute(update(Source), rows)


async def get_source(session: AsyncSession, source_id: int) -> Source | None:
    return await session.get(Source, source_id)


async def get_source_by_url(session: AsyncSession, url: str) -> Source | None:
    return await session.scalar(select(Source).where(Source.url == url))


async def list_sources(session: AsyncSession) -> list[Source]:
    return list(await session.scalars(select(Source).order_by(Source.id)))


async def count_sources(session: AsyncSession) -> int:
    return await session.scalar(select(func.count()).select_from(Source)) or 0


async def article_counts(session: AsyncSession, *, since: datetime) -> dict[int, tuple[int, int]]:
    """Per source: (articles stored in all, new articles fetched since `since`)."""
    is_new = and_(Article.fetched_at >= since, Article.status != ArticleStatus.SEEN)
    new_since = func.sum(case((is_new, 1), else_=0))
    rows = await session.execute(
        select(Article.source_id, func.count(), new_since).group_by(Article.source_id)
    )
    return {source_id: (total, int(new or 0)) for source_id, total, new in rows}


async def make_all_due(session: AsyncSession, *, now: datetime) -> int:
    """Every unpaused source becomes due now (for `nashra poll --once --all`)."""
    result = await session.execute(
        update(Source).where(Source.paused.is_(False)).values(next_poll_at=now)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def lease_owners(session: AsyncSession, *, now: datetime) -> set[str]:
    """The workers holding a source's lease that has not run out."""
    rows = await session.scalars(
        select(Source.lease_owner)
        .where(Source.lease_owner.is_not(None), Source.lease_until > now)
        .distinct()
    )
    return {owner for owner in rows if owner is not None}


async def release_leases(session: AsyncSession, owners: Sequence[str]) -> int:
    """The sources these (dead) workers held are free to be polled."""
    result = await session.execute(
        update(Source)
        .where(Source.lease_owner.in_(owners))
        .values(lease_owner=None, lease_until=None)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def delete_counts(session: AsyncSession, source_id: int) -> tuple[int, int]:
    """(articles, pending deliveries) that deleting the source would drop."""
    articles = await session.scalar(
        select(func.count()).select_from(Article).where(Article.source_id == source_id)
    )
    pending = await session.scalar(
        select(func.count())
        .select_from(Delivery)
        .join(Article, Article.id == Delivery.article_id)
        .where(Article.source_id == source_id, Delivery.state == DeliveryState.PENDING)
    )
    return int(articles or 0), int(pending or 0)


async def delete_source(session: AsyncSession, source_id: int) -> None:
    """Delete the source; its articles and their deliveries go with it (ON DELETE CASCADE)."""
    await session.execute(delete(Source).where(Source.id == source_id))


async def last_success(session: AsyncSession) -> datetime | None:
    """When any source was last polled successfully."""
    return await session.scalar(select(func.max(Source.last_success_at)))


async def renew_lease(
    session: AsyncSession, source_id: int, *, owner: str, until: datetime
) -> bool:
    """Extend a lease its owner still holds; False when it holds it no more."""
    result = await session.execute(
        update(Source)
        .where(Source.id == source_id, Source.lease_owner == owner)
        .values(lease_until=until)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
