"""Queries on subscriptions: which categories a chat follows (one row per chat and category),
with the word filter and the forum topic of each."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
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


async def subscribe(
    session: AsyncSession,
    chat_id: int,
    category_ids: Iterable[int],
    *,
    thread_id: int | None = None,
    thread_title: str | None = None,
) -> set[int]:
    """Subscribe the chat (its new subscriptions delivered into the forum topic `thread_id`,
    when given); returns the categories it was not subscribed to before."""
    wanted = set(category_ids)
    new = wanted - await subscribed_category_ids(session, chat_id)
    if new:
        now = utcnow()
        await session.execute(
            insert_ignoring_conflicts(session, Subscription),
            [
                {
                    "chat_id": chat_id,
                    "category_id": c,
                    "filters": {},
                    "created_at": now,
                    "thread_id": thread_id,
                    "thread_title": thread_title,
                }
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


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    """A subscription as readers see it: its category, its filter (stored JSON, {} for
    none) and the forum topic it is delivered to."""

    category_id: int
    filters: dict[str, Any]
    thread_id: int | None
    thread_title: str | None


async def chat_subscriptions(session: AsyncSession, chat_id: int) -> list[SubscriptionView]:
    """The chat's (its row id) subscriptions, by category id."""
    rows = await session.execute(
        select(
            Subscription.category_id,
            Subscription.filters,
            Subscription.thread_id,
            Subscription.thread_title,
        )
        .where(Subscription.chat_id == chat_id)
        .order_by(Subscription.category_id)
    )
    return [SubscriptionView(c, dict(f or {}), t, title) for c, f, t, title in rows]


async def place(
    session: AsyncSession,
    chat_id: int,
    category_ids: Iterable[int],
    thread_id: int | None,
    thread_title: str | None,
) -> set[int]:
    """Deliver these subscriptions of the chat into a forum topic (None: the chat itself, or
    the General topic); returns the categories whose topic changed. Deliveries already waiting
    keep theirs."""
    wanted = set(category_ids)
    if not wanted:
        return set()
    rows = await session.execute(
        select(Subscription.category_id, Subscription.thread_id).where(
            Subscription.chat_id == chat_id, Subscription.category_id.in_(wanted)
        )
    )
    moved = {category for category, thread in rows if thread != thread_id}
    if moved:
        await session.execute(
            update(Subscription)
            .where(Subscription.chat_id == chat_id, Subscription.category_id.in_(moved))
            .values(thread_id=thread_id, thread_title=thread_title)
        )
    return moved


async def set_filter(
    session: AsyncSession, chat_id: int, category_id: int, stored: Mapping[str, Any]
) -> bool:
    """Keep a filter on the chat's subscription to the category ({} clears it); False when
    the chat does not follow the category."""
    result = await session.execute(
        update(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.category_id == category_id)
        .values(filters=dict(stored))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def leave_topic(session: AsyncSession, chat_id: int, thread_id: int) -> set[int]:
    """The chat's subscriptions delivered into this forum topic go to the General topic;
    returns their categories."""
    moved = await categories_in_topic(session, chat_id, thread_id)
    if moved:
        await session.execute(
            update(Subscription)
            .where(Subscription.chat_id == chat_id, Subscription.thread_id == thread_id)
            .values(thread_id=None, thread_title=None)
        )
    return moved


async def categories_in_topic(session: AsyncSession, chat_id: int, thread_id: int) -> set[int]:
    """The categories the chat gets in this forum topic."""
    rows = await session.scalars(
        select(Subscription.category_id).where(
            Subscription.chat_id == chat_id, Subscription.thread_id == thread_id
        )
    )
    return set(rows)


async def topic_title(session: AsyncSession, chat_id: int, thread_id: int) -> str | None:
    """The name kept for the chat's forum topic, if any subscription there has it."""
    return await session.scalar(
        select(Subscription.thread_title)
        .where(
            Subscription.chat_id == chat_id,
            Subscription.thread_id == thread_id,
            Subscription.thread_title.is_not(None),
        )
        .limit(1)
    )


async def name_topic(session: AsyncSession, chat_id: int, thread_id: int, title: str) -> None:
    """Keep the forum topic's name on every subscription of the chat delivered there."""
    await session.execute(
        update(Subscription)
        .where(Subscription.chat_id == chat_id, Subscription.thread_id == thread_id)
        .values(thread_title=title)
    )
