"""Queries on articles: storing each entry once per source."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import Article, ArticleStatus


@dataclass(frozen=True, slots=True)
class NewArticle:
    """An article ready to store; keys decide whether it is new for its source."""

    guid_key: str
    url_key: str | None
    guid: str | None
    url: str | None
    title: str
    text: str
    text_source: str
    author: str | None
    tags: list[str]
    image_url: str | None
    language: str | None
    category_id: int | None
    published_at: datetime
    fetched_at: datetime
    status: ArticleStatus
    story_id: int | None = None
    headline: str | None = None
    summary: str | None = None
    composed_at: datetime | None = None
    origin: str | None = None
    """Where it first appeared when not at its source (a forwarded message's channel)."""


def insert_ignoring_conflicts(session: AsyncSession, table: Any) -> Insert:
    """INSERT … ON CONFLICT DO NOTHING in the session's dialect: every unique constraint holds."""
    if dialect_name(session) == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


async def known_keys(
    session: AsyncSession, source_id: int, guid_keys: Sequence[str], url_keys: Sequence[str]
) -> tuple[set[str], set[str]]:
    """Which of these guid keys and url keys the source already has."""
    guids: set[str] = set()
    urls: set[str] = set()
    if not guid_keys and not url_keys:
        return guids, urls
    rows = await session.execute(
        select(Article.guid_key, Article.url_key).where(
            Article.source_id == source_id,
            or_(Article.guid_key.in_(guid_keys), Article.url_key.in_(url_keys)),
        )
    )
    for guid_key, url_key in rows:
        guids.add(guid_key)
        if url_key is not None:
            urls.add(url_key)
    return guids, urls


KEY_CHUNK = 500
"""Keys asked about in one query: well under every database's limit on bound parameters."""


async def known_url_keys(
    session: AsyncSession, source_id: int, url_keys: Sequence[str]
) -> set[str]:
    """Which of these url keys (canonical links) the source already has, asked in chunks so
    that a sitemap's thousands of pages make a few queries of bounded size."""
    known: set[str] = set()
    unique = list(dict.fromkeys(url_keys))
    for start in range(0, len(unique), KEY_CHUNK):
        chunk = unique[start : start + KEY_CHUNK]
        rows = await session.scalars(
            select(Article.url_key).where(
                Article.source_id == source_id, Article.url_key.in_(chunk)
            )
        )
        known.update(key for key in rows if key is not None)
    return known


async def insert_articles(
    session: AsyncSession, source_id: int, articles: Iterable[NewArticle]
) -> dict[str, int]:
    """Store the articles the source does not have yet; returns guid_key → id of those stored.

    A row that collides with a stored one on either key is skipped by the database itself.
    """
    rows = [
        {
            "source_id": source_id,
            "guid_key": a.guid_key,
            "url_key": a.url_key,
            "guid": a.guid,
            "url": a.url,
            "title": a.title,
            "text": a.text,
            "text_source": a.text_source,
            "author": a.author,
            "origin": a.origin,
            "tags": a.tags,
            "image_url": a.image_url,
            "language": a.language,
            "category_id": a.category_id,
            "published_at": a.published_at,
            "fetched_at": a.fetched_at,
            "status": a.status,
            "story_id": a.story_id,
            "headline": a.headline,
            "summary": a.summary,
            "composed_at": a.composed_at,
        }
        for a in articles
    ]
    if not rows:
        return {}
    table = Article.__table__
    statement = insert_ignoring_conflicts(session, table).returning(table.c.id, table.c.guid_key)
    result = await session.execute(statement, rows)
    return {guid_key: article_id for article_id, guid_key in result}
