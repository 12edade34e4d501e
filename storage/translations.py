"""Queries on translations: an article's headline and summary in another language, stored
once per article and language."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import insert_ignoring_conflicts
from storage.models import ArticleTranslation
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class StoredTranslation:
    headline: str
    summary: str


async def translations(
    session: AsyncSession, article_ids: Iterable[int], language: str
) -> dict[int, StoredTranslation]:
    """The stored translations of these articles into `language`, by article id."""
    wanted = sorted(set(article_ids))
    if not wanted:
        return {}
    rows = await session.execute(
        select(
            ArticleTranslation.article_id, ArticleTranslation.headline, ArticleTranslation.summary
        ).where(ArticleTranslation.article_id.in_(wanted), ArticleTranslation.language == language)
    )
    return {article_id: StoredTranslation(h, s) for article_id, h, s in rows}


async def save_translation(
    session: AsyncSession,
    article_id: int,
    language: str,
    translation: StoredTranslation,
    *,
    model: str | None,
) -> None:
    """Keep a translation; one already stored for the article and language stays."""
    await session.execute(
        insert_ignoring_conflicts(session, ArticleTranslation).values(
            article_id=article_id,
            language=language,
            headline=translation.headline,
            summary=translation.summary,
            model=model[:128] if model else None,
            created_at=utcnow(),
        )
    )
