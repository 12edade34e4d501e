"""Managing sources: what the CLI and (later) the admins' Telegram commands both call."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from bot.ingest.normalize import canonical_url
from bot.ingest.sourcelist import SourceSpec
from bot.services.errors import ServiceError
from storage import categories as category_store
from storage import sources as source_store
from storage.models import Source


class SourceError(ServiceError):
    """A source cannot be added or changed as asked; the message says why."""


@dataclass(slots=True)
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # in the database, not in the file


@dataclass(frozen=True, slots=True)
class SourceState:
    id: int
    url: str
    name: str
    state: str  # ok | failing | paused | new
    last_poll: datetime | None
    next_poll: datetime
    articles: int
    new_today: int
    failures: int
    last_error: str | None


def _clean_url(url: str) -> str:
    cleaned = canonical_url(url.strip())
    if cleaned is None:
        raise SourceError(f"not an http(s) URL: {url!r}")
    return cleaned


async def _category_id(session: AsyncSession, name: str | None) -> int | None:
    if not name:
        return None
    category = await category_store.find_category(session, name)
    if category is None:
        valid = ", ".join(c.slug for c in await category_store.list_categories(session))
        raise SourceError(f"unknown category {name!r}; valid: {valid}")
    return category.id


def _values(spec: SourceSpec, category_id: int | None) -> dict[str, object]:
    return {
        "name": spec.name,
        "language": spec.language,
        "category_id": category_id,
        "interval_seconds": spec.interval_seconds,
    }


async def add_source(session: AsyncSession, spec: SourceSpec) -> Source:
    url = _clean_url(spec.url)
    if await source_store.get_source_by_url(session, url) is not None:
        raise SourceError(f"already a source: {url}")
    source = Source(url=url, **_values(spec, await _category_id(session, spec.category)))
    session.add(source)
    await session.flush()
    return source


async def sync_sources(
    session: AsyncSession, specs: Sequence[SourceSpec], *, prune: bool = False
) -> SyncReport:
    """Make the stored sources match the list: add, update, and (with prune) delete."""
    report = SyncReport()
    existing = {s.url: s for s in await source_store.list_sources(session)}
    wanted: set[str] = set()
    for spec in specs:
        url = _clean_url(spec.url)
        wanted.add(url)
        values = _values(spec, await _category_id(session, spec.category))
        source = existing.get(url)
        if source is None:
            session.add(Source(url=url, **values))
            report.added.append(url)
        elif any(getattr(source, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(source, key, value)
            report.updated.append(url)
        else:
            report.unchanged.append(url)
    for url, source in existing.items():
        if url in wanted:
            continue
        if prune:
            await session.execute(delete(Source).where(Source.id == source.id))
            report.removed.append(url)
        else:
            report.absent.append(url)
    await session.flush()
    return report


async def import_sources(session: AsyncSession, specs: Sequence[SourceSpec]) -> SyncReport:
    """Add the listed sources that are not stored yet; stored ones are left as they are."""
    report = SyncReport()
    existing = {s.url for s in await source_store.list_sources(session)}
    for spec in specs:
        url = _clean_url(spec.url)
        if url in existing:
            report.unchanged.append(url)
            continue
        session.add(Source(url=url, **_values(spec, await _category_id(session, spec.category))))
        existing.add(url)
        report.added.append(url)
    await session.flush()
    return report


async def export_specs(session: AsyncSession) -> list[SourceSpec]:
    return [
        SourceSpec(
            url=s.url,
            name=s.name or s.title,
            language=s.language,
            category=s.category.slug if s.category else None,
            interval_seconds=s.interval_seconds,
        )
        for s in await source_store.list_sources(session)
    ]


async def source_states(session: AsyncSession, *, now: datetime | None = None) -> list[SourceState]:
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counts = await source_store.article_counts(session, since=midnight)
    states = []
    for s in await source_store.list_sources(session):
        total, today = counts.get(s.id, (0, 0))
        states.append(
            SourceState(
                id=s.id,
                url=s.url,
                name=s.name or s.title or "",
                state=_state(s),
                last_poll=s.last_polled_at,
                next_poll=s.next_poll_at,
                articles=total,
                new_today=today,
                failures=s.failures,
                last_error=s.last_error if s.failures else None,
            )
        )
    return states


def _state(source: Source) -> str:
    if source.paused:
        return "paused"
    if source.failures:
        return "failing"
    return "ok" if source.last_polled_at else "new"
