"""Managing sources: what the CLI and the admins' Telegram commands both call.

Every function that changes a source takes the `Actor` and records the action (who, what,
before and after) in the caller's transaction, so a rolled-back change leaves no record.

Deleting a source deletes its articles (ON DELETE CASCADE) and with them every delivery of
those articles: posts still pending in the outbox are dropped, not sent, and the record of
the ones sent goes too. The stories stay (their `source_id` becomes NULL), so other sources'
articles of a story keep their place. The number of articles and pending deliveries dropped
is part of the action's record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.ingest.normalize import canonical_url, redacted_url
from bot.ingest.sourcespec import MAX_INTERVAL_SECONDS, MIN_INTERVAL_SECONDS, SourceSpec
from bot.ingest.sourcespec import parse_interval as parse_duration
from bot.services.audit import Actor, Snapshot, record
from bot.services.errors import ServiceError
from bot.text.fold import alias_key
from storage import categories as category_store
from storage import sources as source_store
from storage.models import Source, SourceKind
from storage.types import utcnow


class SourceError(ServiceError):
    """A source cannot be added or changed as asked; the message says why. `code` (with
    `values`) names the refusal for a translated message, when it is one of the known ones."""

    def __init__(self, message: str, code: str | None = None, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


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
    kind: str  # feed | telegram | sitemap | page
    last_poll: datetime | None
    next_poll: datetime
    articles: int
    new_today: int
    failures: int
    last_error: str | None
    paused: bool = False
    interval_seconds: int | None = None
    language: str | None = None
    category: str | None = None
    format: str | None = None  # of the document last read: rss20, atom10, telegram …


def clean_url(url: str) -> str:
    cleaned = canonical_url(url.strip())
    if cleaned is None:
        raise SourceError(f"not an http(s) URL: {url!r}", "bad_url", url=url)
    return cleaned


async def _category_id(session: AsyncSession, name: str | None) -> int | None:
    if not name:
        return None
    category = await category_store.find_category(session, alias_key(name))
    if category is None:
        valid = ", ".join(c.slug for c in await category_store.list_categories(session))
        raise SourceError(
            f"unknown category {name!r}; valid: {valid}",
            "unknown_category",
            category=name,
            valid=valid,
        )
    return category.id


def _values(spec: SourceSpec, category_id: int | None) -> dict[str, object]:
    return {
        "kind": SourceKind(spec.kind or SourceKind.FEED),
        "name": spec.name,
        "language": spec.language,
        "category_id": category_id,
        "interval_seconds": spec.interval_seconds,
    }


def snapshot(source: Source) -> Snapshot:
    """What an admin may change of a source, for the audit trail."""
    return {
        "id": source.id,
        "url": redacted_url(source.url),
        "kind": source.kind.value,
        "name": source.name,
        "language": source.language,
        "category_id": source.category_id,
        "interval_seconds": source.interval_seconds,
        "paused": source.paused,
    }


def _target(source: Source) -> str:
    return f"source {source.id}"


async def get_source(session: AsyncSession, source_id: int) -> Source:
    source = await source_store.get_source(session, source_id)
    if source is None:
        raise SourceError(f"no source with id {source_id}", "not_found", id=source_id)
    return source


async def check_new(session: AsyncSession, spec: SourceSpec) -> tuple[str, int | None]:
    """The clean URL and category id of a source that may be added; SourceError otherwise."""
    url = clean_url(spec.url)
    if await source_store.get_source_by_url(session, url) is not None:
        raise SourceError(f"already a source: {url}", "duplicate", url=url)
    return url, await _category_id(session, spec.category)


async def add_source(
    session: AsyncSession, spec: SourceSpec, *, actor: Actor, title: str | None = None
) -> Source:
    """Add a source; `title` is its own title when a preview read it (polls keep it current)."""
    url, category_id = await check_new(session, spec)
    source = Source(url=url, title=title[:512] if title else None, **_values(spec, category_id))
    session.add(source)
    await session.flush()
    await record(session, actor, "source.add", _target(source), after=snapshot(source))
    return source


async def pause_source(session: AsyncSession, source_id: int, *, actor: Actor) -> Source:
    source = await get_source(session, source_id)
    if source.paused:
        raise SourceError(f"source {source_id} is already paused", "already_paused", id=source_id)
    before = snapshot(source)
    source.paused = True
    await session.flush()
    await record(
        session, actor, "source.pause", _target(source), before=before, after=snapshot(source)
    )
    return source


async def resume_source(
    session: AsyncSession, source_id: int, *, actor: Actor, now: datetime | None = None
) -> Source:
    """Unpause a source; it is due at once."""
    source = await get_source(session, source_id)
    if not source.paused:
        raise SourceError(f"source {source_id} is not paused", "not_paused", id=source_id)
    before = snapshot(source)
    source.paused = False
    source.next_poll_at = now or utcnow()
    await session.flush()
    await record(
        session, actor, "source.resume", _target(source), before=before, after=snapshot(source)
    )
    return source


async def delete_source(session: AsyncSession, source_id: int, *, actor: Actor) -> Snapshot:
    """Delete a source with its articles and their deliveries (pending ones are dropped).

    The snapshot of what was deleted, with the numbers of articles and pending deliveries."""
    source = await get_source(session, source_id)
    before = snapshot(source)
    before["articles"], before["pending_deliveries"] = await source_store.delete_counts(
        session, source_id
    )
    session.expunge(source)
    await source_store.delete_source(session, source_id)
    await record(session, actor, "source.delete", f"source {source_id}", before=before)
    return before


def parse_interval(text: str) -> int:
    """Seconds of "15m", "1h", "900" …, within the limits a source list allows."""
    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise SourceError(str(exc), "bad_interval", interval=text) from None
    if seconds < MIN_INTERVAL_SECONDS:
        raise SourceError(
            f"interval {text!r} is below the minimum of {MIN_INTERVAL_SECONDS} s",
            "bad_interval",
            interval=text,
        )
    if seconds > MAX_INTERVAL_SECONDS:
        raise SourceError(
            f"interval {text!r} is above the maximum of 7 days", "bad_interval", interval=text
        )
    return seconds


async def set_interval(
    session: AsyncSession, source_id: int, interval: str, *, actor: Actor
) -> Source:
    seconds = parse_interval(interval)
    source = await get_source(session, source_id)
    before = snapshot(source)
    source.interval_seconds = seconds
    await session.flush()
    await record(
        session, actor, "source.interval", _target(source), before=before, after=snapshot(source)
    )
    return source


async def sync_sources(
    session: AsyncSession, specs: Sequence[SourceSpec], *, actor: Actor, prune: bool = False
) -> SyncReport:
    """Make the stored sources match the list: add, update, and (with prune) delete."""
    report = SyncReport()
    existing = {s.url: s for s in await source_store.list_sources(session)}
    wanted: set[str] = set()
    before: Snapshot = {}
    after: Snapshot = {}
    for spec in specs:
        url = clean_url(spec.url)
        wanted.add(url)
        values = _values(spec, await _category_id(session, spec.category))
        source = existing.get(url)
        if source is None:
            session.add(Source(url=url, **values))
            report.added.append(url)
            after[redacted_url(url)] = values
        elif any(getattr(source, key) != value for key, value in values.items()):
            before[redacted_url(url)] = {key: getattr(source, key) for key in values}
            if source.kind != values["kind"]:
                _read_afresh(source)
            for key, value in values.items():
                setattr(source, key, value)
            report.updated.append(url)
            after[redacted_url(url)] = values
        else:
            report.unchanged.append(url)
    for url, source in existing.items():
        if url in wanted:
            continue
        if prune:
            before[redacted_url(url)] = snapshot(source)
            await source_store.delete_source(session, source.id)
            report.removed.append(url)
        else:
            report.absent.append(url)
    await session.flush()
    if before or after:
        await record(session, actor, "source.sync", None, before=before, after=after)
    return report


def _read_afresh(source: Source) -> None:
    """A source whose kind changes starts over: what its old reader kept means nothing to
    the new one, and its next poll is a first poll (a backfill, not a flood)."""
    source.first_polled = False
    source.etag = source.last_modified = None
    source.reader_state = None
    source.format = None


async def import_sources(
    session: AsyncSession, specs: Sequence[SourceSpec], *, actor: Actor
) -> SyncReport:
    """Add the listed sources that are not stored yet; stored ones are left as they are.

    An unknown category or a bad URL raises SourceError and nothing is added."""
    report = SyncReport()
    existing = {s.url for s in await source_store.list_sources(session)}
    after: Snapshot = {}
    for spec in specs:
        url = clean_url(spec.url)
        if url in existing:
            report.unchanged.append(url)
            continue
        values = _values(spec, await _category_id(session, spec.category))
        session.add(Source(url=url, **values))
        existing.add(url)
        report.added.append(url)
        after[redacted_url(url)] = values
    await session.flush()
    if after:
        await record(session, actor, "source.import", None, after=after)
    return report


async def source_count(session: AsyncSession) -> int:
    return await source_store.count_sources(session)


async def export_specs(session: AsyncSession, *, with_secrets: bool = False) -> list[SourceSpec]:
    """Every source as a list file describes it; credentials in URLs hidden unless asked."""
    return [
        SourceSpec(
            url=s.url if with_secrets else redacted_url(s.url),
            name=s.name or s.title,
            language=s.language,
            category=s.category.slug if s.category else None,
            interval_seconds=s.interval_seconds,
            kind=None if s.kind is SourceKind.FEED else s.kind.value,
        )
        for s in await source_store.list_sources(session)
    ]


async def source_states(session: AsyncSession, *, now: datetime | None = None) -> list[SourceState]:
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counts = await source_store.article_counts(session, since=midnight)
    return [
        _source_state(s, counts.get(s.id, (0, 0))) for s in await source_store.list_sources(session)
    ]


async def source_state(
    session: AsyncSession, source_id: int, *, now: datetime | None = None
) -> SourceState:
    """One source's state; SourceError when there is no such source."""
    source = await get_source(session, source_id)
    now = now or datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counts = await source_store.article_counts(session, since=midnight)
    return _source_state(source, counts.get(source.id, (0, 0)))


def _source_state(s: Source, counts: tuple[int, int]) -> SourceState:
    total, today = counts
    return SourceState(
        id=s.id,
        url=redacted_url(s.url),
        name=s.name or s.title or "",
        state=_state(s),
        kind=s.kind.value,
        last_poll=s.last_polled_at,
        next_poll=s.next_poll_at,
        articles=total,
        new_today=today,
        failures=s.failures,
        last_error=s.last_error if s.failures else None,
        paused=s.paused,
        interval_seconds=s.interval_seconds,
        language=s.language,
        category=s.category.slug if s.category else None,
        format=s.format,
    )


def _state(source: Source) -> str:
    if source.paused:
        return "paused"
    if source.failures:
        return "failing"
    return "ok" if source.last_polled_at else "new"
