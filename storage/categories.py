"""Queries on categories and their aliases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Category, CategoryAlias


async def find_category(session: AsyncSession, key: str) -> Category | None:
    """The category whose slug or alias (in any language) has this key (`alias_key` of a name)."""
    if not key:
        return None
    by_slug = await session.scalar(select(Category).where(Category.slug == key))
    if by_slug is not None:
        return by_slug
    return await session.scalar(
        select(Category).join(CategoryAlias).where(CategoryAlias.alias == key)
    )


async def list_categories(session: AsyncSession) -> list[Category]:
    result = await session.scalars(select(Category).order_by(Category.position, Category.slug))
    return list(result)
