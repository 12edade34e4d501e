"""How widely a story was carried: the sources that published an article's story, for ranking
a daily briefing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Article


@dataclass(frozen=True, slots=True)
class Coverage:
    category_id: int | None
    sources: int  # the sources that carried the article's story (at least 1)


async def coverage(session: AsyncSession, article_ids: Iterable[int]) -> dict[int, Coverage]:
    """Each article's category and how many sources carried its story, by article id."""
    wanted = sorted(set(article_ids))
    if not wanted:
        return {}
    article = aliased(Article)
    same_story = aliased(Article)
    rows = await session.execute(
        select(article.id, article.category_id, func.count(distinct(same_story.source_id)))
        .outerjoin(same_story, same_story.story_id == article.story_id)
        .where(article.id.in_(wanted))
        .group_by(article.id, article.category_id)
    )
    return {
        article_id: Coverage(category_id, max(1, int(sources)))
        for article_id, category_id, sources in rows
    }
