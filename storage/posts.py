"""Queries on posts: stored articles that are composed (status ready), newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, ArticleStatus, Source


async def latest_ready(
    session: AsyncSession, category_id: int | None, limit: int
) -> list[tuple[Article, Source]]:
    """The newest `limit` ready articles (of one category, or of all) with their sources."""
    query = (
        select(Article, Source)
        .join(Source, Source.id == Article.source_id)
        .where(Article.status == ArticleStatus.READY)
        .order_by(Article.published_at.desc(), Article.id.desc())
        .limit(limit)
    )
    if category_id is not None:
        query = query.where(Article.category_id == category_id)
    rows = await session.execute(query)
    return [(row[0], row[1]) for row in rows]
