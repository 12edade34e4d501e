"""The newest posts readers ask for (/latest, the category shortcuts)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import posts as post_store
from storage.models import Article, Source

LatestPost = tuple[Article, Source]


async def latest(session: AsyncSession, category_id: int | None, count: int) -> list[LatestPost]:
    """The newest `count` composed articles (of one category, or of all), with their sources."""
    return await post_store.latest_ready(session, category_id, count)
