"""Queries on categories and their aliases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Article, Category, CategoryAlias, Source, Subscription


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


async def find_categories(session: AsyncSession, keys: Iterable[str]) -> dict[str, Category]:
    """key → category for those of these keys that are a slug or an alias, in two queries."""
    wanted = sorted({key for key in keys if key})
    if not wanted:
        return {}
    found = {
        str(alias): category
        for alias, category in await session.execute(
            select(CategoryAlias.alias, Category)
            .join(Category)
            .where(CategoryAlias.alias.in_(wanted))
        )
    }
    found.update(
        (category.slug, category)
        for category in await session.scalars(select(Category).where(Category.slug.in_(wanted)))
    )
    return found


async def list_categories(session: AsyncSession) -> list[Category]:
    result = await session.scalars(select(Category).order_by(Category.position, Category.slug))
    return list(result)


async def get_by_slug(session: AsyncSession, slug: str) -> Category | None:
    return await session.scalar(select(Category).where(Category.slug == slug))


async def slugs_of(session: AsyncSession, category_ids: Iterable[int]) -> dict[int, str]:
    """id → slug of those of these categories that exist."""
    rows = await session.execute(
        select(Category.id, Category.slug).where(Category.id.in_(list(category_ids)))
    )
    return {int(id_): str(slug) for id_, slug in rows}


async def alias_owner(
    session: AsyncSession, keys: Sequence[str], *, other_than: int | None
) -> tuple[str, str] | None:
    """(alias, slug) of one of these alias keys held by a category other than `other_than`."""
    row = (
        await session.execute(
            select(CategoryAlias.alias, Category.slug)
            .join(Category)
            .where(CategoryAlias.alias.in_(keys), Category.id != (other_than or 0))
            .limit(1)
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def slug_among(
    session: AsyncSession, slugs: Iterable[str], *, other_than: int | None
) -> str | None:
    """One of these slugs, when a category other than `other_than` has it."""
    return await session.scalar(
        select(Category.slug)
        .where(Category.slug.in_(set(slugs)), Category.id != (other_than or 0))
        .limit(1)
    )


async def next_position(session: AsyncSession) -> int:
    """The position after the last category's."""
    return (await session.scalar(select(func.max(Category.position))) or 0) + 1


@dataclass(frozen=True, slots=True)
class Usage:
    """What uses a category: the counts a deletion must move."""

    subscriptions: int
    sources: int
    articles: int = 0

    @property
    def in_use(self) -> bool:
        return bool(self.subscriptions or self.sources)


async def usage(session: AsyncSession, category_id: int) -> Usage:
    async def count(model: type[Subscription] | type[Source] | type[Article]) -> int:
        return (
            await session.scalar(
                select(func.count()).select_from(model).where(model.category_id == category_id)
            )
            or 0
        )

    return Usage(await count(Subscription), await count(Source), await count(Article))


@dataclass(frozen=True, slots=True)
class Moved:
    subscriptions: int
    merged: int
    """Subscriptions dropped because the chat followed the target already."""
    sources: int
    articles: int


async def move_usages(session: AsyncSession, from_id: int, to_id: int) -> Moved:
    """Move the subscriptions, sources and articles of one category to another."""
    followers = select(Subscription.chat_id).where(Subscription.category_id == to_id)
    merged = await session.execute(
        delete(Subscription).where(
            Subscription.category_id == from_id, Subscription.chat_id.in_(followers)
        )
    )
    moved = await session.execute(
        update(Subscription).where(Subscription.category_id == from_id).values(category_id=to_id)
    )
    sources = await session.execute(
        update(Source).where(Source.category_id == from_id).values(category_id=to_id)
    )
    articles = await session.execute(
        update(Article).where(Article.category_id == from_id).values(category_id=to_id)
    )
    return Moved(_rows(moved), _rows(merged), _rows(sources), _rows(articles))


def _rows(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def use_counts(session: AsyncSession) -> tuple[dict[int, int], dict[int, int]]:
    """(subscriptions, sources) per category id, for those that have any."""
    subscriptions = await session.execute(
        select(Subscription.category_id, func.count()).group_by(Subscription.category_id)
    )
    sources = await session.execute(
        select(Source.category_id, func.count())
        .where(Source.category_id.is_not(None))
        .group_by(Source.category_id)
    )
    return {int(k): int(v) for k, v in subscriptions}, {
        int(k): int(v) for k, v in sources if k is not None
    }
