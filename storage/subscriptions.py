"""Queries on subscriptions: which categories a chat follows (one row per chat and category)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import insert_ignoring_conflicts
from storage.models import Subscription
from storage.types import utcnow


async def subscribed_category_ids(session: AsyncSession, chat_id: int) -> set[int]:
    """The ids of the categories the chat (its row id) is subscribed to."""
    rows = await session.scalars(
        select(Subscription.category_id).where(Subscription.chat_id == chat_id)
    )
    return set(rows)


async def subscribe(session: AsyncSession, chat_id: int, category_ids: Iterable[int]) -> set[int]:
    """Subscribe the chat; returns the categories it was not subscribed to before."""
    wanted = set(category_ids)
    new = wanted - await subscribed_category_ids(session, chat_id)
    if new:
        now = utcnow()
        await session.execute(
            insert_ignoring_conflicts(session, Subscription),
            [
                {"chat_id": chat_id, "category_id": c, "filters": {}, "created_at": now}
                for c in sorted(new)
            ],
        )
    return new


async def unsubscribe(
    session: AsyncSession, chat_id: int, category_ids: Iterable[int] | None = None
) -> set[int]:
    """Unsubscribe the chat from these categories (all when None); returns those it had."""
    had = await subscribed_category_ids(session, chat_id)
    gone = had if category_ids is None else had & set(category_ids)
    if gone:
        await session.execute(
            delete(Subscription).where(
                Subscription.chat_id == chat_id, Subscription.category_id.in_(gone)
            )
        )
    return gone
